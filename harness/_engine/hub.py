"""DeterministicHub: an eventlet hub whose timers form the scheduler's choices.

Eventlet runs every greenthread switch through its hub: ``sleep``, ``spawn``,
events, semaphores and queues all arm timers, and the hub fires them.  This
hub keeps those timers in two places, on a virtual clock:

* ``ready``: timers due now, in arming order (sequence numbers, never object
  identity), each tagged with the greenthread it will resume;
* ``future``: a heap keyed by (due time, sequence) for the rest.

At every step the run loop asks which greenthreads could run next; a
``ReadyIndex`` answers that without rescanning ``ready``, because it is kept
up to date as timers are armed and fired.

It never sleeps and never polls: when nothing is ready the clock jumps to the
next timer.  Which ready timer fires is not decided here but by the run loop
in ``scheduler.py``, the one place that decides who runs.  Waiting on a real
file descriptor is refused with ``HubBypassError``.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import greenlet
from eventlet.hubs import hub as eventlet_hub
from eventlet.hubs.timer import LocalTimer
from eventlet.semaphore import Semaphore

from harness._engine.clock import EPOCH
from harness._errors import HubBypassError

if TYPE_CHECKING:
    from harness._engine.hooks import HubOwner


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


def _remove_identical(queue: deque[Entry], entry: Entry) -> None:
    """``queue.remove(entry)``, by identity.  ``deque.remove`` compares with
    ``==``, which on an Entry goes through Python (it defines ``__lt__`` for the
    heap): five times slower, and paid for every timer passed."""
    for position, other in enumerate(queue):
        if other is entry:
            del queue[position]
            return
    raise ValueError("the timer is not in the queue")


class ReadyIndex:
    """The ready timers grouped by greenthread, and those greenthreads in rank order.

    At every step the run loop needs how many greenthreads could run and, for
    a choice k, the k-th of them in greenthread-id order.  Rescanning the ready
    queue for that costs O(ready timers) per step (and a sort); this index is
    updated as timers are armed and fired instead.  Each greenthread's queue
    holds its ready timers in ready order, so its first is its candidate;
    ``order`` holds the ranks of the greenthreads with a queue, sorted.  Ranks
    are the scheduler's greenthread ids, looked up in ``ranks``, which the
    scheduler fills as it names greenthreads.

    The index is only as good as its timers' liveness: the hub stops trusting
    it (``DeterministicHub.stale``) when a ready timer may have died.
    """

    __slots__ = ("_emptied", "order", "owner_at", "queues", "ranks")

    def __init__(self, ranks: dict[greenlet.greenlet, int]) -> None:
        self.ranks = ranks
        self.queues: dict[greenlet.greenlet, deque[Entry]] = {}
        self.order: list[int] = []
        self.owner_at: dict[int, greenlet.greenlet] = {}
        self._emptied: greenlet.greenlet | None = None

    def add(self, entry: Entry, front: bool = False) -> bool:
        """Index a live ready timer; False when its greenthread has no rank yet."""
        owner = entry.owner
        queue = self.queues.get(owner)
        if queue is not None:
            if front:
                queue.appendleft(entry)
            else:
                queue.append(entry)
            return True
        rank = self.ranks.get(owner)
        if rank is None:
            return False
        self.queues[owner] = deque((entry,))
        insort(self.order, rank)
        self.owner_at[rank] = owner
        return True

    def remove(self, entry: Entry) -> None:
        """Drop a fired timer.  A greenthread left without one keeps its place
        until ``settle``: most arm their next timer within the step (a
        ``sleep(0)``), and leaving and re-entering ``order`` would cost two list
        shifts per step."""
        owner = entry.owner
        queue = self.queues[owner]
        if queue[0] is entry:
            queue.popleft()
        else:
            _remove_identical(queue, entry)
        if not queue:
            if self._emptied is not None and self._emptied is not owner:
                self.settle()  # the run loop settles at every step, _drain does not
            self._emptied = owner

    def settle(self) -> None:
        """Forget the greenthread emptied last if it still has no ready timer."""
        owner = self._emptied
        if owner is None:
            return
        self._emptied = None
        if not self.queues[owner]:
            del self.queues[owner]
            rank = self.ranks[owner]
            del self.order[bisect_left(self.order, rank)]
            del self.owner_at[rank]

    def count(self) -> int:
        """How many greenthreads have a ready timer (call ``settle`` first)."""
        return len(self.queues)

    def has_other(self, current: greenlet.greenlet) -> bool:
        """Whether a greenthread other than ``current`` has a ready timer."""
        queues = self.queues
        count = len(queues)
        emptied = self._emptied
        if emptied is not None and not queues[emptied]:
            count -= 1
        if queues.get(current):
            count -= 1
        return count > 0

    def nth_other(self, first: greenlet.greenlet, n: int) -> Entry:
        """The candidate of the ``n``-th greenthread (from 1) other than ``first``, in rank order."""
        order = self.order
        position = n - 1
        if position >= bisect_left(order, self.ranks[first]):
            position += 1
        return self.queues[self.owner_at[order[position]]][0]

    def owners(self, first: greenlet.greenlet) -> Iterator[greenlet.greenlet]:
        """``first``, then every other greenthread with a ready timer, in rank order."""
        yield first
        skip = self.ranks[first]
        owner_at = self.owner_at
        for rank in self.order:
            if rank != skip:
                yield owner_at[rank]

    def clear(self) -> None:
        self.queues.clear()
        self.order.clear()
        self.owner_at.clear()
        self._emptied = None


class DeterministicHub(eventlet_hub.BaseHub):  # type: ignore[misc]
    """Eventlet hub on a virtual clock whose ready timers the run loop picks from."""

    @classmethod
    def is_available(cls) -> bool:
        return True

    def __init__(self, run: HubOwner, start: float = EPOCH) -> None:
        self.now = start
        super().__init__(clock=self._clock)
        self.run_state = run
        self.ready: deque[Entry] = deque()
        self.future: list[Entry] = []
        self._seq = 0
        # greenthread -> the scheduler's id for it, the order options are offered in
        self.ranks: dict[greenlet.greenlet, int] = {}
        self.index = ReadyIndex(self.ranks)
        # True when ``index`` may hold a dead timer or miss a ready one: rebuilt before use
        self.stale = False

    def _clock(self) -> float:
        return self.now

    def name_thread(self, thread: greenlet.greenlet, rank: int) -> None:
        """The run named ``thread``: options are offered in rank (greenthread id) order."""
        self.ranks[thread] = rank

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
        # first, so that the run names a new greenthread before it is indexed
        self.run_state.on_timer_armed(entry, current)
        if timer.called:  # refused while being armed: it will never run
            return due
        if due <= self.now:
            self._make_ready(entry)
        else:
            heapq.heappush(self.future, entry)
        return due

    def _make_ready(self, entry: Entry) -> None:
        self.ready.append(entry)
        # A LocalTimer dies with the greenlet that armed it, which nobody announces:
        # while one is ready the index is rebuilt (liveness rechecked) at every step.
        if not self.stale and (isinstance(entry.timer, LocalTimer) or not self.index.add(entry)):
            self.stale = True

    def add_front(self, timer: Any) -> None:
        """Arm ``timer`` ahead of every ready timer: a preemption point's resume,
        so that choice 0 keeps the current greenthread running."""
        self._seq += 1
        current = greenlet.getcurrent()
        entry = Entry(self.now, self._seq, timer, current)
        entry.front = True
        self.ready.appendleft(entry)
        if not self.stale and not self.index.add(entry, front=True):
            self.stale = True

    def timer_canceled(self, timer: Any) -> None:
        """A cancelled timer may be a ready one: the index is rebuilt before it is
        used again, and the dead timer dropped then (cancels are rare next to switches)."""
        self.stale = True

    def prepare_timers(self) -> None:
        """Not used: timers go straight to ``ready`` or ``future``."""

    def next_ready(self, name: Callable[[greenlet.greenlet], int]) -> Entry | None:
        """The ready timer eventlet would fire next, with ``index`` brought up to
        date; None when nothing is ready.  ``name`` gives a greenthread the index
        has no rank for its rank (the scheduler names it then, as it meets it)."""
        if self.stale:
            self._rebuild(name)
        else:
            self.index.settle()
        ready = self.ready
        return ready[0] if ready else None  # the index is fresh: every ready timer is live

    def _rebuild(self, name: Callable[[greenlet.greenlet], int]) -> None:
        """Drop dead ready timers and index the rest again, naming greenthreads in ready order."""
        ready, ranks, index = self.ready, self.ranks, self.index
        live = [entry for entry in ready if entry.live]
        if len(live) != len(ready):
            ready.clear()
            ready.extend(live)
        index.clear()
        volatile = False
        for entry in live:
            if entry.owner not in ranks:
                ranks[entry.owner] = name(entry.owner)
            index.add(entry)
            volatile = volatile or isinstance(entry.timer, LocalTimer)
        self.stale = volatile

    def candidates(self) -> list[Entry]:
        """The first live ready timer of each greenthread, in arming order.

        A full scan of ``ready``: the run loop uses ``next_ready`` and ``index``,
        this is for stopping greenthreads at the end of a run."""
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
            self.stale = True
            for entry in dead:
                ready.remove(entry)
        return out

    def has_other_ready(self, current: greenlet.greenlet) -> bool:
        if not self.stale:
            return self.index.has_other(current)
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
                self._make_ready(entry)
        return True

    def pending_future(self) -> int:
        return sum(1 for entry in self.future if entry.live)

    def take(self, entry: Entry) -> None:
        """Remove a timer that is about to fire."""
        ready = self.ready
        if ready[0] is entry:
            ready.popleft()
        else:
            _remove_identical(ready, entry)
        if not self.stale:
            self.index.remove(entry)

    def clear(self) -> None:
        """Forget every timer (the end of a run)."""
        self.ready.clear()
        self.future.clear()
        self.index.clear()
        self.stale = False

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
