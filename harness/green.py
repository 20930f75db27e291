"""Patches that make eventlet's own primitives deterministic during an exploration.

Eventlet keeps some waiters in sets, so which waiter it wakes first depends on
hashes (object addresses): different in every process.  During an exploration
``Event.send`` wakes its waiters in greenthread-id order (each wake-up is a
timer, so the scheduler still chooses among them), queues wake their blocked
getters and putters oldest first (not yet a recorded choice), and ``GreenThread.wait``
records that somebody observed the greenthread's outcome, which decides
whether an exception that escaped it is a finding.

Everything is undone when the exploration ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventlet import event, greenthread, hubs, queue

from harness import points

_original_send = event.Event.send
_original_wait = greenthread.GreenThread.wait
_original_queue_init = queue.LightQueue.__init__


class FifoWaiters:
    """The set of a queue's blocked getters or putters, popped oldest first.

    Eventlet keeps them in a ``set`` and wakes ``set.pop()``: address order,
    different in every process.  Queues created during an exploration use
    this instead, so the same schedule wakes the same waiter everywhere.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[Any, None] = {}

    def add(self, item: Any) -> None:
        self._items[item] = None

    def discard(self, item: Any) -> None:
        self._items.pop(item, None)

    def remove(self, item: Any) -> None:
        del self._items[item]

    def pop(self) -> Any:
        for item in self._items:
            del self._items[item]
            return item
        raise KeyError("pop from an empty set")

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


def queue_init(self: queue.LightQueue, *args: Any, **kwargs: Any) -> None:
    _original_queue_init(self, *args, **kwargs)
    self.getters = FifoWaiters()
    self.putters = FifoWaiters()


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
    event.Event.send = send
    greenthread.GreenThread.wait = wait
    queue.LightQueue.__init__ = queue_init
    try:
        yield
    finally:
        event.Event.send = _original_send
        greenthread.GreenThread.wait = _original_wait
        queue.LightQueue.__init__ = _original_queue_init
