"""A failing schedule with what it did, and the options it was found with.

Its own module so that everything that makes or reads failures (explore,
shrink, recheck, reports) shares it without importing one another.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from harness._engine.results import FailureRecord, RunResult
from harness._engine.trace import Trace
from harness._errors import ScheduleDivergence, StaleSchedule
from harness._options import Model
from harness._schedule import Schedule
from harness._search.session import RunSpec
from harness._targets import Target


@dataclass
class Failure:
    """A failing schedule with what it did: replay ``schedule`` to see it again."""

    schedule: str
    error: BaseException
    trace: Trace
    thread: str
    traceback: str
    others: list[FailureRecord] = field(default_factory=list)
    spec: RunSpec | None = None
    race: str | None = None  # the conflicting accesses of a preemptive run (harness/_engine/races.py)

    @property
    def preemptions(self) -> int:
        return Schedule.parse(self.schedule).preemptions

    @property
    def run_spec(self) -> RunSpec:
        """The options the failure was found with (the schedule's target and model alone
        when unknown)."""
        if self.spec is not None:
            return self.spec
        parsed = Schedule.parse(self.schedule)
        return RunSpec(parsed.target, Model(parsed.model))

    def replay_command(self) -> str:
        """The command that reproduces this failure, with every option it was found with."""
        return self.run_spec.replay_command(self.schedule)

    def describe(self) -> str:
        """A multi-line account: error, where, the schedule and how to replay it."""
        return "\n".join([
            f"{type(self.error).__name__} in {self.thread}: {self.error}",
            *([f"race:     {self.race}"] if self.race else []),
            f"schedule: {self.schedule}",
            f"replay:   {self.replay_command()}",
        ])


def check_replayable(target: Target, schedule: Schedule) -> None:
    """Refuse a schedule of another target; warn (StaleSchedule) when the code changed."""
    if schedule.target != target.name:
        raise ScheduleDivergence(
            f"the schedule was recorded for target {schedule.target!r}, not {target.name!r}; "
            f"replay it with: race-harness replay {schedule.target} {schedule.encode()}"
        )
    if schedule.fingerprint != target.fingerprint:
        warnings.warn(StaleSchedule(
            f"schedule fingerprint {schedule.fingerprint} differs from the code's {target.fingerprint}: "
            "the target changed since the schedule was recorded, so the replay may diverge"
        ), stacklevel=3)


def schedule_of(target: Target, model: str, result: RunResult) -> Schedule:
    return Schedule(target.name, model, target.fingerprint, result.choices)


def failure_of(target: Target, spec: RunSpec | str, result: RunResult) -> Failure | None:
    """The Failure a run produced (carrying ``spec``), or None when it passed."""
    first = result.failure
    if first is None:
        return None
    if isinstance(spec, str):
        spec = RunSpec(target.name, Model(spec))
    schedule = schedule_of(target, spec.model, result).encode()
    return Failure(schedule, first.error, result.trace, first.thread, first.traceback, result.failures[1:],
                   spec, result.race)
