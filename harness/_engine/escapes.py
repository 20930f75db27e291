"""Which greenthread an exception escaped from (the run loop judges escapes by it)."""

from __future__ import annotations

import eventlet
import greenlet

_GREENTHREAD_MAIN = eventlet.greenthread.GreenThread.main.__code__


def raiser(exc: BaseException) -> greenlet.greenlet | None:
    """The GreenThread that died of ``exc`` in this step.

    A timer's owner is not always the greenthread it ran (a semaphore's
    wake-up runs in the releaser's timer), and a waiter re-raises the very
    exception its greenthread died of, so neither the owner nor the
    exception object says who died.  The traceback does: its outermost
    ``GreenThread.main`` frame is the greenthread the exception left.
    """
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is _GREENTHREAD_MAIN:
            thread = frame.f_locals.get("self")
            if isinstance(thread, eventlet.greenthread.GreenThread) and thread.dead:
                return thread
            return None
        tb = tb.tb_next
    return None
