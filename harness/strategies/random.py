"""Random walk: every decision picks an option uniformly at random.

Each schedule gets its own ``random.Random`` derived from the exploration seed
and the schedule number, never the global generator, so schedule N of seed S
is the same on every machine and in every shard.
"""

from __future__ import annotations

import random as _random

from harness.strategies.base import Decision, ExecutionSummary


class RandomStrategy:
    """Uniform random choice at every decision point."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.runs = 0
        self._rng = _random.Random(0)

    def new_execution(self) -> bool:
        self._rng = _random.Random(f"race-harness:{self.seed}:{self.runs}")
        self.runs += 1
        return True

    def choose(self, decision: Decision) -> int:
        return self._rng.randrange(len(decision.options))

    def end_execution(self, summary: ExecutionSummary) -> None:
        """Random walks learn nothing from a run."""

    @property
    def exhausted(self) -> bool:
        return False

    def describe(self) -> str:
        return f"random walk, seed {self.seed}"
