"""Run many schedules of one target: the public ``explore`` and ``replay``.

An exploration installs the harness's environment once (virtual clocks,
deterministic eventlet primitives, the target's instrumentation under the
preemptive model), runs schedules proposed by a strategy until one fails or
the budget or the space runs out, and restores everything on the way out,
whatever happened (failure, error, KeyboardInterrupt).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness._engine.results import RunResult
from harness._errors import (
    HubBypassError,
    RunRefused,
    ScheduleDivergence,
    StdinRefused,
    TpoolRefused,
)
from harness._options import Uncontrolled
from harness._schedule import Schedule
from harness._search.database import FailureDatabase
from harness._search.determinism import check_same
from harness._search.failures import Failure, check_replayable, failure_of, schedule_of
from harness._search.session import RunSpec, environment, run_once
from harness._search.signature import signature_of
from harness._search.stats import ExplorationStats
from harness._settings import Settings
from harness._targets import Target, resolve_target
from harness.strategies import ReplayStrategy, Strategy, registry

TargetSpec = Target | str | Callable[[], object]
Progress = Callable[["Exploration"], None]


@dataclass
class Exploration:
    """The outcome of an exploration, with what was explored (for honest verdicts)."""

    target: str
    model: str
    strategy: str
    failure: Failure | None
    schedules_run: int
    exhausted: bool
    elapsed: float
    decisions: int = 0
    max_decisions: int = 0
    # With stop_on_failure=False every failing run is counted, but memory stays bounded: the
    # first KEEP_TRACES failures of each failure signature keep their traces (``failures``),
    # the next KEEP_SCHEDULES only their schedule strings (``failing_schedules``), the rest a count.
    failures: list[Failure] = field(default_factory=list)
    failing_schedules: dict[str, list[str]] = field(default_factory=dict)
    failure_counts: dict[str, int] = field(default_factory=dict)
    first_failure_after: int | None = None
    time_to_first_failure: float | None = None
    stats: ExplorationStats = field(default_factory=ExplorationStats)
    # Escapes from the scheduler let through by ``uncontrolled="warn"``, one per distinct message.
    warnings: list[str] = field(default_factory=list)
    spec: RunSpec | None = None

    @property
    def failures_found(self) -> int:
        """Failing runs, kept or not."""
        return sum(self.failure_counts.values())

    @property
    def passed(self) -> bool:
        return self.failure is None

    @property
    def refused(self) -> bool:
        """The run was refused: the code escaped the scheduler before any failure.

        ``failure.error`` is then the ``RunRefused`` (a native thread, real
        socket, subprocess, second hub, fd wait or tpool call).  It is no
        verdict on the race, neither FAIL nor pass: the CLI exits 125."""
        return self.failure is not None and isinstance(self.failure.error, RunRefused)

    def verdict(self) -> str:
        """``FAIL`` or ``pass`` with how it was decided (never a proof unless exhausted),
        or ``refused`` when the code escaped the scheduler."""
        return self._verdict() + self._warned()

    def _verdict(self) -> str:
        if self.failure is not None and self.refused:
            error = self.failure.error
            return (f"refused, no verdict: {type(error).__name__} in {self.failure.thread} at schedule "
                    f"{self.first_failure_after} ({self.strategy}, {self.model}): {_first_line(error)}")
        if self.failure is not None:
            return f"FAIL after {self.first_failure_after} schedule(s) ({self.strategy}, {self.model})"
        if self.decisions == 0:
            return (f"pass, but no decision was ever offered in {self.schedules_run} run(s): "
                    "nothing interleaved, so nothing was explored")
        if self.exhausted and not self.warnings:
            return f"pass, exhaustive proof: all {self.schedules_run} schedules ({self.model})"
        if self.exhausted:
            return f"pass in all {self.schedules_run} schedules ({self.model}), not a proof"
        return f"pass in {self.schedules_run} schedules, not exhaustive ({self.strategy}, {self.model})"

    def _warned(self) -> str:
        if not self.warnings:
            return ""
        return (f"; WARNING: {len(self.warnings)} uncontrolled-concurrency warning(s), the runs were "
                f"not fully under the scheduler's control (first: {self.warnings[0]})")


def refusal_advice(error: BaseException, warn_option: str | None = None) -> str:
    """What to do about a run refused with ``error`` (a ``RunRefused``), by what escaped.

    ``warn_option`` is how the caller spells ``uncontrolled="warn"`` (e.g.
    ``--uncontrolled warn``), or None where it does not apply (replay)."""
    if isinstance(error, TpoolRefused):
        return "run tpool calls inline (RACE_TPOOL=inline), or fake the call"
    if isinstance(error, HubBypassError):
        return "patch the socket out with a fake (for HTTP, a requests-mock adapter such as the fake ONTAP's)"
    if isinstance(error, StdinRefused):
        return "give the code its input in the test (monkeypatch builtins.input or sys.stdin)"
    fix = ("spawn greenthreads with eventlet.spawn inside the run, fake subprocesses, install hubs "
           "before the run")
    if warn_option is not None:
        fix += (f"; or let native threads and subprocesses through with {warn_option} (the verdict then "
                "warns that the runs were not fully controlled)")
    return fix


def _first_line(error: BaseException) -> str:
    lines = str(error).splitlines()
    return lines[0] if lines else ""


def explore(
    target: TargetSpec,
    *,
    strategy: str | Strategy | None = None,
    schedules: int | None = None,
    seed: int | None = None,
    preemption: str | None = None,
    max_steps: int | None = None,
    stop_on_failure: bool | None = None,
    until: float | None = None,
    settings: Settings | None = None,
    verify_determinism: bool | None = None,
    database: str | None = None,
    progress: Progress | None = None,
    uncontrolled: str | None = None,
    unobserved_exceptions: str | None = None,
    tpool: str | None = None,
    preempt_modules: Sequence[str] | None = None,
) -> Exploration:
    """Run up to ``schedules`` schedules of ``target`` and report the first failure.

    Failing schedules stored in the failure database (``database``, default
    ``Settings.database``; ``"off"`` disables it) are replayed first, and a new
    failure is stored.  ``progress`` is called with the exploration so far after
    every schedule.  ``verify_determinism`` replays every failing schedule twice
    more (NondeterminismDetected if a trace differs); ``uncontrolled`` is
    ``"error"`` (a native thread, real socket, subprocess or second hub fails
    the run) or ``"warn"`` (it is noted in the trace and ``Exploration.warnings``).
    ``unobserved_exceptions`` is ``"fail"`` (an exception eventlet would print as
    unhandled fails the run) or ``"ignore"``; ``tpool`` is ``"refuse"``
    (``eventlet.tpool.execute`` in a run fails it) or ``"inline"``.
    ``preempt_modules`` names packages whose every shared-memory access is a
    preemption point under the preemptive model (``harness/_engine/rewrite.py``).
    Every failure carries these options (``Failure.spec``), and its replay
    command spells them.
    """
    base = settings or Settings.from_env()
    chosen = base.with_overrides(
        strategy=strategy if isinstance(strategy, str) else None, schedules=schedules, seed=seed,
        preemption=preemption, max_steps=max_steps, stop_on_failure=stop_on_failure,
        verify_determinism=verify_determinism, database=database, uncontrolled=uncontrolled,
        unobserved_exceptions=unobserved_exceptions, tpool=tpool,
        preempt_modules=tuple(preempt_modules) if preempt_modules is not None else None,
    )
    resolved = resolve_target(target)
    spec = RunSpec.of(resolved, chosen, until=until)
    if strategy is None or isinstance(strategy, str):
        planner = registry.build(chosen.strategy, chosen.knobs())
    else:
        planner = strategy
    return _explore(resolved, planner, chosen, spec, progress)


def replay(
    target: TargetSpec, schedule: str | Schedule, *, max_steps: int | None = None, until: float | None = None,
    unobserved_exceptions: str | None = None, tpool: str | None = None, uncontrolled: str | None = None,
    preempt_modules: Sequence[str] | None = None, spec: RunSpec | None = None,
) -> RunResult:
    """Run one schedule exactly; warn (StaleSchedule) if the code changed since it was recorded.

    Pass the options the schedule was found with, or the failure's ``spec``
    (``Failure.spec``): a schedule found with ``tpool="inline"`` is refused under
    the default ``tpool="refuse"``.  ``until`` is the virtual-time horizon (the
    target's own by default); a periodic program needs it to end the same way.

    Raises ScheduleDivergence when the schedule asks for a choice the program
    no longer offers, or when it names another target.
    """
    parsed = schedule if isinstance(schedule, Schedule) else Schedule.parse(schedule)
    resolved = resolve_target(target)
    check_replayable(resolved, parsed)
    if spec is None:
        spec = RunSpec.of(resolved, Settings.from_env(), model=parsed.model)
    spec = spec.with_overrides(model=parsed.model, max_steps=max_steps, until=until, tpool=tpool,
                               unobserved_exceptions=unobserved_exceptions, uncontrolled=uncontrolled,
                               preempt_modules=preempt_modules)
    with environment(resolved, spec):
        result = run_once(resolved, ReplayStrategy(parsed.choices), spec)
    divergence = next((f.error for f in result.failures if isinstance(f.error, ScheduleDivergence)), None)
    if divergence is not None:
        raise divergence
    return result


def _explore(target: Target, strategy: Strategy, settings: Settings, spec: RunSpec,
             progress: Progress | None = None) -> Exploration:
    """Stored failures first, then the strategy's schedules."""
    model = spec.model.value
    started = time.perf_counter()
    name = strategy.name
    outcome = Exploration(target.name, model, name, None, 0, False, 0.0, spec=spec)
    database = FailureDatabase.from_setting(settings.database)

    def account(result: RunResult) -> None:
        _account(outcome, target, spec, result, started)
        if progress is not None:
            outcome.elapsed = time.perf_counter() - started
            progress(outcome)

    with environment(target, spec):
        if database is not None:
            _replay_stored(database, target, spec, outcome, account, settings.stop_on_failure)
        if outcome.failure is not None and settings.stop_on_failure:
            outcome.strategy = f"{name}, not started: a stored failing schedule reproduced first"
        else:
            _run_strategy(target, strategy, settings, spec, outcome, account)
    if database is not None and outcome.failure is not None and not outcome.refused:
        database.save(outcome.failure.schedule, outcome.failure.error)
        outcome.stats.database["saved"] = outcome.failure.schedule
    if database is not None and database.error is not None:
        outcome.stats.database["error"] = database.error
    outcome.elapsed = time.perf_counter() - started
    return outcome


def _run_strategy(target: Target, strategy: Strategy, settings: Settings, spec: RunSpec,
                  outcome: Exploration, account: Callable[[RunResult], None]) -> None:
    """Run the strategy's schedules.  A strategy that ``continues_after_failure`` (a
    search that shrinks, Hypothesis) runs until it says it is done, and its last failing
    run is the one reported, finished by the harness's shrink passes from ``finish_from``;
    any strategy with ``close`` is closed however the loop ends."""
    config = spec.config(target)
    shrinking = bool(getattr(strategy, "continues_after_failure", False))
    last: RunResult | None = None
    try:
        while shrinking or outcome.schedules_run < settings.schedules:
            if not strategy.new_execution():
                break
            result = run_once(target, strategy, config)
            if result.failure is not None and settings.verify_determinism and not shrinking:
                _verify(target, spec, result)
            account(result)
            last = result if result.failure is not None else last
            if outcome.failure is not None and settings.stop_on_failure and not shrinking:
                break
            if _harness_error(result):
                break
    finally:
        close = getattr(strategy, "close", None)
        if callable(close):
            close()
    outcome.exhausted = strategy.exhausted
    outcome.strategy = strategy.describe()
    if shrinking and last is not None:
        _report_shrunk(target, strategy, spec, last, outcome)
    counters = getattr(strategy, "counters", None)
    if callable(counters):
        outcome.stats.strategy = dict(counters())


def _report_shrunk(target: Target, strategy: Strategy, spec: RunSpec, last: RunResult,
                   outcome: Exploration) -> None:
    """Report the shrinking search's last failing run, finished by the named passes."""
    from harness._search.shrink import shrink_installed

    best = last
    choices = getattr(strategy, "finish_from", lambda: None)()
    if choices is not None and not _harness_error(last):
        schedule = Schedule(target.name, spec.model, target.fingerprint, choices)
        budget = int(getattr(strategy, "finish_budget", 300))
        try:
            best = shrink_installed(target, schedule, spec.config(target), budget)[1]
        except Exception:  # noqa: BLE001 - the search's own result still stands
            best = last
    failure = failure_of(target, spec, best)
    if failure is not None:
        outcome.failure = failure
        outcome.stats.failing_preemptions = failure.preemptions
        outcome.stats.failing_decisions = best.decisions
    outcome.strategy = f"{strategy.describe()} ({outcome.schedules_run} runs, shrinking included)"


def _replay_stored(database: FailureDatabase, target: Target, spec: RunSpec,
                   outcome: Exploration, account: Callable[[RunResult], None], stop: bool) -> None:
    """Replay the database's schedules for this code; drop stale, fixed and diverging ones."""
    pending = database.pending(target.name, target.fingerprint, spec.model.value)
    info = outcome.stats.database
    info.update(path=str(database.root), replayed=0, reproduced=0, dropped=0,
                stale=[entry.schedule for entry in pending.stale])
    config = spec.config(target)
    for stored in pending.replay:
        result = run_once(target, ReplayStrategy(Schedule.parse(stored.schedule).choices), config)
        info["replayed"] += 1
        if any(isinstance(f.error, ScheduleDivergence) for f in result.failures):
            database.discard(stored.schedule)
            info["dropped"] += 1
            continue
        account(result)
        if result.failure is None:
            database.discard(stored.schedule)
            info["dropped"] += 1
        else:
            info["reproduced"] += 1
            if stop:
                return


def _verify(target: Target, spec: RunSpec, result: RunResult) -> None:
    """Replay a failing run twice more; raise NondeterminismDetected on any difference."""
    schedule = schedule_of(target, spec.model, result)
    replays = [run_once(target, ReplayStrategy(schedule.choices), spec) for _ in range(2)]
    check_same(schedule.encode(), result, replays)


def _account(outcome: Exploration, target: Target, spec: RunSpec, result: RunResult, started: float) -> None:
    outcome.schedules_run += 1
    outcome.decisions += result.decisions
    outcome.max_decisions = max(outcome.max_decisions, result.decisions)
    outcome.stats.record(result)
    if spec.uncontrolled is Uncontrolled.WARN:  # only "warn" lets an escape through with a "warning" note
        for event in result.trace.events:
            if event.kind == "warning" and event.detail not in outcome.warnings:
                outcome.warnings.append(event.detail)
    failure = failure_of(target, spec, result)
    if failure is None:
        return
    _keep(outcome, failure)
    if outcome.failure is None:
        outcome.failure = failure
        outcome.first_failure_after = outcome.schedules_run
        outcome.time_to_first_failure = time.perf_counter() - started
        if outcome.refused:
            outcome.stats.record_refusal()
        else:
            outcome.stats.record_failure(result, outcome.time_to_first_failure)


KEEP_TRACES = 10
KEEP_SCHEDULES = 1000


def _keep(outcome: Exploration, failure: Failure) -> None:
    """Count ``failure`` under its signature; keep its trace, or its schedule, while the caps allow."""
    key = signature_of(failure.error, failure.trace).describe()
    seen = outcome.failure_counts.get(key, 0)
    outcome.failure_counts[key] = seen + 1
    if seen < KEEP_TRACES:
        outcome.failures.append(failure)
    elif seen < KEEP_TRACES + KEEP_SCHEDULES:
        outcome.failing_schedules.setdefault(key, []).append(failure.schedule)
    kept_traces = len(outcome.failures)
    kept_schedules = sum(len(v) for v in outcome.failing_schedules.values())
    outcome.stats.failures = {"found": outcome.failures_found, "kept_with_traces": kept_traces,
                              "kept_as_schedules": kept_schedules,
                              "counted_only": outcome.failures_found - kept_traces - kept_schedules,
                              "signatures": dict(outcome.failure_counts)}


def _harness_error(result: RunResult) -> bool:
    """A divergence or a refusal (the code escaped the scheduler): exploring on is pointless."""
    first = result.failure
    return first is not None and isinstance(first.error, ScheduleDivergence | RunRefused)
