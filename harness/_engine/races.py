"""The race pair of a failing run: which data two greenthreads touched in conflict.

A schedule says where the threads switched; a reviewer wants to know what
raced.  Under the preemptive model every declared access (automatic points of
``preempt_modules``, ``shared_attributes``, ``harness.access``) is logged with
its greenthread, resource, read or write, and source line.  Steps carry vector
clocks: a step happens after the earlier steps of its own greenthread and
after the step that woke it (a timer armed for it: a lock release, an event
send, a queue put, a spawn).  Two accesses *conflict* when they touch one
resource from two greenthreads, at least one writes, and neither happens
before the other by those edges.

The story told is the classic one when the log has it: greenthread A wrote R,
B touched R, then A touched R again ("gt1 wrote Client#0._session at
api.py:834 in _build_session; gt2 wrote it at api.py:834 in _build_session
before gt1 read it back at api.py:850 in send_http_request").  Otherwise the
last conflicting pair.  Green locks add their own edges (a release happens
before the next acquire, blocking or not).  What the harness does not see (a
native lock, an ordering through I/O the fake does not declare) can make a
pair look unordered that something else orders: the text says "conflicting
accesses", not "data race".
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_ACCESSES = 50_000  # per run; past it the oldest half is dropped (a long run's story is at its end)


@dataclass(frozen=True)
class Access:
    thread: int
    resource: str
    write: bool
    place: str
    clock: tuple[tuple[int, int], ...]  # the vector clock of the step, as sorted (thread, count)

    def before(self, other: Access) -> bool:
        """This access happens before ``other`` (by program order or a wake-up chain)."""
        mine = dict(self.clock).get(self.thread, 0)
        return dict(other.clock).get(self.thread, 0) >= mine


class AccessLog:
    """Vector clocks of the run's steps and the accesses made in them (owned by the run)."""

    def __init__(self) -> None:
        self._clocks: dict[int, dict[int, int]] = {}
        self._pending: dict[int, dict[int, int]] = {}
        self._current: tuple[tuple[int, int], ...] = ()
        self._locks: dict[object, dict[int, int]] = {}  # a lock -> the clock of its last release
        self.accesses: list[Access] = []

    def begin_step(self, thread: int) -> None:
        clock = self._clocks.setdefault(thread, {})
        for other, count in self._pending.pop(thread, {}).items():
            if clock.get(other, 0) < count:
                clock[other] = count
        clock[thread] = clock.get(thread, 0) + 1
        self._current = tuple(sorted(clock.items()))

    def woke(self, waker: int, woken: int) -> None:
        """``waker``'s step armed a timer that resumes ``woken``: an edge to its next step."""
        pending = self._pending.setdefault(woken, {})
        for other, count in self._clocks.get(waker, {}).items():
            if pending.get(other, 0) < count:
                pending[other] = count

    def synchronized(self, thread: int, lock: object, acquired: bool) -> None:
        """A release happens before the acquires that follow it, blocking or not."""
        clock = self._clocks.setdefault(thread, {})
        if not acquired:  # what follows the release in this step is not ordered by it: a new epoch
            self._locks[lock] = dict(clock)
            clock[thread] = clock.get(thread, 0) + 1
            self._current = tuple(sorted(clock.items()))
            return
        for other, count in self._locks.get(lock, {}).items():
            if clock.get(other, 0) < count:
                clock[other] = count
        self._current = tuple(sorted(clock.items()))

    def record(self, thread: int, reads: tuple[str, ...], writes: tuple[str, ...], place: str) -> None:
        """One access at ``place`` by ``thread``: what it read and what it wrote (appends count)."""
        if len(self.accesses) >= MAX_ACCESSES:
            del self.accesses[: MAX_ACCESSES // 2]
        clock = self._current
        self.accesses += [Access(thread, r, False, place, clock) for r in reads]
        self.accesses += [Access(thread, w, True, place, clock) for w in writes]

    def story(self, names: dict[int, str]) -> str | None:
        """The race pair, told, or None when the log has no conflicting accesses."""
        found = _aba(self.accesses) or _last_conflict(self.accesses)
        if found is None:
            return None
        return _tell(found, names)


def _conflict(a: Access, b: Access) -> bool:
    return (a.thread != b.thread and a.resource == b.resource and (a.write or b.write)
            and not a.before(b) and not b.before(a))


def _aba(log: list[Access]) -> tuple[Access, Access, Access | None] | None:
    """The last A-wrote / B-touched / A-touched-again triple on one resource, in one pass."""
    following: list[int | None] = [None] * len(log)  # the same thread's next access of the resource
    seen: dict[tuple[str, int], int] = {}
    for index in range(len(log) - 1, -1, -1):
        key = (log[index].resource, log[index].thread)
        following[index] = seen.get(key)
        seen[key] = index
    last: dict[str, dict[int, int]] = {}  # resource -> thread -> index of its latest access
    best: tuple[Access, Access, Access | None] | None = None
    for index, access in enumerate(log):
        threads = last.setdefault(access.resource, {})
        for thread in sorted(threads):
            earlier = threads[thread]
            again = following[earlier]
            first = log[earlier]
            if thread != access.thread and first.write and again is not None and _conflict(first, access):
                best = (first, access, log[again])
        threads[access.thread] = index
    return best


def _last_conflict(log: list[Access]) -> tuple[Access, Access, Access | None] | None:
    for index in range(len(log) - 1, max(0, len(log) - 5000), -1):
        later = log[index]
        for earlier in reversed(log[max(0, index - 200):index]):
            if _conflict(earlier, later):
                return (earlier, later, None)
    return None


def _verb(access: Access, again: bool = False) -> str:
    if again:
        return "wrote it again" if access.write else "read it back"
    return "wrote" if access.write else "read"


def _tell(found: tuple[Access, Access, Access | None], names: dict[int, str]) -> str:
    first, second, third = found
    a, b = names.get(first.thread, f"gt{first.thread}"), names.get(second.thread, f"gt{second.thread}")
    text = (f"conflicting accesses: {a} {_verb(first)} {first.resource} at {first.place}; "
            f"{b} {_verb(second)} it at {second.place}")
    if third is not None:
        text += f" before {a} {_verb(third, again=True)} at {third.place}"
    return text
