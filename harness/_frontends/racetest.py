"""Running one pytest race test: its plan, the ``race`` fixture object, the leak guard.

The pytest hooks live in ``harness._frontends.pytest_plugin``; this module holds what a
race test does once pytest has set up its fixtures: resolve the settings
(command line > marker > ini > ``RACE_*`` environment > defaults), turn the
test function into a harness ``Target``, explore (or replay) it, and turn a
failure into a proof report.  It imports eventlet, so the plugin imports it
only when a race test runs.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import eventlet
from eventlet import event, greenthread, hubs, queue

from harness._engine import points
from harness._errors import HarnessError
from harness._options import RUN_OPTIONS, Model
from harness._report import ProofReport, Section, build_report, shell_quote, shrink_schedule
from harness._schedule import Schedule
from harness._search.explore import Exploration, explore, refusal_advice, replay
from harness._search.failures import Failure
from harness._search.recheck import INCONCLUSIVE, REFUSED, recheck
from harness._search.session import RunSpec
from harness._settings import Settings
from harness._targets import Target, fingerprint_of
from harness.strategies import registry

# Strategies whose schedule N is drawn from its own seeded stream, so shards
# with disjoint schedule ranges explore disjoint streams.  (PCT also learns the
# number of decisions from earlier runs, so its shard schedules are not
# byte-identical to the same numbers in one unsharded run.)
SHARDABLE = registry.shardable()


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``: a disjoint range of schedule numbers."""

    index: int
    count: int

    @property
    def id(self) -> str:
        return f"shard{self.index + 1}of{self.count}"

    def range(self, schedules: int) -> tuple[int, int]:
        return (schedules * self.index // self.count, schedules * (self.index + 1) // self.count)

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


@dataclass
class RacePlan:
    """How one race test item explores: fully resolved, nothing left to look up."""

    target_name: str
    nodeid: str
    strategy: str
    schedules: int
    seed: int
    preemption: str
    seed_source: str = "default"
    shard: Shard | None = None
    replay: str | None = None
    until: float | None = None
    max_steps: int | None = None
    instrument: Callable[[], Any] | None = None
    secrets: tuple[str, ...] = ()
    database: str = "off"
    # RunSpec options (tpool, uncontrolled, unobserved_exceptions) set on the marker; the others
    # come from RACE_* variables, which the printed replay command then spells out.
    options: dict[str, Any] = field(default_factory=dict)

    def spec(self) -> RunSpec:
        """The options every run of this test is made with: marker > RACE_* > defaults."""
        settings = Settings.from_env()
        base = RunSpec(self.target_name, Model(self.preemption), settings.tpool, settings.uncontrolled,
                       settings.unobserved_exceptions, self.until, self.max_steps or settings.max_steps,
                       preempt_modules=settings.preempt_modules, clock_audit=settings.clock_audit)
        return base.with_overrides(**self.options)

    def replay_environment(self) -> str:
        """``RACE_X=value `` for each non-default option that came from the environment."""
        spec, default = self.spec(), RunSpec(self.target_name)
        words = [f"RACE_{o.field.upper()}={_env_value(getattr(spec, o.field))}" for o in RUN_OPTIONS
                 if o.field not in self.options and o.field not in ("until", "max_steps")
                 and getattr(spec, o.field) != getattr(default, o.field)]
        return "".join(word + " " for word in words)

    @property
    def first(self) -> int:
        return self.shard.range(self.schedules)[0] if self.shard else 0

    @property
    def count(self) -> int:
        if self.shard is None:
            return self.schedules
        start, end = self.shard.range(self.schedules)
        return end - start


@dataclass
class RaceResult:
    """What a race test item found; becomes ``user_properties`` and the summary."""

    plan: RacePlan
    schedules_run: int = 0
    exhausted: bool = False
    verdict: str = ""
    failure: Failure | None = None
    found_at: int | None = None
    report: ProofReport | None = None
    report_dir: str | None = None
    skipped: str | None = None
    refused: str | None = None  # the code escaped the scheduler: why there is no verdict, what to do

    def properties(self) -> list[tuple[str, object]]:
        plan = self.plan
        props: list[tuple[str, object]] = [
            ("race_nodeid", plan.nodeid), ("race_target", plan.target_name),
            ("race_seed", plan.seed), ("race_strategy", plan.strategy),
            ("race_preemption", plan.preemption), ("race_schedules", plan.count),
            ("race_first_schedule", plan.first), ("race_schedules_run", self.schedules_run),
            ("race_exhausted", self.exhausted), ("race_verdict", self.verdict),
            ("race_failed", self.failure is not None),
        ]
        if plan.shard is not None:
            props.append(("race_shard", str(plan.shard)))
        if self.refused is not None:
            props.append(("race_refused", self.refused.splitlines()[0][:300]))
        if plan.replay is not None:
            props.append(("race_replayed", plan.replay))
        if self.report is not None:
            props += [("race_schedule", self.report.schedule), ("race_error", _first_line(self.report)),
                      ("race_found_at", self.found_at if self.found_at is not None else ""),
                      ("race_replay", replay_command(plan.nodeid, self.report.schedule,
                                                     plan.replay_environment()))]
        if self.report_dir is not None:
            props.append(("race_report_dir", self.report_dir))
        # plain values only: xdist ships them between processes and junit writes them out
        return [(key, value.value if isinstance(value, Enum) else value) for key, value in props]


class RaceContext:
    """The ``race`` fixture: the run a race test's body is part of.

    ``spawn``/``gather`` start greenthreads of the run, ``yield_point`` offers a
    preemption (preemptive model), ``note`` adds to the trace, ``section``
    attaches a block of text to the failure report.  ``index`` is the number
    of the schedule being run (counted over all shards), ``schedule`` the
    choices made so far in this run.  While a failure is shrunk and replayed
    for its report, ``index`` stays the number of the schedule that failed (0
    under ``--race-replay``), so a body that uses it fails the same way.
    """

    def __init__(self, plan: RacePlan | None = None) -> None:
        self.plan = plan
        self.index = -1
        self.runs = 0
        self.sections: list[Section] = []
        self.result: RaceResult | None = None
        self.frozen: int | None = None

    # -- what the plugin calls ----------------------------------------------------
    def begin_schedule(self) -> None:
        first = self.plan.first if self.plan else 0
        self.index = self.frozen if self.frozen is not None else first + self.runs
        self.runs += 1
        self.sections = []

    # -- the fixture's API --------------------------------------------------------
    @property
    def seed(self) -> int | None:
        return self.plan.seed if self.plan else None

    @property
    def strategy(self) -> str | None:
        return self.plan.strategy if self.plan else None

    @property
    def preemption(self) -> str | None:
        return self.plan.preemption if self.plan else None

    @property
    def replaying(self) -> str | None:
        """The schedule given with ``--race-replay``, or None while exploring."""
        return self.plan.replay if self.plan else None

    @property
    def shard(self) -> Shard | None:
        return self.plan.shard if self.plan else None

    @property
    def schedule(self) -> Schedule | None:
        """The choices this run has made so far, as a schedule (None outside a run)."""
        run = points.active_run()
        if run is None or self.plan is None:
            return None
        choices = tuple(getattr(run, "choices", ()))
        return Schedule(self.plan.target_name, self.plan.preemption, "0", choices)

    def spawn(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> greenthread.GreenThread:
        """``eventlet.spawn`` for a greenthread of this run."""
        self._require_run("spawn")
        return eventlet.spawn(func, *args, **kwargs)

    def gather(self, *funcs: Callable[[], Any]) -> list[Any]:
        """Run each function in its own greenthread; wait for all; return their results.

        If some raised, the first one's exception is raised once all have ended.
        """
        self._require_run("gather")
        threads = [eventlet.spawn(func) for func in funcs]
        results: list[Any] = []
        first: BaseException | None = None
        for thread in threads:
            try:
                results.append(thread.wait())
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the others ended
                results.append(exc)
                first = first or exc
        if first is not None:
            raise first
        return results

    def yield_point(self, label: str) -> None:
        points.yield_point(label)

    def sleep(self, seconds: float = 0.0) -> None:
        eventlet.sleep(seconds)

    def note(self, kind: str, detail: str) -> None:
        points.note(kind, detail)

    def section(self, title: str, text: str) -> None:
        """Attach a titled block of text to this run's failure report."""
        self.sections.append(Section(title, text))

    def _require_run(self, what: str) -> None:
        if not points.in_run():
            raise HarnessError(f"race.{what}() works only inside the body of a race test, during a run")


# -- running an item --------------------------------------------------------------
def target_name(module: str, qualname: str) -> str:
    """``tests.test_x`` + ``TestA.test_b`` -> ``tests.test_x:TestA.test_b`` (schedule-safe)."""
    return ":".join(re.sub(r"[^A-Za-z0-9_.\-]", "_", part) for part in (module, qualname))


def _env_value(value: object) -> str:
    """How a RACE_* variable spells ``value`` (packages: comma-separated)."""
    return ",".join(value) if isinstance(value, tuple) else str(value)


def replay_command(nodeid: str, schedule: str, environment: str = "") -> str:
    """The pytest command that replays ``schedule`` of a race test; ``environment`` is the
    ``RACE_*=...`` prefix for options the marker does not set (``RacePlan.replay_environment``)."""
    return f"{environment}pytest {shell_quote(nodeid)} --race-replay={shell_quote(schedule)}"


def make_target(plan: RacePlan, body: Callable[[], object], module: object, context: RaceContext) -> Target:
    def race_body() -> None:
        context.begin_schedule()
        body()

    race_body.__qualname__ = plan.target_name
    return Target(plan.target_name, race_body, fingerprint_of(module), until=plan.until,
                  instrument=plan.instrument)


def run_item(plan: RacePlan, target: Target, context: RaceContext) -> RaceResult:
    """Explore (or replay) ``target`` as ``plan`` says; build the report of a failure."""
    result = RaceResult(plan)
    context.result = result
    with leak_guard(plan.nodeid):
        if plan.replay is not None:
            _replay(plan, target, result, context)
        else:
            _explore(plan, target, result)
        if result.failure is not None:
            result.report = _report(plan, target, context, result)
    return result


def _explore(plan: RacePlan, target: Target, result: RaceResult) -> None:
    strategy: Any = plan.strategy
    if plan.shard is not None:
        strategy = registry.build(plan.strategy, registry.Knobs(seed=plan.seed))
        strategy.runs = plan.first  # schedule numbers [first, first + count): disjoint per shard
    spec = plan.spec()
    outcome: Exploration = explore(
        target, strategy=strategy, schedules=plan.count, seed=plan.seed, preemption=plan.preemption,
        max_steps=spec.max_steps, stop_on_failure=True, database=plan.database, until=spec.until,
        tpool=spec.tpool, uncontrolled=spec.uncontrolled, unobserved_exceptions=spec.unobserved_exceptions,
        preempt_modules=spec.preempt_modules,
    )
    result.schedules_run = outcome.schedules_run
    result.exhausted = outcome.exhausted
    result.verdict = outcome.verdict()
    if outcome.refused and outcome.failure is not None:  # no race: no report, no schedule to replay
        at = plan.first + (outcome.first_failure_after or 1)
        result.refused = _refusal(outcome.failure, f"schedule {at} of {plan.schedules}, {plan.strategy}, "
                                  f"seed {plan.seed}, {plan.preemption}", "RACE_UNCONTROLLED=warn")
        return
    result.failure = outcome.failure
    if outcome.first_failure_after is not None:
        result.found_at = plan.first + outcome.first_failure_after


def _replay(plan: RacePlan, target: Target, result: RaceResult, context: RaceContext) -> None:
    assert plan.replay is not None
    context.frozen = 0
    checked = recheck(target, plan.replay, spec=plan.spec())
    result.schedules_run = 1 + checked.explored
    result.verdict = f"replay: {checked.verdict}"
    if checked.verdict == REFUSED and checked.failure is not None:
        result.refused = _refusal(checked.failure, "replaying --race-replay", None)
        return
    result.failure = checked.failure
    if checked.verdict == INCONCLUSIVE:
        result.skipped = f"the schedule does not fit this code: {checked.divergence}"


def _refusal(refused: Failure, how: str, warn_option: str | None) -> str:
    """Why a refused run fails the test without reporting a race, and what to do."""
    return (f"race-harness refused the run ({how}): {type(refused.error).__name__} in {refused.thread}: "
            f"{refused.error}\nThe code under test escaped the scheduler: this is no race and no "
            "verdict, and there is no schedule to replay. To explore it: "
            f"{refusal_advice(refused.error, warn_option)}")


def _report(plan: RacePlan, target: Target, context: RaceContext, result: RaceResult) -> ProofReport:
    assert result.failure is not None
    if result.found_at is not None:
        context.frozen = result.found_at - 1
    spec = plan.spec()
    shrunk = shrink_schedule(target, result.failure.schedule, spec)
    run = replay(target, shrunk.schedule, spec=spec)
    counts: dict[str, int | str | bool | None] = {
        "seed": plan.seed, "strategy": plan.strategy, "schedules_run": result.schedules_run,
        "found_at_schedule": result.found_at, "shard": str(plan.shard) if plan.shard else None,
        "pytest_node": plan.nodeid,
    }
    return build_report(
        target, shrunk.schedule, run, original_schedule=shrunk.original, shrink_status=shrunk.status,
        pytest_command=replay_command(plan.nodeid, shrunk.schedule, plan.replay_environment()),
        counts=counts, sections=context.sections, secrets=plan.secrets, spec=spec,
    )


def _first_line(report: ProofReport) -> str:
    if report.error is None:
        return ""
    lines = report.error.message.splitlines()
    return f"{report.error.type}: {lines[0] if lines else ''}"[:300]


# -- no leaks ---------------------------------------------------------------------
_PATCHED: list[tuple[object, str]] = [
    (time, "time"), (time, "monotonic"), (time, "perf_counter"),
    (event.Event, "send"), (greenthread.GreenThread, "wait"), (queue.LightQueue, "__init__"),
]


@dataclass
class _Snapshot:
    hub: object
    attributes: list[object]
    spawned: list[weakref.ref[greenthread.GreenThread]] = field(default_factory=list)


@contextmanager
def leak_guard(nodeid: str) -> Iterator[None]:
    """Fail (and clean up) if a race test leaves a hub, a patch or a greenthread behind."""
    before = _snapshot()
    with _watch_spawns(before.spawned):
        yield
    leaks = _leaks(before)
    if leaks:
        raise HarnessError(f"{nodeid} left harness state behind: {'; '.join(leaks)}. The harness "
                           "restored what it could; this is a harness bug, please report it.")


@contextmanager
def _watch_spawns(spawned: list[weakref.ref[greenthread.GreenThread]]) -> Iterator[None]:
    """Keep a weak reference to every GreenThread created meanwhile (cheaper than a gc scan)."""
    original = greenthread.GreenThread.__init__

    def init(self: greenthread.GreenThread, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        spawned.append(weakref.ref(self))

    greenthread.GreenThread.__init__ = init
    try:
        yield
    finally:
        greenthread.GreenThread.__init__ = original


def _snapshot() -> _Snapshot:
    hub = hubs._threadlocal.__dict__.get("hub")
    return _Snapshot(hub, [getattr(owner, name) for owner, name in _PATCHED])


def _leaks(before: _Snapshot) -> list[str]:
    found = []
    if hubs._threadlocal.__dict__.get("hub") is not before.hub:
        found.append("the eventlet hub was not restored")
        if before.hub is None:
            hubs._threadlocal.__dict__.pop("hub", None)
        else:
            hubs._threadlocal.hub = before.hub
    for (owner, name), value in zip(_PATCHED, before.attributes, strict=True):
        if getattr(owner, name) is not value:
            found.append(f"{getattr(owner, '__name__', owner)}.{name} is still patched")
            setattr(owner, name, value)
    if points.active_run() is not None:
        found.append("a run is still active")
        points._set_active(None)
    alive = [t for t in (ref() for ref in before.spawned) if t is not None and not t.dead]
    if alive:
        found.append(f"{len(alive)} greenthread(s) of the run are still alive")
    return found
