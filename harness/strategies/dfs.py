"""Exhaustive depth-first enumeration of choice sequences (stateless).

Each run follows a prefix of forced choices and then takes option 0; at the
end, the deepest decision that still has an untried option is advanced and
everything after it is dropped.  When no such decision remains, every
schedule has been run and ``exhausted`` is True: a passing exploration is then
a proof over the chosen preemption model.

The count it runs is the number of distinct choice sequences: for two
greenthreads that each switch k times that is C(2k, k) orders (plus
single-option points, which are not decisions and cost nothing).
"""

from __future__ import annotations

from harness.strategies.base import Decision, ExecutionSummary


class DfsStrategy:
    """Stateless DFS over every choice sequence."""

    name = "dfs"

    def __init__(self) -> None:
        self._prefix: list[int] = []
        self._started = False
        self._done = False
        self.runs = 0

    def new_execution(self) -> bool:
        if self._done:
            return False
        self._started = True
        self.runs += 1
        return True

    def choose(self, decision: Decision) -> int:
        if decision.index < len(self._prefix):
            return self._prefix[decision.index]
        return 0

    def end_execution(self, summary: ExecutionSummary) -> None:
        choices = list(summary.choices)
        counts = summary.option_counts
        while choices:
            last = len(choices) - 1
            if choices[last] + 1 < counts[last]:
                choices[last] += 1
                self._prefix = choices
                return
            choices.pop()
        self._done = True

    @property
    def exhausted(self) -> bool:
        return self._done

    def describe(self) -> str:
        return "exhaustive DFS" if self._done else "DFS (not exhausted)"
