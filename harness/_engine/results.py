"""What a run produces (``RunResult``, ``FailureRecord``) and the knobs it runs with
(``RunConfig``): plain data, shared by the run loop and everything that reads runs."""

from __future__ import annotations

from dataclasses import dataclass

from harness._engine.trace import Trace
from harness.strategies.base import ExecutionSummary


@dataclass
class FailureRecord:
    """One way a run failed: the error, where, and the greenthread's traceback."""

    error: BaseException
    thread: str
    step: int
    time: float
    traceback: str


@dataclass
class RunResult:
    """Everything one run produced; the schedule string is built by the caller."""

    choices: tuple[int, ...]
    option_counts: tuple[int, ...]
    failures: list[FailureRecord]
    trace: Trace
    steps: int
    end_time: float
    stop_reason: str
    interrupted: BaseException | None = None
    threads: int = 0
    # A failing preemptive run's conflicting accesses, told (harness/_engine/races.py).
    race: str | None = None

    @property
    def failure(self) -> FailureRecord | None:
        return self.failures[0] if self.failures else None

    @property
    def decisions(self) -> int:
        return len(self.choices)

    def summary(self) -> ExecutionSummary:
        return ExecutionSummary(self.choices, self.option_counts, bool(self.failures), self.steps)


@dataclass
class RunConfig:
    """Per-run knobs the exploration passes down."""

    preemptive: bool = False
    max_steps: int = 200_000
    until: float | None = None
    teardown_steps: int = 10_000
    trace_labels: bool = True
    # "fail": an exception nobody observes (a spawn_n greenlet dying, a GreenThread
    # nobody waits for) fails the run; "ignore": it is only noted in the trace.
    unobserved_exceptions: str = "fail"
    # The target declares every shared access (Target.complete_footprints): a step
    # that declares nothing touched nothing shared.
    complete_footprints: bool = False
