"""Run many schedules of one target: the public ``explore`` and ``replay``.

An exploration installs the harness's environment once (virtual clocks,
deterministic eventlet primitives, the target's instrumentation under the
preemptive model), runs schedules proposed by a strategy until one fails or
the budget or the space runs out, and restores everything on the way out,
whatever happened (failure, error, KeyboardInterrupt).
"""

from __future__ import annotations

import contextlib
import random
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from harness._engine.clock import audited, virtual_clocks
from harness._engine.patches import deterministic_eventlet
from harness._engine.refusals import guarded
from harness._engine.run import FailureRecord, Run, RunConfig, RunResult
from harness._engine.stdlib import controlled
from harness._engine.trace import Trace
from harness._errors import (
    HubBypassError,
    InvalidSetting,
    RunRefused,
    ScheduleDivergence,
    StaleSchedule,
    TpoolRefused,
)
from harness._schedule import Schedule
from harness._search.database import FailureDatabase
from harness._search.determinism import check_same
from harness._search.stats import ExplorationStats
from harness._settings import PREEMPTION_MODELS, UNCONTROLLED, Settings
from harness._targets import Target, resolve_target
from harness.strategies import ReplayStrategy, Strategy, make_strategy

TargetSpec = Target | str | Callable[[], object]
Progress = Callable[["Exploration"], None]
RUN_RANDOM_SEED = 0x5EED


