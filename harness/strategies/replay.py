"""Replay: follow a recorded choice list exactly.

Past the end of the list every choice is 0 (eventlet's default order), so a
schedule whose trailing default choices were trimmed still replays.  A choice
the program no longer offers raises ``ScheduleDivergence`` naming the
decision, what was asked and what could run.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness._errors import ScheduleDivergence
from harness.strategies.base import Decision, ExecutionSummary


class ReplayStrategy:
    """Run one schedule, once."""

    name = "replay"

    def __init__(self, choices: Sequence[int]) -> None:
        self.choices = tuple(choices)
        self._ran = False

    def new_execution(self) -> bool:
        if self._ran:
            return False
        self._ran = True
        return True

    def choose(self, decision: Decision) -> int:
        if decision.index >= len(self.choices):
            return 0
        wanted = self.choices[decision.index]
        if wanted >= len(decision.options):
            runnable = ", ".join(f"gt{o.thread} ({o.label})" for o in decision.options)
            raise ScheduleDivergence(
                f"the schedule diverged at decision {decision.index} (step {decision.step}): it asks "
                f"for option {wanted} but only {len(decision.options)} could run: {runnable}. "
                "The code changed since the schedule was recorded; explore again to get a new one."
            )
        return wanted

    def end_execution(self, summary: ExecutionSummary) -> None:
        """Nothing to learn: a replay runs once."""

    @property
    def exhausted(self) -> bool:
        return self._ran

    def describe(self) -> str:
        return "replay"


class LenientReplay(ReplayStrategy):
    """Replay that turns a choice the program does not offer into 0 instead of failing."""

    def choose(self, decision: Decision) -> int:
        index = decision.index
        if index < len(self.choices) and self.choices[index] < len(decision.options):
            return self.choices[index]
        return 0
