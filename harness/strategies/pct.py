"""PCT: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010).

Every greenthread gets a random priority when it is first seen (inserted at a
uniformly random rank, which makes the priorities a uniform random
permutation); at every decision the highest-priority runnable greenthread
runs.  ``depth - 1`` decision indices are drawn as *change points*: at one,
the greenthread that would run is demoted below every priority so far, so the
next one runs instead.  For a program with ``n`` greenthreads and ``k``
decisions, a bug that needs ``depth`` ordering constraints is hit with
probability at least ``1 / (n * k**(depth-1))`` per run, whatever its shape,
where a random walk's chance can fall exponentially with ``k``.

``k`` is not known before a run: it is estimated as the largest number of
decisions seen in the previous runs (``steps_hint`` before the first one;
without a hint the first run draws no change point and only measures ``k``).
"""

from __future__ import annotations

import random as _random

from harness._errors import InvalidSetting
from harness.strategies.base import Decision, ExecutionSummary


class PctStrategy:
    """Random priorities plus ``depth - 1`` priority change points per run."""

    name = "pct"

    def __init__(self, seed: int = 0, depth: int = 3, steps_hint: int | None = None) -> None:
        if depth < 1:
            raise InvalidSetting(f"PCT depth must be >= 1, got {depth}")
        self.seed = seed
        self.depth = depth
        self.runs = 0
        self.estimated_steps = steps_hint or 0
        self.change_points: frozenset[int] = frozenset()
        self._rng = _random.Random(0)
        self._band: list[int] = []
        self._demoted: list[int] = []

    def new_execution(self) -> bool:
        self._rng = _random.Random(f"race-harness:pct:{self.seed}:{self.runs}")
        self.runs += 1
        self._band = []
        self._demoted = []
        k = self.estimated_steps
        self.change_points = frozenset(self._rng.sample(range(k), min(self.depth - 1, k)))
        return True

    def choose(self, decision: Decision) -> int:
        for option in decision.options:
            self._see(option.thread)
        if decision.index in self.change_points:
            self._demote(decision.options[self._best(decision)].thread)
        return self._best(decision)

    def end_execution(self, summary: ExecutionSummary) -> None:
        self.estimated_steps = max(self.estimated_steps, len(summary.choices))

    @property
    def exhausted(self) -> bool:
        return False

    def describe(self) -> str:
        return f"PCT depth {self.depth}, seed {self.seed}, ~{self.estimated_steps} decisions per run"

    # -- priorities --------------------------------------------------------
    def priority_order(self) -> list[int]:
        """Greenthread ids from highest to lowest priority (for tests and traces)."""
        return [*self._band, *self._demoted]

    def _see(self, thread: int) -> None:
        if thread in self._band or thread in self._demoted:
            return
        self._band.insert(self._rng.randint(0, len(self._band)), thread)

    def _best(self, decision: Decision) -> int:
        rank = {thread: position for position, thread in enumerate(self.priority_order())}
        return min(range(len(decision.options)), key=lambda i: rank[decision.options[i].thread])

    def _demote(self, thread: int) -> None:
        """Move ``thread`` below every priority so far (each change point goes lower)."""
        if thread in self._band:
            self._band.remove(thread)
        else:
            self._demoted.remove(thread)
        self._demoted.append(thread)
