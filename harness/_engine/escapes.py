"""Exceptions that escape a greenthread: who raised it, and what the run makes of it.

An escape from the body fails the run; a GreenThread that died is judged at the
end (somebody may still wait for it); anything else nobody can observe, which
fails the run unless ``unobserved_exceptions="ignore"``.  Friend module of
``run.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import eventlet
import greenlet

from harness._engine.kinds import EventKind

if TYPE_CHECKING:
    from harness._engine.run import Run

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


def escaped_from(run: Run, owner: greenlet.greenlet, exc: BaseException) -> None:
    died = raiser(exc)
    if died is not None:  # a dead greenlet is falsy: no `or` here
        owner = died
    info = run._info(owner)
    if run._by_id and owner is run._by_id[0]:
        run._record(exc, info.name)
    elif isinstance(owner, eventlet.greenthread.GreenThread) and owner.dead:
        note_escape(run, owner, exc)
    else:
        unhandled(run, exc, info.name)

def note_escape(run: Run, thread: greenlet.greenlet, exc: BaseException) -> None:
    """A GreenThread died of ``exc``: a finding at the end unless somebody waits for it."""
    if any(known is thread for known, _exc in run._escaped):
        return
    run._escaped.append((thread, exc))
    run._add(run._info(thread).name, EventKind.EXIT, f"raised {type(exc).__name__}: {exc}")

def unhandled(run: Run, exc: BaseException, thread: str) -> None:
    """An exception nobody can observe (eventlet would print it)."""
    if run.config.unobserved_exceptions == "ignore":
        detail = f"{type(exc).__name__}: {exc} (unobserved_exceptions=ignore)"
        run._add(thread, EventKind.UNHANDLED, detail)
    else:
        run._record(exc, thread)
