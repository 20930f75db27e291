"""DeterministicHub: an eventlet hub whose timers form the scheduler's choices.

Eventlet runs every greenthread switch through its hub: ``sleep``, ``spawn``,
events, semaphores and queues all arm timers, and the hub fires them.  This
hub keeps those timers in two places, on a virtual clock:

* ``ready``: timers due now, in arming order (sequence numbers, never object
  identity), each tagged with the greenthread it will resume;
* ``future``: a heap keyed by (due time, sequence) for the rest.

It never sleeps and never polls: when nothing is ready the clock jumps to the
next timer.  Which ready timer fires is not decided here but by the run loop
in ``scheduler.py``, the one place that decides who runs.  Waiting on a real
file descriptor is refused with ``HubBypassError``.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import greenlet
from eventlet.hubs import hub as eventlet_hub
from eventlet.hubs.timer import LocalTimer
from eventlet.semaphore import Semaphore

from harness.clock import EPOCH
from harness.errors import HubBypassError

if TYPE_CHECKING:
    from harness.scheduler import Run


_semaphore_wakeup = Semaphore._do_acquire


class Entry:
    """A timer plus what the scheduler needs to order it deterministically."""

    __slots__ = ("due", "front", "owner", "seq", "timer")

    def __init__(self, due: float, seq: int, timer: Any, owner: greenlet.greenlet) -> None:
        self.due = due
        self.seq = seq
        self.timer = timer
        self.owner = owner
        self.front = False

    def __lt__(self, other: Entry) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)

    @property
    def live(self) -> bool:
        timer = self.timer
        if timer.called:
            return False
        # A LocalTimer dies with its greenlet (None once cancelled); test
        # ``.dead``, never truthiness: a dead greenlet is falsy, so is a new one.
        if not isinstance(timer, LocalTimer):
            return True
        local_to: Any = timer.greenlet
        return local_to is not None and not local_to.dead


def timer_owner(timer: Any, current: greenlet.greenlet) -> greenlet.greenlet:
    """The greenthread a timer will resume: the target of ``g.switch``, a
    greenlet passed as argument (``Event._do_send(..., waiter)``), the first
    waiter of a semaphore's wake-up, else the greenthread that armed it."""
    callback, args, _kwargs = timer.tpl
    target: Any = getattr(callback, "__self__", None)
    if isinstance(target, greenlet.greenlet):
        return target
    for arg in args:
        if isinstance(arg, greenlet.greenlet):
            return arg
    if getattr(callback, "__func__", None) is _semaphore_wakeup and target._waiters:
        # Semaphore.release arms ``_do_acquire``, which resumes the first waiter.
        first: greenlet.greenlet = target._waiters[0]
        return first
    return current


class DeterministicHub(eventlet_hub.BaseHub):  # type: ignore[misc]
    """Eventlet hub on a virtual clock whose ready timers the run loop picks from."""

    @classmethod
    def is_available(cls) -> bool:
        return True

    def __init__(self, run: Run, start: float = EPOCH) -> None:
        self.now = start
        super().__init__(clock=self._clock)
        self.run_state = run
        self.ready: deque[Entry] = deque()
        self.future: list[Entry] = []
        self._seq = 0

    def _clock(self) -> float:
        return self.now

    # -- timers -----------------------------------------------------------
    def add_timer(self, timer: Any) -> float:
        seconds = timer.seconds if timer.seconds > 0 else 0.0
        due = self.now + seconds
        self._seq += 1
        current = greenlet.getcurrent()
        owner = getattr(timer.tpl[0], "__self__", None)  # timer_owner's common case, inlined
        if not isinstance(owner, greenlet.greenlet):
            owner = timer_owner(timer, current)
        entry = Entry(due, self._seq, timer, owner)
        if due <= self.now:
            self.ready.append(entry)
        else:
            heapq.heappush(self.future, entry)
        self.run_state.on_timer_armed(entry, current)
        return due

    def add_front(self, timer: Any) -> None:
        """Arm ``timer`` ahead of every ready timer: a preemption point's resume,
        so that choice 0 keeps the current greenthread running."""
        self._seq += 1
        current = greenlet.getcurrent()
        entry = Entry(self.now, self._seq, timer, current)
        entry.front = True
        self.ready.appendleft(entry)

    def timer_canceled(self, timer: Any) -> None:
        """Cancelled timers are dropped lazily when the run loop meets them."""

    def prepare_timers(self) -> None:
        """Not used: timers go straight to ``ready`` or ``future``."""

    def candidates(self) -> list[Entry]:
        """The first live ready timer of each greenthread, in arming order."""
        ready = self.ready
        seen: set[greenlet.greenlet] = set()
        out: list[Entry] = []
        dead: list[Entry] | None = None
        remember, keep, local_timer = seen.add, out.append, LocalTimer
        for entry in ready:
            timer = entry.timer
            # ``Entry.live`` inlined: this runs at every step
            if timer.called or (
                isinstance(timer, local_timer) and (timer.greenlet is None or timer.greenlet.dead)
            ):
                if dead is None:
                    dead = []
                dead.append(entry)
            elif entry.owner not in seen:
                remember(entry.owner)
                keep(entry)
        if dead is not None:
            for entry in dead:
                ready.remove(entry)
        return out

    def has_other_ready(self, current: greenlet.greenlet) -> bool:
        return any(entry.owner is not current and entry.live for entry in self.ready)

    def advance(self, horizon: float | None) -> bool:
        """Jump the clock to the next live timer and make every timer due then
        ready.  False when no timer is left before the horizon."""
        future = self.future
        while future and not future[0].live:
            heapq.heappop(future)
        if not future:
            return False
        due = future[0].due
        if horizon is not None and due > horizon:
            return False
        self.now = due
        while future and future[0].due <= due:
            entry = heapq.heappop(future)
            if entry.live:
                self.ready.append(entry)
        return True

    def pending_future(self) -> int:
        return sum(1 for entry in self.future if entry.live)

    def take(self, entry: Entry) -> None:
        self.ready.remove(entry)

    def get_timers_count(self) -> int:
        return len(self.ready) + len(self.future)

    # -- switching --------------------------------------------------------
    def switch(self) -> Any:
        current = greenlet.getcurrent()
        if current is self.greenlet:
            raise RuntimeError("do not call blocking functions from the harness hub")
        self.run_state.on_switch_out(current)
        try:
            if self.greenlet.parent is not current:
                current.parent = self.greenlet
        except ValueError:
            pass
        return self.greenlet.switch()

    def run(self, *args: Any, **kwargs: Any) -> None:
        self.running = True
        try:
            self.run_state.loop(self)
        finally:
            self.running = False

    def abort(self, wait: bool = False) -> None:
        self.stopping = True

    # -- real I/O is refused ----------------------------------------------
    def add(self, evtype: str, fileno: int, cb: Callable[..., Any], tb: Any, mark_as_closed: Any) -> Any:
        error = HubBypassError(
            f"a greenthread waited to {evtype} real file descriptor {fileno} "
            f"({self.run_state.where()}); real I/O would make the run depend on the "
            "outside world. Route it through a fake (for HTTP, a requests-mock adapter "
            "such as the fake ONTAP's fake.installed())."
        )
        self.run_state.fail(error)
        raise error

    def remove(self, listener: Any) -> None:
        """No listener is ever added, so there is nothing to remove."""

    def remove_descriptor(self, fileno: int) -> None:
        """No listener is ever added, so there is nothing to remove."""

    def wait(self, seconds: float | None = None) -> None:
        raise RuntimeError("DeterministicHub never waits on the outside world")
