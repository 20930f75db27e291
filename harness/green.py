"""Patches that make eventlet's own primitives deterministic during an exploration.

Eventlet keeps some waiters in sets, so which waiter it wakes first depends on
hashes (object addresses): different in every process.  During an exploration
``Event.send`` wakes its waiters in greenthread-id order (each wake-up is a
timer, so the scheduler still chooses among them), and ``GreenThread.wait``
records that somebody observed the greenthread's outcome, which decides
whether an exception that escaped it is a finding.

Everything is undone when the exploration ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventlet import event, greenthread, hubs

from harness import points

_original_send = event.Event.send
_original_wait = greenthread.GreenThread.wait


def _thread_order(waiter: Any) -> int:
    run = points.active_run()
    if run is None:
        return 0
    return run.thread_id(waiter)  # type: ignore[attr-defined,no-any-return]


def send(self: event.Event, result: Any = None, exc: Any = None) -> None:
    if points.active_run() is None:
        _original_send(self, result, exc)
        return
    assert self._result is event.NOT_USED, "Trying to re-send() an already-triggered event."
    self._result = result
    if exc is not None and not isinstance(exc, tuple):
        exc = (exc,)
    self._exc = exc
    hub = hubs.get_hub()
    for waiter in sorted(self._waiters, key=_thread_order):
        hub.schedule_call_global(0, self._do_send, self._result, self._exc, waiter)


def wait(self: greenthread.GreenThread) -> Any:
    run = points.active_run()
    if run is not None:
        run.mark_observed(self)  # type: ignore[attr-defined]
    return _original_wait(self)


@contextmanager
def deterministic_eventlet() -> Iterator[None]:
    """Install the patches for the duration of an exploration."""
    event.Event.send = send  # type: ignore[method-assign]
    greenthread.GreenThread.wait = wait  # type: ignore[method-assign]
    try:
        yield
    finally:
        event.Event.send = _original_send  # type: ignore[method-assign]
        greenthread.GreenThread.wait = _original_wait  # type: ignore[method-assign]
