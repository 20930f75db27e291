"""Patches that make eventlet's own primitives deterministic during an exploration.

Most of eventlet is already deterministic once the hub is: spawn, sleep,
``Timeout`` and ``GreenThread.kill`` arm timers; semaphores (and so locks,
``BoundedSemaphore``, ``CappedSemaphore``, ``GreenPool``'s slots) wake their
waiters first come, first served from a deque; ``corolocal`` is keyed by the
greenlet.  What is left are the places where eventlet's order comes from a set,
and the exceptions it prints instead of raising:

* ``Event.send`` wakes its waiters from a set: here in greenthread-id order,
  one timer each, so the scheduler still chooses the order they run in;
* queues (``LightQueue``, ``Queue``, ``PriorityQueue``, ``LifoQueue``, and so
  ``GreenPile``, ``GreenPool.imap`` and ``pools.Pool``) keep blocked getters
  and putters in sets and wake ``set.pop()``'s pick: here a ``ChoiceSet``,
  whose pop is a recorded scheduling choice (queues made before the
  exploration are converted on first use);
* ``GreenThread.wait`` records that somebody observed the greenthread's
  outcome, which decides whether an exception that escaped it is a finding;
* a queue's ``Waiter.switch``/``throw`` and ``GreenPool.spawn_n`` print an
  exception and carry on: here the run is told, and judges it like any other
  unobserved exception (``unobserved_exceptions``).

Everything is undone when the exploration ends.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from typing import Any

import eventlet
import greenlet
from eventlet import event, greenpool, greenthread, hubs, queue, semaphore

from harness._engine import points
from harness._engine.hooks import ActiveRun
from harness._engine.interrupts import shielded
from harness._engine.wakeups import ChoiceSet, as_choice_set

_original_send = event.Event.send
_original_wait = greenthread.GreenThread.wait
_original_queue_init = queue.LightQueue.__init__
_original_put = queue.LightQueue.put
_original_get = queue.LightQueue.get
_original_unlock = queue.LightQueue._unlock
_original_waiter_switch = queue.Waiter.switch
_original_waiter_throw = queue.Waiter.throw
_original_spawn_n_impl = greenpool.GreenPool._spawn_n_impl
_original_kill = greenthread.kill

# Queues made during an exploration keep their ChoiceSets afterwards; outside a
# run a ChoiceSet is an insertion-ordered set.  The old name stays for callers.
FifoWaiters = ChoiceSet
GETTERS = "wake queue getter"
PUTTERS = "wake queue putter"


def _run() -> ActiveRun | None:
    return points.active_run()


# -- Event --------------------------------------------------------------------
def _thread_order(waiter: Any) -> int:
    run = _run()
    if run is None:
        return 0
    return run.thread_id(waiter)


def send(self: event.Event, result: Any = None, exc: Any = None) -> None:
    if _run() is None:
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


# -- GreenThread ----------------------------------------------------------------
def wait(self: greenthread.GreenThread) -> Any:
    run = _run()
    if run is not None:
        run.mark_observed(self)
    return _original_wait(self)


def kill(g: greenlet.greenlet, *throw_args: Any) -> None:
    """``greenthread.kill``; a greenthread killed before it started also loses its
    start timer (eventlet fires it into the dead greenlet: a no-op, but here it would
    be one more option at a decision, doubling the schedules for nothing)."""
    if _run() is not None and not g and not g.dead:
        hub = hubs.get_hub()
        for entry in (*hub.ready, *hub.future):
            if entry.owner is g and getattr(entry.timer.tpl[0], "__self__", None) is g:
                entry.timer.cancel()
    _original_kill(g, *throw_args)


# -- queues ---------------------------------------------------------------------
def _choice_sets(self: queue.LightQueue) -> None:
    self.getters = as_choice_set(self.getters, GETTERS)
    self.putters = as_choice_set(self.putters, PUTTERS)


def queue_init(self: queue.LightQueue, *args: Any, **kwargs: Any) -> None:
    _original_queue_init(self, *args, **kwargs)
    _choice_sets(self)


def queue_put(self: queue.LightQueue, item: Any, block: bool = True, timeout: float | None = None) -> None:
    if type(self.getters) is set or type(self.putters) is set:
        _choice_sets(self)  # a queue made before the exploration
    _original_put(self, item, block, timeout)


def queue_get(self: queue.LightQueue, block: bool = True, timeout: float | None = None) -> Any:
    if type(self.getters) is set or type(self.putters) is set:
        _choice_sets(self)
    return _original_get(self, block, timeout)


def queue_unlock(self: queue.LightQueue) -> None:
    if type(self.getters) is set or type(self.putters) is set:
        _choice_sets(self)
    _original_unlock(self)


def _woken(self: queue.Waiter, how: str, *args: Any) -> None:
    """``Waiter.switch``/``throw`` without the print: the run judges what escaped."""
    target: greenlet.greenlet | None = self.greenlet
    if target is None:
        return
    try:
        getattr(target, how)(*args)
    except Exception as exc:  # noqa: BLE001 - eventlet prints these; the run judges them
        run = _run()
        if run is None:
            traceback.print_exc()
        else:
            run.report_escape(target, exc)


def waiter_switch(self: queue.Waiter, value: Any = None) -> None:
    if _run() is None:
        _original_waiter_switch(self, value)
        return
    assert greenlet.getcurrent() is hubs.get_hub().greenlet, "Waiter.switch is for the mainloop only"
    _woken(self, "switch", value)


def waiter_throw(self: queue.Waiter, *throw_args: Any) -> None:
    if _run() is None:
        _original_waiter_throw(self, *throw_args)
        return
    assert greenlet.getcurrent() is hubs.get_hub().greenlet, "Waiter.throw is for the mainloop only"
    _woken(self, "throw", *throw_args)


# -- GreenPool.spawn_n --------------------------------------------------------------
def spawn_n_impl(self: greenpool.GreenPool, func: Any, args: Any, kwargs: Any, coro: Any) -> None:
    """``GreenPool._spawn_n_impl``, telling the run about the exception it prints."""
    try:
        try:
            func(*args, **kwargs)
        except (KeyboardInterrupt, SystemExit, greenlet.GreenletExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - eventlet's bare except, printed
            run = _run()
            if run is not None:
                run.report_unhandled(greenlet.getcurrent(), exc)
            elif greenpool.DEBUG:
                traceback.print_exc()
    finally:
        if coro is not None:
            self._spawn_done(greenlet.getcurrent())


# -- Semaphore (Lock, BoundedSemaphore, GreenPool slots): a release happens before the
# acquire it enables, even when the acquire does not block and so switches nothing.  The
# run's access log needs that edge to tell a locked pair of accesses from a race.
_semaphore_acquire = semaphore.Semaphore.acquire
_semaphore_release = semaphore.Semaphore.release


def semaphore_acquire(self: semaphore.Semaphore, blocking: bool = True, timeout: float | None = None) -> bool:
    got: bool = _semaphore_acquire(self, blocking, timeout)
    run = _run()
    if got and run is not None:
        run.synchronized(self, True)
    return got


def semaphore_release(self: semaphore.Semaphore, blocking: bool = True) -> bool:
    run = _run()
    if run is not None:
        run.synchronized(self, False)
    released: bool = _semaphore_release(self, blocking)
    return released


_PATCHES: tuple[tuple[Any, str, Any], ...] = (
    (semaphore.Semaphore, "acquire", semaphore_acquire),
    (semaphore.Semaphore, "release", semaphore_release),
    (event.Event, "send", send),
    (greenthread.GreenThread, "wait", wait),
    (greenthread, "kill", kill),
    (eventlet, "kill", kill),
    (queue.LightQueue, "__init__", queue_init),
    (queue.LightQueue, "put", queue_put),
    (queue.LightQueue, "get", queue_get),
    (queue.LightQueue, "_unlock", queue_unlock),
    (queue.Waiter, "switch", waiter_switch),
    (queue.Waiter, "throw", waiter_throw),
    (greenpool.GreenPool, "_spawn_n_impl", spawn_n_impl),
)


@shielded  # installed and undone whole, even on Ctrl-C: see interrupts.py
def deterministic_eventlet() -> Iterator[None]:
    """Install the patches for the duration of an exploration."""
    saved: list[tuple[Any, str, Any]] = []
    try:
        for owner, name, patch in _PATCHES:
            saved.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, patch)
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)