@dataclass
class Failure:
    """A failing schedule with what it did: replay ``schedule`` to see it again."""

    schedule: str
    error: BaseException
    trace: Trace
    thread: str
    traceback: str
    others: list[FailureRecord] = field(default_factory=list)

    @property
    def preemptions(self) -> int:
        return Schedule.parse(self.schedule).preemptions

    def describe(self) -> str:
        """A multi-line account: error, where, the schedule and how to replay it."""
        target = Schedule.parse(self.schedule).target
        return "\n".join([
            f"{type(self.error).__name__} in {self.thread}: {self.error}",
            f"schedule: {self.schedule}",
            f"replay:   race-harness replay {target} {self.schedule}",
        ])


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
    failures: list[Failure] = field(default_factory=list)
    first_failure_after: int | None = None
    time_to_first_failure: float | None = None
    stats: ExplorationStats = field(default_factory=ExplorationStats)
    # Escapes from the scheduler let through by ``uncontrolled="warn"``, one per distinct message.
    warnings: list[str] = field(default_factory=list)

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
    """
    base = settings or Settings.from_env()
    chosen = base.with_overrides(
        strategy=strategy if isinstance(strategy, str) else None, schedules=schedules, seed=seed,
        preemption=preemption, max_steps=max_steps, stop_on_failure=stop_on_failure,
        verify_determinism=verify_determinism, database=database, uncontrolled=uncontrolled,
        unobserved_exceptions=unobserved_exceptions, tpool=tpool,
    )
    resolved = resolve_target(target)
    config = _config(resolved, chosen.preemption, chosen.max_steps, until, chosen.unobserved_exceptions)
    if strategy is None or isinstance(strategy, str):
        if chosen.strategy == "hypothesis":
            return _explore(resolved, None, chosen, config, progress)
        bound = chosen.preemption_bound if chosen.preemption_bound >= 0 else None
        planner = make_strategy(chosen.strategy, chosen.seed, pct_depth=chosen.pct_depth,
                                preemption_bound=bound, reduction=chosen.reduction)
    else:
        planner = strategy
    return _explore(resolved, planner, chosen, config, progress)


def replay(
    target: TargetSpec, schedule: str | Schedule, *, max_steps: int | None = None, until: float | None = None,
    unobserved_exceptions: str | None = None, tpool: str | None = None,
) -> RunResult:
    """Run one schedule exactly; warn (StaleSchedule) if the code changed since it was recorded.

    ``until`` is the virtual-time horizon the schedule was explored with (the
    target's own by default); a periodic program needs it to end the same way.

    Raises ScheduleDivergence when the schedule asks for a choice the program
    no longer offers, or when it names another target.
    """
    parsed = schedule if isinstance(schedule, Schedule) else Schedule.parse(schedule)
    resolved = resolve_target(target)
    if parsed.target != resolved.name:
        raise ScheduleDivergence(
            f"the schedule was recorded for target {parsed.target!r}, not {resolved.name!r}; "
            f"replay it with: race-harness replay {parsed.target} {parsed.encode()}"
        )
    if parsed.fingerprint != resolved.fingerprint:
        warnings.warn(StaleSchedule(
            f"schedule fingerprint {parsed.fingerprint} differs from the code's {resolved.fingerprint}: "
            "the target changed since the schedule was recorded, so the replay may diverge"
        ), stacklevel=2)
    chosen = Settings.from_env().with_overrides(unobserved_exceptions=unobserved_exceptions, tpool=tpool)
    config = _config(resolved, parsed.model, max_steps or Settings().max_steps, until,
                     chosen.unobserved_exceptions)
    with environment(resolved, parsed.model, tpool=chosen.tpool):
        result = run_once(resolved, ReplayStrategy(parsed.choices), config)
    divergence = next((f.error for f in result.failures if isinstance(f.error, ScheduleDivergence)), None)
    if divergence is not None:
        raise divergence
    return result


def schedule_of(target: Target, model: str, result: RunResult) -> Schedule:
    return Schedule(target.name, model, target.fingerprint, result.choices)


def failure_of(target: Target, model: str, result: RunResult) -> Failure | None:
    """The Failure a run produced, or None when it passed."""
    first = result.failure
    if first is None:
        return None
    schedule = schedule_of(target, model, result).encode()
    return Failure(schedule, first.error, result.trace, first.thread, first.traceback, result.failures[1:])


def run_once(target: Target, strategy: Strategy, config: RunConfig) -> RunResult:
    """One run of ``target`` under ``strategy``; the environment must be installed."""
    random.seed(RUN_RANDOM_SEED)
    run = Run(target.body, strategy, config)
    with audited(run):  # watches for real-clock reads (first run of an exploration by default)
        result = run.execute()
    strategy.end_execution(result.summary())
    return result


@contextlib.contextmanager
def environment(target: Target, model: str, uncontrolled: str = "error", *,
                tpool: str | None = None, clock_audit: str | None = None) -> Iterator[None]:
    """Everything a run needs, installed once per exploration and always undone.

    ``tpool`` and ``clock_audit`` default to ``Settings.from_env()``'s."""
    if model not in PREEMPTION_MODELS:
        raise InvalidSetting(f"preemption model {model!r} is not one of: {', '.join(PREEMPTION_MODELS)}")
    if uncontrolled not in UNCONTROLLED:
        raise InvalidSetting(f"uncontrolled {uncontrolled!r} is not one of: {', '.join(UNCONTROLLED)}")
    if tpool is None or clock_audit is None:
        defaults = Settings.from_env()
        tpool = tpool or defaults.tpool
        clock_audit = clock_audit or defaults.clock_audit
    with contextlib.ExitStack() as stack:
        stack.enter_context(_saved_global_random())
        stack.enter_context(virtual_clocks(audit=clock_audit))
        stack.enter_context(deterministic_eventlet())
        stack.enter_context(controlled(tpool))
        stack.enter_context(guarded(strict=uncontrolled == "error"))
        if target.instrument is not None and (model == "preemptive" or target.complete_footprints):
            stack.enter_context(target.instrument())
        yield


@contextlib.contextmanager
def _saved_global_random() -> Iterator[None]:
    """Each run reseeds the global generator (so code using it replays exactly);
    the caller's generator state is restored afterwards."""
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)


def _config(target: Target, model: str, max_steps: int, until: float | None,
            unobserved: str | None = None) -> RunConfig:
    """``unobserved`` (``unobserved_exceptions``) defaults to ``Settings.from_env()``'s."""
    horizon = until if until is not None else target.until
    if unobserved is None:
        unobserved = Settings.from_env().unobserved_exceptions
    return RunConfig(preemptive=(model == "preemptive"), max_steps=max_steps, until=horizon,
                     unobserved_exceptions=unobserved, complete_footprints=target.complete_footprints)


