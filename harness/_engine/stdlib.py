"""Monkey-patched standard library and eventlet's thread pool under the harness.

After ``eventlet.monkey_patch()`` the standard library's concurrency is green:
``threading.Thread`` starts a greenthread, ``Lock``/``RLock``/``Condition``/
``Event``/``Semaphore`` are built on eventlet's semaphores, ``queue.Queue`` is
eventlet's, ``time.sleep`` is ``eventlet.sleep`` and ``threading.local`` is
``eventlet.corolocal.local``.  All of that goes through the hub, so the
scheduler controls it like any eventlet code.  Two things need help:

* the guards refuse ``threading.Thread.start`` in a run (a native thread
  escapes the scheduler); once ``thread`` is monkey-patched the thread is a
  greenthread, so ``green_threads()`` lets it through;
* a thread that dies of an exception is reported by ``threading.excepthook``,
  which prints it: during an exploration the run is told instead, and judges
  it like any unobserved exception (``unobserved_exceptions``).

``eventlet.tpool.execute`` (and ``tpool.Proxy``, which calls it) runs work on
real OS threads even when everything else is green.  Inside a run it is
refused with ``TpoolRefused``, or, with ``tpool="inline"``, the call runs
inline in the calling greenthread (as eventlet itself does with
``EVENTLET_THREADPOOL_SIZE=0``): the work then cannot interleave with anything
while it runs, which is the point of the abstraction and its limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import greenlet
from eventlet import patcher, tpool

from harness._engine import points
from harness._engine.interrupts import shielded
from harness._engine.kinds import EventKind
from harness._errors import TpoolRefused

TPOOL_MODES = ("refuse", "inline")


def green_threads() -> bool:
    """True when ``threading`` starts greenthreads (``monkey_patch(thread=True)`` ran)."""
    return bool(patcher.is_monkey_patched("thread"))


def _tpool_execute(original: Callable[..., Any], mode: str) -> Callable[..., Any]:
    def execute(meth: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        run = points.active_run()
        if run is None:
            return original(meth, *args, **kwargs)
        name = getattr(meth, "__qualname__", repr(meth))
        if mode == "inline":
            run.note(EventKind.TPOOL, f"eventlet.tpool.execute({name}) ran inline (tpool='inline')")
            return meth(*args, **kwargs)
        error = TpoolRefused(
            f"eventlet.tpool.execute({name}) was called inside a harness run ({run.thread_name()}): "
            "it runs the call on a real OS thread, which the scheduler cannot interleave or replay. "
            "Run it inline with explore(..., tpool='inline') (or RACE_TPOOL=inline), or fake the call.")
        run.fail(error)
        raise error

    execute.__wrapped__ = original  # type: ignore[attr-defined]
    return execute


def _excepthook(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def excepthook(args: Any) -> Any:
        run: Any = points.active_run()
        if run is None or args.exc_type is SystemExit:
            return original(args)
        run.report_unhandled(greenlet.getcurrent(), args.exc_value)
        return None

    return excepthook


@shielded  # installed and undone whole, even on Ctrl-C: see interrupts.py
def controlled(tpool_mode: str = "refuse") -> Iterator[None]:
    """Install the tpool policy and the thread-exception hook for an exploration."""
    if tpool_mode not in TPOOL_MODES:
        raise ValueError(f"tpool must be one of {', '.join(TPOOL_MODES)}, got {tpool_mode!r}")
    saved_execute = tpool.execute
    saved_hook = threading.excepthook
    try:
        tpool.execute = _tpool_execute(saved_execute, tpool_mode)
        threading.excepthook = _excepthook(saved_hook)
        yield
    finally:
        tpool.execute = saved_execute
        threading.excepthook = saved_hook
