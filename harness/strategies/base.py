"""The Strategy protocol: who proposes the choices of each run.

Modelled on shuttle's Scheduler trait: ``new_execution`` prepares the next
schedule (or says the space is exhausted), ``choose`` answers one decision,
``end_execution`` learns how the run went.  Strategies never switch
greenthreads: the run loop asks, the strategy answers with an option index.
Option 0 is always eventlet's default; the others follow in greenthread-id
order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Option:
    """One greenthread that could run at a decision point."""

    thread: int
    label: str


@dataclass(frozen=True)
class Decision:
    """A point where more than one greenthread could run next.

    ``index`` counts decisions in this run (0-based); ``current`` is the id of
    the greenthread that just paused, or -1 when none did (hub callbacks).
    ``preemption`` is True at a preemption point, where option 0 continues the
    current greenthread.
    """

    index: int
    step: int
    options: tuple[Option, ...]
    current: int
    preemption: bool


@dataclass(frozen=True)
class ExecutionSummary:
    """What a strategy learns at the end of a run."""

    choices: tuple[int, ...]
    option_counts: tuple[int, ...]
    failed: bool
    steps: int


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