def _explore(target: Target, strategy: Strategy | None, settings: Settings, config: RunConfig,
             progress: Progress | None = None) -> Exploration:
    """Stored failures first, then the strategy's schedules (``None``: a Hypothesis search)."""
    model = settings.preemption
    started = time.perf_counter()
    name = strategy.name if strategy is not None else "hypothesis"
    outcome = Exploration(target.name, model, name, None, 0, False, 0.0)
    database = FailureDatabase.from_setting(settings.database)

    def account(result: RunResult) -> None:
        _account(outcome, target, model, result, started, settings.uncontrolled == "warn")
        if progress is not None:
            outcome.elapsed = time.perf_counter() - started
            progress(outcome)

    with environment(target, model, settings.uncontrolled, tpool=settings.tpool,
                     clock_audit=settings.clock_audit):
        if database is not None:
            _replay_stored(database, target, model, config, outcome, account, settings.stop_on_failure)
        if outcome.failure is not None and settings.stop_on_failure:
            outcome.strategy = f"{name}, not started: a stored failing schedule reproduced first"
        else:
            if strategy is None:
                _search_hypothesis(target, settings, config, outcome, account)
            else:
                _run_strategy(target, strategy, settings, config, outcome, account)
    if database is not None and outcome.failure is not None and not outcome.refused:
        database.save(outcome.failure.schedule, outcome.failure.error)
        outcome.stats.database["saved"] = outcome.failure.schedule
    if database is not None and database.error is not None:
        outcome.stats.database["error"] = database.error
    outcome.elapsed = time.perf_counter() - started
    return outcome


def _run_strategy(target: Target, strategy: Strategy, settings: Settings, config: RunConfig,
                  outcome: Exploration, account: Callable[[RunResult], None]) -> None:
    model = settings.preemption
    for _ in range(settings.schedules):
        if not strategy.new_execution():
            break
        result = run_once(target, strategy, config)
        if result.failure is not None and settings.verify_determinism:
            _verify(target, model, config, result)
        account(result)
        if outcome.failure is not None and settings.stop_on_failure:
            break
        if _harness_error(result):
            break
    outcome.exhausted = strategy.exhausted
    outcome.strategy = strategy.describe()
    counters = getattr(strategy, "counters", None)
    if callable(counters):
        outcome.stats.strategy = dict(counters())


def _search_hypothesis(target: Target, settings: Settings, config: RunConfig, outcome: Exploration,
                       account: Callable[[RunResult], None]) -> None:
    """Hypothesis drives the runs and shrinks a failure; report the shrunk one."""
    from harness.strategies.hypothesis import search

    shrunk = search(target, settings, config, account)
    outcome.strategy = f"hypothesis ({outcome.schedules_run} runs, shrinking included)"
    failure = failure_of(target, settings.preemption, shrunk) if shrunk is not None else None
    if failure is not None:
        outcome.failure = failure
        outcome.stats.failing_preemptions = failure.preemptions
        outcome.stats.failing_decisions = shrunk.decisions if shrunk is not None else None


def _replay_stored(database: FailureDatabase, target: Target, model: str, config: RunConfig,
                   outcome: Exploration, account: Callable[[RunResult], None], stop: bool) -> None:
    """Replay the database's schedules for this code; drop stale, fixed and diverging ones."""
    pending = database.pending(target.name, target.fingerprint, model)
    info = outcome.stats.database
    info.update(path=str(database.root), replayed=0, reproduced=0, dropped=0,
                stale=[entry.schedule for entry in pending.stale])
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


def _verify(target: Target, model: str, config: RunConfig, result: RunResult) -> None:
    """Replay a failing run twice more; raise NondeterminismDetected on any difference."""
    schedule = schedule_of(target, model, result)
    replays = [run_once(target, ReplayStrategy(schedule.choices), config) for _ in range(2)]
    check_same(schedule.encode(), result, replays)


def _account(outcome: Exploration, target: Target, model: str, result: RunResult, started: float,
             warned: bool = False) -> None:
    outcome.schedules_run += 1
    outcome.decisions += result.decisions
    outcome.max_decisions = max(outcome.max_decisions, result.decisions)
    outcome.stats.record(result)
    if warned:  # only uncontrolled="warn" lets an escape through with a "warning" note
        for event in result.trace.events:
            if event.kind == "warning" and event.detail not in outcome.warnings:
                outcome.warnings.append(event.detail)
    failure = failure_of(target, model, result)
    if failure is None:
        return
    outcome.failures.append(failure)
    if outcome.failure is None:
        outcome.failure = failure
        outcome.first_failure_after = outcome.schedules_run
        outcome.time_to_first_failure = time.perf_counter() - started
        if outcome.refused:
            outcome.stats.record_refusal()
        else:
            outcome.stats.record_failure(result, outcome.time_to_first_failure)


def _harness_error(result: RunResult) -> bool:
    """A divergence or a refusal (the code escaped the scheduler): exploring on is pointless."""
    first = result.failure
    return first is not None and isinstance(first.error, ScheduleDivergence | RunRefused)
