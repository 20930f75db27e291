"""Prefix: follow a recorded schedule as far as it fits, then let another strategy explore.

``recheck`` uses it when a schedule recorded on other code diverges: the
recorded choices up to the divergence, then DFS or random over the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from harness.strategies.base import Decision, ExecutionSummary, Strategy


class PrefixStrategy:
    """Follow recorded choices while the program still offers them, then defer to ``inner``.

    The decision where a recorded choice no longer fits (or the end of the
    recording) is where ``inner`` takes over; it sees decision indices
    counted from there, so a DFS explores exactly the suffix.
    """

    name = "prefix"

    def __init__(self, prefix: Sequence[int], inner: Strategy) -> None:
        self.prefix = tuple(prefix)
        self.inner = inner
        self.limit = len(self.prefix)

    def new_execution(self) -> bool:
        return self.inner.new_execution()

    def choose(self, decision: Decision) -> int:
        if decision.index < self.limit:
            wanted = self.prefix[decision.index]
            if wanted < len(decision.options):
                return wanted
            self.limit = decision.index
        return self.inner.choose(replace(decision, index=decision.index - self.limit))

    def end_execution(self, summary: ExecutionSummary) -> None:
        cut = min(self.limit, len(summary.choices))
        self.inner.end_execution(ExecutionSummary(
            summary.choices[cut:], summary.option_counts[cut:], summary.failed, summary.steps))

    @property
    def exhausted(self) -> bool:
        return self.inner.exhausted

    def describe(self) -> str:
        return f"recorded prefix of {self.limit} choice(s), then {self.inner.describe()}"
