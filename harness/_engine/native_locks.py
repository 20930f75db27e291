"""Native locks as part of the model: a greenthread never blocks the OS thread on one.

Without monkey-patching, ``threading.Lock`` is a real OS lock.  When a
greenthread holding one is switched out (a preemption point inside
``queue.Queue.get``, whose mutex is such a lock, or green I/O inside a
``with lock:``) and another greenthread of the run tries to take it, the real
acquire blocks the one OS thread every greenthread runs on: the process hangs
with no verdict.  During an exploration the lock factories (``threading.Lock``,
``threading.RLock``, ``_thread.allocate_lock`` and the ``_allocate_lock``
``threading.Condition`` makes its waiters with) return ``ModelLock`` /
``ModelRLock``: a real lock underneath.  Under the preemptive model (native
threads) a greenthread that would block on one another greenthread of the run
holds waits on a green event instead, so it is simply not runnable until the
lock is released (the scheduler's own rule), and a circular wait is a
``DeadlockError`` with both stacks.  Under the cooperative model (eventlet as
it is) that acquire would block the only OS thread and hang the real program,
as the stock hub does: the run fails saying so.  Outside a run (between runs,
another OS thread) they behave as the real lock.  An uncontended acquire switches
nothing, as before, so no decision is added and no verdict changes.

Not covered: locks created before the exploration (module-level locks of the
standard library or of code imported earlier) stay real, and C code taking
locks of its own.  Monkey-patched programs (``eventlet.monkey_patch()``) have
green locks already and never reach this.
"""

from __future__ import annotations

import _thread
import threading
import time
import weakref
from collections.abc import Iterator

import eventlet
import greenlet
from eventlet import event

from harness._engine import points
from harness._engine.interrupts import shielded
from harness._engine.kinds import EventKind
from harness._errors import DeadlockError

_real_allocate = _thread.allocate_lock


def _in_run() -> bool:
    return points.in_run()


def _real_threads() -> bool:
    """Another OS thread exists, or this run let one through (``uncontrolled="warn"``): it may
    hold a lock, or be the one to release it.  The run's warning is the reliable sign: a raw
    ``_thread`` thread is in neither of ``threading``'s counts until it runs."""
    if threading.active_count() > 1 or _thread._count() > 0:
        return True
    trace = getattr(points.active_run(), "trace", None)
    return trace is not None and any(e.kind == EventKind.WARNING for e in trace.events)


class ModelLock:
    """``threading.Lock`` under the scheduler.

    One real lock underneath, so a greenthread and a real OS thread (``uncontrolled="warn"``)
    still exclude each other.  A greenthread of the run first tries it without blocking;
    when another greenthread of the run holds it, the greenthread waits on a green event
    (scheduler-controlled, so the holder can run on and a circular wait is a deadlock)
    and tries again when the holder releases it.  Only a lock held outside the run (by
    another OS thread) is waited for for real."""

    __slots__ = ("__weakref__", "_owner", "_real", "_taking", "_waiters")

    def __init__(self) -> None:
        self._real = _real_allocate()
        self._owner: greenlet.greenlet | None = None  # the run's greenthread holding it
        self._taking: greenlet.greenlet | None = None  # the greenthread inside acquire
        self._waiters: list[event.Event] = []
        _MADE.add(self)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not _in_run():
            return bool(self._real.acquire(blocking, timeout))
        self._taking = greenlet.getcurrent()  # so an interrupt inside acquire leaves no orphan
        try:
            return self._acquire_in_run(blocking, timeout)
        finally:
            self._taking = None

    def _acquire_in_run(self, blocking: bool, timeout: float) -> bool:
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        while not self._real.acquire(False):
            if not blocking or (deadline is not None and time.monotonic() >= deadline):
                return False
            if self._owner is None or _real_threads():  # held outside the run, or a real thread
                # may be the releaser (which cannot wake a greenthread): a real wait, as before
                left = -1 if deadline is None else max(0.0, deadline - time.monotonic())
                if not self._real.acquire(True, left):
                    return False
                break
            _refuse_cooperative_contention(self._owner)
            if not self._wait_green(deadline):
                return False
        self._owner = greenlet.getcurrent() if _in_run() else None
        _synchronized(self, True)
        return True

    def _wait_green(self, deadline: float | None) -> bool:
        """Wait, green, until the holder (a greenthread of the run) releases (True) or the
        deadline passes (False)."""
        waiter: event.Event = event.Event()
        self._waiters.append(waiter)
        try:
            if deadline is None:
                waiter.wait()
                return True
            with eventlet.Timeout(max(0.0, deadline - time.monotonic()), False):
                waiter.wait()
                return True
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def release(self) -> None:
        _synchronized(self, False)
        self._real.release()  # first: an interrupt after it leaves a stale owner, never a held lock
        self._owner = None
        if self._waiters:  # the first waiter tries again (it may lose to another: then it waits again)
            self._waiters.pop(0).send()

    def locked(self) -> bool:
        return bool(self._real.locked())

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _at_fork_reinit(self) -> None:  # threading calls it after fork
        self._real = _real_allocate()
        self._owner, self._waiters = None, []

    def _release_orphan(self) -> None:
        """Held by a greenthread that no longer exists (its run ended, or a Ctrl-C landed
        inside acquire before it could say who holds it): nobody can release it, so free it."""
        holder = self._owner if self._owner is not None else self._taking  # a dead greenlet is falsy
        if holder is not None and holder.dead and self._real.locked():
            self._owner = self._taking = None
            self._waiters = []
            self._real.release()


