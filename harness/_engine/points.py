"""The single choke point through which code offers the scheduler a switch.

Instrumentation never switches greenthreads itself: it calls ``yield_point``
(a preemption point, active only under the preemptive model) or ``io_point``
(a cooperative point standing for green I/O, where eventlet itself would
switch).  Outside a harness run both are no-ops, so instrumented code and the
fakes work unchanged in production-like settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import greenlet
from eventlet import patcher

from harness._engine.hooks import ActiveRun
from harness._engine.kinds import EventKind

# The OS thread's identity.  ``threading.get_ident`` will not do: once
# ``eventlet.monkey_patch()`` ran it answers the *greenthread's* id, so a run
# would not recognise its own greenthreads.  ``patcher.original`` is the
# unpatched module whichever way round harness and monkey-patching were imported.
os_thread_ident = patcher.original("_thread").get_ident

if TYPE_CHECKING:
    from harness._engine.footprint import Footprint


_Run = ActiveRun  # the run's side of the points: harness/_engine/hooks.py

_active: _Run | None = None


def _set_active(run: _Run | None) -> None:
    """Called by the scheduler only: bind or unbind the run of this OS thread."""
    global _active
    _active = run


def active_run() -> _Run | None:
    """The run controlling the calling OS thread, or None outside a run."""
    run = _active
    if run is None or run.thread_ident != os_thread_ident():
        return None
    return run


def in_run() -> bool:
    """True when called from a greenthread of an active harness run."""
    return active_run() is not None


def yield_point(label: str, *, opaque: bool = False) -> None:
    """Offer a preemption here (preemptive model only).

    Choice 0 keeps the current greenthread running, as a real program would
    most of the time; any other choice is a preemption to another runnable
    greenthread.  A no-op under the cooperative model and outside a run.
    ``opaque=True``: the step that resumes after the point does something the
    harness cannot see (a wrapped call), so it is dependent on every step.  To
    declare what the access touches instead, use ``access``.
    """
    run = active_run()
    if run is not None:
        run.preempt(label, opaque)


def io_point(label: str, delay: float = 0.0, *, footprint: Footprint | None = None) -> None:
    """A cooperative switch standing for green I/O: send, receive, wait.

    Behaves like ``eventlet.sleep(delay)`` inside a run (other ready
    greenthreads run first, as on a real socket wait) and records ``label`` in
    the trace.  A no-op outside a run.

    ``footprint`` is what the step ending here touched behind the wire (a
    fake's server state), a partial declaration for partial-order reduction;
    without it the I/O is opaque: the steps on both sides of it count as
    dependent on every other step.
    """
    run = active_run()
    if run is not None:
        run.io(label, delay, footprint)


def note(kind: EventKind | str, detail: str) -> None:
    """Add an event to the current run's trace (e.g. a journaled request)."""
    run = active_run()
    if run is not None:
        run.note(kind, detail)


def violation(category: str, detail: str) -> None:
    """Note an oracle violation in the run's trace as ``"<category>: <detail>"``.

    Reports highlight violations, and shrinking treats two failures as the
    same only if they noted the same categories (``harness/_search/signature.py``), so
    keep the category short and fixed ("wrong SVM", "stale read") and put
    what varies (ids, values) in ``detail``.
    """
    note(EventKind.VIOLATION, f"{category}: {detail}")


def touch(resource: object, write: bool = True, *, append: bool = False, partial: bool = False) -> None:
    """Declare that the current step reads (``write=False``) or writes ``resource``.

    ``resource`` is a string (``"svm:vs0"``) or any object (named by first-touch
    order within the run).  ``append=True``: an append to a log, which commutes
    with other appends but not with reads.  Declared footprints let the bounded
    DFS skip orders that only swap independent steps; see
    ``harness/_engine/footprint.py`` for the contract (declare every shared access of a
    step, or none).  ``partial=True`` is for a library declaring its own part
    of a step (a fake's journal) without vouching for the caller's part.  A
    no-op outside a run and when no strategy asks for footprints.
    """
    run = active_run()
    if run is not None:
        run.touch(resource, write, append, partial)


AccessSink = Callable[[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], bool], None]


def access(label: str, reads: tuple[str, ...] = (), writes: tuple[str, ...] = (),
           appends: tuple[str, ...] = (), *, offer: bool = True) -> None:
    """One exact shared-memory access: a preemption point, then its footprint.

    ``offer=True`` offers a switch before the access (preemptive model only),
    labelled ``label`` (``"Session.svm set"``; the run adds the source place);
    the resources (``"Session#0.svm"``, ``"dict#2['vs1']"``) are then a partial
    declaration of the step that performs the access, the one that resumes
    after the point.  ``offer=False`` records the footprint only (an object no
    other greenthread can reach yet).  Automatic instrumentation
    (``harness/_engine/access.py``) calls the sink of ``access_sink`` directly.
    """
    run = active_run()
    if run is not None:
        access_sink(run)(label, reads, writes, appends, offer)


def access_sink(run: _Run) -> AccessSink:
    """Where accesses go in ``run``: its ``access`` method (``hooks.ActiveRun``); the
    automatic points keep it bound for the run's duration."""
    return run.access


def record_failure(error: BaseException) -> None:
    """Fail the current run with ``error`` even if the code under test catches it.

    Oracles call this before raising, so a violation swallowed by an
    ``except Exception`` in the code under test still fails the run.
    """
    run = active_run()
    if run is not None:
        run.fail(error)


def current_thread_name() -> str:
    """Logical name of the running greenthread (``gt0`` is the run's body).

    Outside a run it still tells greenthreads apart: the OS thread's name,
    plus the greenlet for any greenlet but the thread's main one, so per-caller
    state keyed by this name (the fake's declared intents) is never shared
    between greenthreads on a stock hub.
    """
    run = active_run()
    if run is not None:
        return run.thread_name()
    name = threading.current_thread().name
    current = greenlet.getcurrent()
    if current.parent is None:
        return name
    return f"{name}:greenlet-{id(current):x}"


def now() -> float:
    """Virtual time inside a run; the real ``time.time()`` outside."""
    run = active_run()
    if run is None:
        import time

        return time.time()
    return run.now()
