"""Step footprints: what one step of a greenthread touched, for partial-order reduction.

A *step* is what a greenthread does between being resumed by the run loop and
switching back to it.  Two steps are *independent* when running them in either
order leaves the program in the same state; then exploring both orders is
wasted work, and the bounded DFS (``strategies/bounded.py``) explores only one
with sleep sets.

The harness cannot see arbitrary Python mutation, so a footprint is built from
what is declared or observed, and anything unknown counts as dependent:

* ``harness.touch(resource, write=True)`` declares an access, and vouches
  that the step's other shared accesses are declared too;
* ``harness.touch(resource, append=True)`` declares an append to a log:
  appends commute with each other (their order is not part of any verdict)
  but not with a read or a write of the log;
* partial declarations add what a library knows of its own part of the step
  without vouching for the rest: an instrumented shared attribute
  (``instrument.shared_attributes``: ``attr:Class.attribute``, class-wide, so
  coarse but sound), a fake's ``io_point(..., footprint=...)`` (the server
  state behind the wire), ``touch(..., partial=True)``;
* the harness adds ``thread:<id>``: each step reads its own thread, and a step
  that spawns or wakes another greenthread writes that thread;
* a step nobody vouched for, a green I/O point without a footprint, a wrapped
  call (``preempt_calls``) or a wake-up choice among waiters is *opaque*:
  dependent on every step.

A target whose code declares every shared access (``Target(complete_footprints=True)``)
vouches for all its steps: there, a step that declares nothing touched
nothing shared.  Otherwise the contract for code that declares footprints is:
declare every shared access of a step, or none.  Eventlet primitives that do
not switch (an uncontended lock acquire) are invisible: touch the lock if two
steps that touch disjoint data also contend for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Footprint:
    """The resources one step read, wrote and appended to; ``opaque`` means unknown
    (dependent on all)."""

    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    appends: frozenset[str] = frozenset()
    opaque: bool = False

    def describe(self) -> str:
        if self.opaque:
            return "opaque"
        parts = [f"r:{r}" for r in sorted(self.reads - self.writes)]
        parts += [f"w:{w}" for w in sorted(self.writes)]
        parts += [f"a:{a}" for a in sorted(self.appends - self.writes)]
        return " ".join(parts) or "nothing"


OPAQUE = Footprint(opaque=True)


def dependent(a: Footprint, b: Footprint) -> bool:
    """True unless the two steps provably commute: no write meets an access of the
    other, no append meets a read (two appends to one log commute)."""
    if a.opaque or b.opaque:
        return True
    return bool(a.writes & (b.reads | b.writes | b.appends) or b.writes & (a.reads | a.appends)
                or a.appends & b.reads or b.appends & a.reads)


@dataclass
class FootprintBuilder:
    """Accumulates the accesses of the step being run (owned by the scheduler).

    ``vouched`` starts True for a target with complete footprints; otherwise a
    non-partial ``touch`` in the step sets it.  An unvouched step is opaque."""

    thread: int
    vouched: bool = False
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    appends: set[str] = field(default_factory=set)
    opaque: bool = False

    def touch(self, resource: str, write: bool, append: bool = False, partial: bool = False) -> None:
        if not partial:
            self.vouched = True
        if append:
            self.appends.add(resource)
        else:
            (self.writes if write else self.reads).add(resource)

    def add(self, footprint: Footprint) -> None:
        """A partial declaration (a fake's I/O): its accesses, without vouching for the step."""
        if footprint.opaque:
            self.opaque = True
            return
        self.reads |= footprint.reads
        self.writes |= footprint.writes
        self.appends |= footprint.appends

    def wake(self, thread: int) -> None:
        """The step spawned or woke ``thread``: it writes that thread's state."""
        self.writes.add(f"thread:{thread}")

    def freeze(self) -> Footprint:
        if self.opaque or not self.vouched:
            return OPAQUE
        return Footprint(frozenset(self.reads | {f"thread:{self.thread}"}), frozenset(self.writes),
                         frozenset(self.appends))


class ResourceNames:
    """Names for resources passed as objects: ``Type#n`` in first-touch order.

    Object addresses differ between runs; first-touch order does not (replay is
    exact), so the same object gets the same name in every run of a prefix.
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._alive: list[object] = []

    def name(self, resource: object) -> str:
        if isinstance(resource, str):
            return resource
        key = id(resource)
        known = self._names.get(key)
        if known is None:
            known = f"{type(resource).__qualname__}#{len(self._names)}"
            self._names[key] = known
            self._alive.append(resource)
        return known


@runtime_checkable
class StepObserver(Protocol):
    """Optional strategy hooks, called by the run loop around every step."""

    def step_begin(self, thread: int) -> bool:
        """About to run a step of ``thread``; False stops the run (it repeats explored work)."""
        ...

    def step_end(self, thread: int, footprint: Footprint) -> None:
        """The step of ``thread`` is over and touched ``footprint``."""
        ...


@runtime_checkable
class RunObserver(Protocol):
    """Optional strategy hooks for what the steps alone do not show (DPOR needs both).

    ``clock_advanced``: the hub advanced the virtual clock (nothing was ready); every step
    after the call happens after every step before it, since a timer due later cannot fire
    before the work due now is done.  ``step_failed``: the run's first failure was recorded
    during the step of ``thread`` now running (called before its ``step_end``); the run
    stops after this step, so every greenthread still ready never gets its next step.
    """

    def clock_advanced(self, now: float) -> None: ...

    def step_failed(self, thread: int) -> None: ...