_MADE: weakref.WeakSet[ModelLock] = weakref.WeakSet()


def release_orphans() -> None:
    """Free the modelled locks whose holder is a finished greenthread (after every run: the
    next run, or code after the exploration, would otherwise wait for it forever)."""
    for lock in list(_MADE):
        lock._release_orphan()


def _refuse_cooperative_contention(holder: greenlet.greenlet) -> None:
    """Under the cooperative model (eventlet, no monkey-patching) a greenthread blocking on a
    native lock another greenthread holds blocks the one OS thread: the real program hangs
    for ever.  That is a finding, not something to wait out: fail the run with it.  (Under
    the preemptive model, native threads, the acquirer just waits, as a thread would.)"""
    run = points.active_run()
    config = getattr(run, "config", None)
    if run is None or config is None or config.preemptive or _real_threads():
        return  # a real OS thread may hold it or be the one to release it: waiting can end
    name = f"gt{run.thread_id(holder)}"
    error = DeadlockError(
        f"{run.thread_name()} would block on a native threading lock that {name} holds across a "
        "greenthread switch: under eventlet without monkey-patching this blocks the process's only OS "
        "thread, so the real program hangs here for ever. Hold no native lock across green I/O or "
        "a sleep, use eventlet's locks (eventlet.semaphore), or monkey-patch threading.")
    run.fail(error)
    raise error


def _synchronized(lock: ModelLock, acquired: bool) -> None:
    """Tell the run (its access log: a release happens before the next acquire)."""
    run = points.active_run()
    if run is not None:
        run.synchronized(lock, acquired, declare=False)


def _me() -> object:
    """Who holds a re-entrant lock: the greenthread inside a run, else the OS thread."""
    return greenlet.getcurrent() if _in_run() else ("os-thread", _thread.get_ident())


class ModelRLock:
    """``threading.RLock`` under the scheduler: re-entrant per greenthread (a real RLock is
    per OS thread, which every greenthread shares), exclusive through a ``ModelLock``."""

    __slots__ = ("_count", "_holder", "_lock")

    def __init__(self) -> None:
        self._lock = ModelLock()
        self._holder: object = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = _me()
        if self._holder == me:
            self._count += 1
            return True
        if not self._lock.acquire(blocking, timeout):
            return False
        self._holder, self._count = me, 1
        return True

    def release(self) -> None:
        if self._holder != _me():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._holder = None
            self._lock.release()

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _is_owned(self) -> bool:  # threading.Condition asks
        return bool(self._holder == _me())

    def _release_save(self) -> tuple[int, object]:
        state = (self._count, self._holder)
        self._count, self._holder = 0, None
        self._lock.release()
        return state

    def _acquire_restore(self, state: tuple[int, object]) -> None:
        self._lock.acquire()
        self._count, self._holder = state

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()
        self._holder, self._count = None, 0


_FACTORIES = ((threading, "Lock", ModelLock), (threading, "_allocate_lock", ModelLock),
              (_thread, "allocate_lock", ModelLock), (threading, "RLock", ModelRLock))


@shielded  # installed and undone whole, even on Ctrl-C: see interrupts.py
def modelled_locks() -> Iterator[None]:
    """While entered, locks made with the ``threading`` factories are ``ModelLock``s."""
    saved = [(module, name, getattr(module, name)) for module, name, _factory in _FACTORIES]
    try:
        for module, name, factory in _FACTORIES:
            setattr(module, name, factory)
        yield
    finally:
        for module, name, original in reversed(saved):
            setattr(module, name, original)
        release_orphans()


__all__ = ["ModelLock", "ModelRLock", "modelled_locks"]
