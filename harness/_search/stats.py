"""Statistics of an exploration: how much was explored, and how fast a failure came.

Counted for every exploration whatever the strategy, so strategies can be
compared on the same scale (``benchmarks/bench_strategies.py``) and a verdict
says what it rests on: schedules run, how many of them behaved differently
(distinct traces), decisions per schedule, and for a failure how many
schedules and seconds it took and how many preemptions its schedule has.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from harness._engine.results import RunResult


@dataclass
class ExplorationStats:
    """Counters of one exploration; ``as_dict`` is what ``--json`` prints."""

    schedules_run: int = 0
    distinct_traces: int = 0
    decisions_total: int = 0
    decisions_min: int | None = None
    decisions_max: int = 0
    pruned_runs: int = 0
    schedules_to_first_failure: int | None = None
    time_to_first_failure: float | None = None
    failing_preemptions: int | None = None
    failing_decisions: int | None = None
    refused_at: int | None = None  # the schedule the harness refused (the code escaped it)
    strategy: dict[str, int] = field(default_factory=dict)
    database: dict[str, Any] = field(default_factory=dict)
    # failing runs found / kept with traces / kept as schedule strings / only counted, per signature
    failures: dict[str, Any] = field(default_factory=dict)
    _traces: set[bytes] = field(default_factory=set, repr=False)

    @property
    def decisions_mean(self) -> float:
        return self.decisions_total / self.schedules_run if self.schedules_run else 0.0

    def record(self, result: RunResult) -> None:
        """Count one run."""
        self.schedules_run += 1
        decisions = result.decisions
        self.decisions_total += decisions
        self.decisions_max = max(self.decisions_max, decisions)
        self.decisions_min = decisions if self.decisions_min is None else min(self.decisions_min, decisions)
        if result.stop_reason == "pruned":
            self.pruned_runs += 1
        self._traces.add(trace_digest(result))
        self.distinct_traces = len(self._traces)

    def record_refusal(self) -> None:
        """Note that the run just counted was refused: no failure to time, no preemptions."""
        self.refused_at = self.schedules_run

    def record_failure(self, result: RunResult, elapsed: float) -> None:
        """Note the first failing run (call after ``record``)."""
        if self.schedules_to_first_failure is not None:
            return
        self.schedules_to_first_failure = self.schedules_run
        self.time_to_first_failure = elapsed
        self.failing_preemptions = sum(1 for c in result.choices if c)
        self.failing_decisions = result.decisions

    def as_dict(self) -> dict[str, Any]:
        return {
            "schedules_run": self.schedules_run,
            "distinct_traces": self.distinct_traces,
            "decisions_per_schedule": {
                "mean": round(self.decisions_mean, 3), "min": self.decisions_min or 0,
                "max": self.decisions_max,
            },
            "pruned_runs": self.pruned_runs,
            "schedules_to_first_failure": self.schedules_to_first_failure,
            "time_to_first_failure": self.time_to_first_failure,
            "failing_preemptions": self.failing_preemptions,
            "failing_decisions": self.failing_decisions,
            "failures": dict(self.failures),
            "refused_at": self.refused_at,
            "strategy": dict(sorted(self.strategy.items())),
            "database": dict(sorted(self.database.items())),
        }

    def summary(self) -> str:
        """One line for the CLI."""
        parts = [
            f"{self.schedules_run} schedules, {self.distinct_traces} distinct traces",
            f"{self.decisions_mean:.1f} decisions/schedule (max {self.decisions_max})",
        ]
        if self.refused_at is not None:
            parts.append(f"refused at schedule {self.refused_at}: the code escaped the scheduler")
        elif self.schedules_to_first_failure is not None:
            parts.append(
                f"first failure at schedule {self.schedules_to_first_failure} after "
                f"{self.time_to_first_failure or 0.0:.2f} s, {self.failing_preemptions} preemption(s)"
            )
        found = self.failures.get("found", 0)
        if found > 1:
            parts.append(f"{found} failing runs ({self.failures['kept_with_traces']} kept with traces, "
                         f"{self.failures['kept_as_schedules']} as schedules, "
                         f"{self.failures['counted_only']} counted only)")
        if self.strategy:
            parts.append(", ".join(f"{k} {v}" for k, v in sorted(self.strategy.items())))
        return "; ".join(parts)


def trace_digest(result: RunResult) -> bytes:
    """A hash of the run's trace lines: equal for runs that behaved the same."""
    digest = hashlib.blake2b(digest_size=16)
    for event in result.trace.events:
        digest.update(f"{event.step}\x1f{event.time!r}\x1f{event.thread}\x1f{event.kind}\x1f{event.detail}\n"
                      .encode())
    return digest.digest()


class ProgressLine:
    """A one-line progress display on a terminal, for explorations longer than a second.

    Quiet when the stream is not a terminal (CI logs, pipes), so output stays
    deterministic there.
    """

    DELAY = 1.0
    INTERVAL = 0.2

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._started = time.perf_counter()
        self._last = 0.0
        self._shown = False

    @classmethod
    def for_stream(cls, stream: TextIO, enabled: bool = True) -> ProgressLine | None:
        isatty = getattr(stream, "isatty", None)
        return cls(stream) if enabled and callable(isatty) and isatty() else None

    def __call__(self, outcome: Any) -> None:
        now = time.perf_counter()
        elapsed = now - self._started
        if elapsed < self.DELAY or now - self._last < self.INTERVAL:
            return
        self._last = now
        stats: ExplorationStats = outcome.stats
        rate = stats.schedules_run / elapsed if elapsed else 0.0
        failed = ", FAILED" if outcome.failure is not None else ""
        self.stream.write(f"\r  {stats.schedules_run} schedules, {stats.distinct_traces} distinct, "
                          f"{rate:.0f}/s, {elapsed:.1f} s{failed}\x1b[K")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
