"""The Strategy protocol: who proposes the choices of each run.

Modelled on shuttle's Scheduler trait: ``new_execution`` prepares the next
schedule (or says the space is exhausted), ``choose`` answers one decision,
``end_execution`` learns how the run went.  Strategies never switch
greenthreads: the run loop asks, the strategy answers with an option index.
Option 0 is always eventlet's default; the others follow in greenthread-id
order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

if TYPE_CHECKING:
    from harness._search.signature import FailureSignature


@dataclass(frozen=True)
class Option:
    """One greenthread that could run at a decision point."""

    thread: int
    label: str


class LazyOptions(Sequence[Option]):
    """The options of a decision, built the first time a strategy looks at them.

    The run loop decides at nearly every switch, often among many greenthreads;
    a random walk only needs how many options there are, eventlet's default
    order not even that, and building every ``Option`` up front made each
    switch cost O(greenthreads).  ``build(key)`` makes them; ``seal`` makes them at once,
    for a strategy that keeps the decision past ``choose`` (the run moves on and
    the options must still say what could run then).
    """

    __slots__ = ("__weakref__", "_build", "_count", "_items", "_key")

    def __init__(self, count: int, build: Callable[[Any], tuple[Option, ...]], key: Any) -> None:
        self._count = count
        self._build: Callable[[Any], tuple[Option, ...]] | None = build
        self._key = key
        self._items: tuple[Option, ...] | None = None

    def seal(self) -> tuple[Option, ...]:
        """The options as a tuple, built now if they were not yet."""
        items = self._items
        if items is None:
            assert self._build is not None
            items = self._items = self._build(self._key)
            self._build = self._key = None  # let the run go
        return items

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Option: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Option, ...]: ...

    def __getitem__(self, index: int | slice) -> Option | tuple[Option, ...]:
        return self.seal()[index]

    def __iter__(self) -> Iterator[Option]:
        return iter(self.seal())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyOptions):
            other = other.seal()
        return self.seal() == other

    def __hash__(self) -> int:
        return hash(self.seal())

    def __repr__(self) -> str:
        return repr(self.seal())


class DecisionKind(Enum):
    """What a decision chooses: who runs next, or which waiter a wake-up goes to."""

    RUN = "run"
    """Which ready greenthread runs the next step (option 0: eventlet's default)."""
    WAKE = "wake"
    """Which of several waiters a wake-up goes to (a queue's getters): no greenthread
    switches here; the chosen waiter's step comes later."""


@dataclass(unsafe_hash=True)  # hashable, as when it was frozen
class Decision:
    """A point where more than one greenthread could run next.

    ``index`` counts decisions in this run (0-based); ``current`` is the id of
    the greenthread that just paused, or -1 when none did (hub callbacks).
    ``preemption`` is True at a preemption point, where option 0 continues the
    current greenthread.  ``options`` is a sequence: the run loop passes
    ``LazyOptions``, built only if looked at (``len`` is free).

    Read-only by contract, not frozen: a frozen dataclass sets each field
    through ``object.__setattr__``, three times the cost of building it, and
    the run loop builds one at nearly every switch.
    """

    index: int
    step: int
    options: Sequence[Option]
    current: int
    preemption: bool
    kind: DecisionKind = DecisionKind.RUN


@dataclass(frozen=True)
class ExecutionSummary:
    """What a strategy learns at the end of a run.

    ``signature`` says how a failed run failed (error type, raising function,
    violation categories: ``harness/_search/signature.py``), so that a strategy
    can tell two race symptoms apart (``HypothesisSearch`` shrinks each on its
    own); None when the run passed, or when whoever ran it did not say."""

    choices: tuple[int, ...]
    option_counts: tuple[int, ...]
    failed: bool
    steps: int
    signature: FailureSignature | None = None


@runtime_checkable
class Strategy(Protocol):
    """Proposes the choices of successive runs."""

    name: str

    def new_execution(self) -> bool:
        """Prepare the next run; False when there is nothing left to explore."""
        ...

    def choose(self, decision: Decision) -> int:
        """Pick an index into ``decision.options``."""
        ...

    def end_execution(self, summary: ExecutionSummary) -> None:
        """Learn the outcome of the run just finished."""
        ...

    @property
    def exhausted(self) -> bool:
        """True once every schedule in the strategy's space has been run."""
        ...

    def describe(self) -> str:
        """How this strategy explored, for honest verdicts ("dfs exhaustive", ...)."""
        ...
