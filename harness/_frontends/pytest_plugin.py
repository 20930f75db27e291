"""pytest plugin: ``@pytest.mark.race`` turns a test into a race exploration.

::

    @pytest.mark.race(schedules=500, strategy="random", preemption="cooperative", seed=0)
    def test_two_clients(race, fake_server):
        client = Client(fake_server.url)
        race.gather(lambda: client.get("svm-a"), lambda: client.get("svm-b"))
        assert not fake_server.journal.violations()

The body runs under the harness once per schedule (greenthread ``gt0`` of
each run); the first failing schedule fails the test with the error, the
(shrunk) schedule, the trace as a timeline with one column per greenthread,
and the violating requests.  The summary lists every race found with the
command that replays it: ``pytest 'NODEID' --race-replay='rh1:...'``.

Marker arguments: ``schedules``, ``strategy`` (random, dfs, pct, hypothesis
when installed), ``preemption`` (cooperative, preemptive), ``seed``,
``shards`` (split the schedules into N items with disjoint schedule ranges,
for ``pytest -n``; random strategy only), ``until`` (virtual-time horizon),
``max_steps``, ``instrument`` (a zero-argument callable returning the context
manager that installs preemption points, for the preemptive model) and
``secrets`` (strings masked in every report).

Settings come from, first match wins: the command line (``--race-*``), the
marker, the ini file (``race_*``), the ``RACE_*`` environment variables, the
defaults.  The seed also falls back to pytest-randomly's seed when that plugin
is active; the header shows the seed in force and where it came from.

The failure database (``harness._search.database``) is off for race tests, so a run
depends on nothing but its settings; set ``RACE_DATABASE=DIR`` to turn it on
(never for shards, which must run exactly their own range).

Fixtures are set up once per test, not once per schedule, and every schedule
shares them.  So a fixture must not hold state the body mutates unless the
body resets it first (create per-schedule state inside the body, or have the
fixture return a factory); must not spawn greenthreads, open sockets or
start timers (they would live outside the run: the harness refuses real I/O);
and must not hold eventlet objects with waiters left over (an ``Event``
already sent, a queue with blocked getters).  Immutable data, factories, and
fakes that the body resets are fine.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness._frontends import marker_values as values
from harness._options import RUN_OPTIONS, Model
from harness.strategies import registry

if TYPE_CHECKING:
    from harness._frontends.racetest import RaceContext, RacePlan, RaceResult

GROUP = "race-harness"
MODELS = Model.values()
# The RunSpec options a marker may set besides until/max_steps (RUN_OPTIONS is their one table).
SPEC_KEYS = tuple(o.field for o in RUN_OPTIONS if o.field not in ("until", "max_steps"))
MARKER_KEYS = {"schedules", "strategy", "preemption", "seed", "shards", "until", "max_steps",
               "instrument", "secrets", *SPEC_KEYS}
MARKER = ("race(schedules=None, strategy=None, preemption=None, seed=None, shards=1, until=None, "
          f"max_steps=None, instrument=None, secrets=(), {', '.join(k + '=None' for k in SPEC_KEYS)}): "
          "run the test body under the race harness once per schedule")

_base_key = pytest.StashKey["_Base"]()
_context_key = pytest.StashKey["RaceContext"]()


class RaceFound(AssertionError):
    """A race test found a failing schedule; carries what the report shows."""

    def __init__(self, message: str, sections: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.message = message
        self.sections = sections


class _Base:
    """The session's settings before any marker: command line > ini > environment > default."""

    def __init__(self, config: pytest.Config) -> None:
        from harness._settings import Settings

        try:
            env = Settings.from_env()
        except Exception as exc:  # noqa: BLE001 - InvalidSetting, shown as a usage error
            raise pytest.UsageError(f"race-harness: {exc}") from None
        self.cli: dict[str, Any] = {}
        self.values: dict[str, Any] = {}
        for name, convert in (("schedules", values.positive), ("strategy", values.strategy),
                              ("seed", values.seed), ("preemption", values.model)):
            given = config.getoption(f"race_{name}")
            ini = _ini(config, f"race_{name}")
            if given is not None:
                self.cli[name] = given
            self.values[name] = given if given is not None else (
                values.convert(f"ini race_{name}", ini, convert) if ini is not None else getattr(env, name))
        self.seed_source = _seed_source(config, env)
        if self.seed_source == "pytest-randomly":
            self.values["seed"] = int(config.getoption("randomly_seed"))
        self.replay = config.getoption("race_replay") or _ini(config, "race_replay")
        report_dir = config.getoption("race_report_dir") or _ini(config, "race_report_dir")
        self.report_dir = Path(report_dir).resolve() if report_dir else None
        if self.replay:
            from harness._errors import InvalidSchedule
            from harness._schedule import Schedule

            try:
                Schedule.parse(self.replay)
            except InvalidSchedule as exc:
                raise pytest.UsageError(f"--race-replay: {exc}") from None

    def header(self) -> str:
        v = self.values
        line = (f"race-harness: seed={v['seed']} ({self.seed_source}), strategy={v['strategy']}, "
                f"schedules={v['schedules']}, preemption={v['preemption']}")
        if self.replay:
            line += f", replaying {self.replay}"
        return line


# -- options --------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "race-harness: deterministic race exploration of eventlet code")
    group.addoption("--race-schedules", type=values.option(values.positive), default=None, metavar="N",
                    help="schedules per race test (overrides the marker; ini race_schedules)")
    group.addoption("--race-strategy", choices=registry.names(), default=None,
                    help="exploration strategy (overrides the marker; ini race_strategy)")
    group.addoption("--race-seed", type=values.option(values.seed), default=None, metavar="N",
                    help="seed of seeded strategies (overrides the marker; ini race_seed)")
    group.addoption("--race-preemption", choices=MODELS, default=None,
                    help="preemption model (overrides the marker; ini race_preemption)")
    group.addoption("--race-replay", default=None, metavar="SCHEDULE",
                    help="run just this schedule in the race test it belongs to (others are skipped)")
    group.addoption("--race-report-dir", default=None, metavar="DIR",
                    help="write a proof bundle for every race found into DIR/<test>/")
    for name, what in (("schedules", "schedules per race test"), ("strategy", "exploration strategy"),
                       ("seed", "seed"), ("preemption", "preemption model"),
                       ("replay", "schedule to replay"), ("report_dir", "proof bundle directory")):
        parser.addini(f"race_{name}", f"race-harness: {what}", type="string", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    config.stash[_base_key] = _Base(config)
    config.pluginmanager.register(_Summary(config), "race-harness-summary")


def _base(config: pytest.Config) -> _Base:
    base = config.stash.get(_base_key, None)
    if base is None:
        base = config.stash[_base_key] = _Base(config)
    return base


def pytest_report_header(config: pytest.Config) -> str:
    return _base(config).header()


# -- collection: shards -----------------------------------------------------------------
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("race")
    if marker is None:
        return
    _check_marker(marker, metafunc.definition.nodeid)
    shards = marker.kwargs.get("shards", 1)
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: race(shards=...) must be a whole number >= 1")
    base = _base(metafunc.config)
    if shards == 1 or base.replay:
        return
    strategy = base.cli.get("strategy") or marker.kwargs.get("strategy") or base.values["strategy"]
    from harness._frontends.racetest import SHARDABLE, Shard

    if strategy not in SHARDABLE:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: race(shards={shards}) needs a strategy whose schedule N does "
            f"not depend on the others ({', '.join(SHARDABLE)}); {strategy!r} explores in order. "
            "Drop shards= or use strategy='random'.")
    params = [Shard(i, shards) for i in range(shards)]
    metafunc.parametrize("race_shard", params, ids=[p.id for p in params])


@pytest.fixture(autouse=True)
def race_shard(request: pytest.FixtureRequest) -> object:
    """The shard of a sharded race test (``race(shards=N)``), else None."""
    return getattr(request, "param", None)


@pytest.fixture
def race(request: pytest.FixtureRequest) -> RaceContext:
    """The run a race test's body is part of: spawn helpers, yield_point, the schedule."""
    if request.node.get_closest_marker("race") is None:
        pytest.fail("the `race` fixture works only in a test marked @pytest.mark.race(...)", pytrace=False)
    from harness._frontends.racetest import RaceContext

    context = RaceContext()
    request.node.stash[_context_key] = context
    return context


# -- running -----------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> object | None:
    marker = pyfuncitem.get_closest_marker("race")
    if marker is None:
        return None
    from harness._frontends.racetest import RaceContext, make_target, run_item
    from harness._schedule import Schedule

    plan = _plan(pyfuncitem, marker)
    if plan.replay is not None:
        wanted = Schedule.parse(plan.replay).target
        if wanted != plan.target_name:
            pytest.skip(f"--race-replay replays a schedule of {wanted}, "
                        f"not of this test ({plan.target_name})")
    context = pyfuncitem.stash.get(_context_key, None) or RaceContext()
    context.plan = plan
    testfunction = pyfuncitem.obj
    funcargs = pyfuncitem.funcargs
    testargs = {arg: funcargs[arg] for arg in pyfuncitem._fixtureinfo.argnames}
    target = make_target(plan, lambda: testfunction(**testargs), pyfuncitem.module, context)
    result = run_item(plan, target, context)
    pyfuncitem.user_properties.extend(result.properties())
    if result.refused is not None:
        pytest.fail(result.refused, pytrace=False)
    if result.skipped is not None and result.failure is None:
        pytest.skip(result.skipped)
    if result.report is not None:
        _fail(pyfuncitem, result)
    return True


def _plan(item: pytest.Function, marker: pytest.Mark) -> RacePlan:
    from harness._frontends.racetest import RacePlan, target_name

    base = _base(item.config)
    kw = marker.kwargs

    def pick(name: str, convert: Any) -> Any:
        if name in base.cli:
            return base.cli[name]
        if kw.get(name) is not None:
            return values.convert(f"race({name}=...)", kw[name], convert)
        return base.values[name]

    callspec = getattr(item, "callspec", None)
    shard = callspec.params.get("race_shard") if callspec is not None else None
    seed_source = base.seed_source if "seed" in base.cli or kw.get("seed") is None else "marker"
    secrets = kw.get("secrets", ())
    return RacePlan(
        target_name=target_name(item.module.__name__, item.function.__qualname__),
        nodeid=_base_nodeid(item.nodeid, shard.id if shard is not None else None),
        strategy=pick("strategy", values.strategy), schedules=pick("schedules", values.positive),
        seed=pick("seed", values.seed), preemption=pick("preemption", values.model), seed_source=seed_source,
        shard=shard, replay=base.replay or None, until=kw.get("until"), max_steps=kw.get("max_steps"),
        instrument=kw.get("instrument"), secrets=tuple(secrets),
        database=os.environ.get("RACE_DATABASE", "off") if shard is None else "off",
        options=values.spec_options(kw),
    )


def _fail(item: pytest.Function, result: RaceResult) -> None:
    from harness._report import text_timeline, violations_text, write_bundle

    report = result.report
    assert report is not None and report.error is not None
    base = _base(item.config)
    if base.report_dir is not None:
        directory = base.report_dir / _slug(result.plan.nodeid)
        write_bundle(report, directory, pytest_nodeid=result.plan.nodeid, rootdir=str(item.config.rootpath))
        result.report_dir = str(directory)
        item.user_properties.append(("race_report_dir", str(directory)))
    width = max(120, item.config.get_terminal_writer().fullwidth)
    sections = [("race timeline", text_timeline(report, width=width))]
    violations = report.violations()
    if violations:
        sections.append(("race violations", violations_text(report)))
    sections += [(f"race: {s.title}", s.text) for s in report.sections]
    raise RaceFound(_message(result), sections)


def _message(result: RaceResult) -> str:
    report, plan = result.report, result.plan
    assert report is not None and report.error is not None
    if plan.replay is not None:
        how = f"replaying --race-replay ({result.verdict})"
    else:
        at = f"schedule {result.found_at} of {plan.schedules}" if result.found_at else "a schedule"
        shard = f", shard {plan.shard}" if plan.shard else ""
        how = f"found at {at} ({plan.strategy}, seed {plan.seed}, {plan.preemption}{shard})"
    lines = [
        f"race found: {report.error.type} in {report.error.thread}: {report.error.message}",
        f"  {how}",
        f"  schedule: {report.schedule}",
        f"  shrink:   {report.shrink_status}",
        f"  replay:   {report.pytest_command}",
    ]
    if result.report_dir:
        lines.append(f"  report:   {result.report_dir}")
    violations = report.violations()
    if violations:
        lines.append(f"  {len(violations)} violating request(s), first: {violations[0].event.detail}")
    if report.error.traceback.strip():
        lines += ["", f"traceback of {report.error.thread}, the greenthread that failed:",
                  report.error.traceback]
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    excinfo = call.excinfo
    if call.when == "call" and excinfo is not None and isinstance(excinfo.value, RaceFound):
        found = excinfo.value
        if report.failed:
            report.longrepr = found.message
        for title, text in found.sections:
            report.sections.append((title, text))
    return report


# -- summary ---------------------------------------------------------------------------------
class _Summary:
    """Collects the race tests' results (also from xdist workers) and prints the summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        props = dict(report.user_properties)
        if "race_target" in props:
            self.records.append(props | {"outcome": report.outcome})

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.records:
            return
        terminalreporter.write_sep("=", "race-harness")
        for line in summary_lines(self.records, _base(self.config)):
            red = line.startswith(("RACE", "REFUSED"))
            terminalreporter.write_line(line, red=red, bold=red)


def summary_lines(records: list[dict[str, Any]], base: _Base) -> list[str]:
    """One block per race test (shards merged): the races found with their replay commands."""
    by_test: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_test[str(record["race_nodeid"])].append(record)
    found = [n for n, rs in by_test.items() if any(r.get("race_failed") for r in rs)]
    refused = [n for n, rs in by_test.items() if any(r.get("race_refused") for r in rs)]
    total = sum(int(r.get("race_schedules_run", 0)) for r in records)
    lines = [f"seed {base.values['seed']} ({base.seed_source}): {len(by_test)} race test(s), "
             f"{len(found)} found a race, " + (f"{len(refused)} refused, " if refused else "")
             + f"{_count(total)} run"]
    for nodeid in sorted(by_test):  # xdist reports arrive in any order
        group = sorted(by_test[nodeid], key=lambda r: int(r.get("race_first_schedule", 0)))
        lines += _test_lines(nodeid, group)
    return lines


def _test_lines(nodeid: str, group: list[dict[str, Any]]) -> list[str]:
    run = sum(int(r.get("race_schedules_run", 0)) for r in group)
    budget = sum(int(r.get("race_schedules", 0)) for r in group)
    exhausted = all(r.get("race_exhausted") in (True, "True") for r in group)
    whole = first_replayed(group) or exhausted or run >= budget
    ran = _count(run) if whole else f"{run} of {budget} schedules"
    shards = {r.get("race_shard") for r in group if r.get("race_shard")}
    first = group[0]
    how = f"{first['race_strategy']}, seed {first['race_seed']}, {first['race_preemption']}"
    merged = f", {len(shards)} shards merged" if shards else ""
    failing = [r for r in group if r.get("race_failed")]
    refused = [r for r in group if r.get("race_refused")]
    if refused and not failing:
        return [f"REFUSED {nodeid}: {refused[0]['race_refused']}",
                f"    {ran} ({how}{merged}); no verdict: the code escaped the scheduler"]
    if not failing:
        verdict = "replayed, passed" if first.get("race_replayed") else (
            "exhaustive" if exhausted else "not exhaustive")
        return [f"pass {nodeid}: {ran} ({how}{merged}), {verdict}"]
    lines = [f"RACE {nodeid}: {failing[0].get('race_error', '')}",
             f"    {ran} ({how}{merged}); {len(failing)} of {len(group)} item(s) found a race"]
    seen: set[str] = set()
    for r in failing:
        schedule = str(r.get("race_schedule", ""))
        if schedule in seen:
            continue
        seen.add(schedule)
        where = f" [shard {r['race_shard']}]" if r.get("race_shard") else ""
        at = f" at schedule {r['race_found_at']}" if r.get("race_found_at") not in (None, "") else ""
        lines += [f"    found{at}{where}: {schedule}", f"    replay: {r.get('race_replay', '')}"]
        if r.get("race_report_dir"):
            lines.append(f"    report: {r['race_report_dir']}")
    return lines


def first_replayed(group: list[dict[str, Any]]) -> bool:
    return bool(group[0].get("race_replayed"))


def _count(schedules: int) -> str:
    return f"{schedules} schedule" + ("" if schedules == 1 else "s")


# -- helpers -----------------------------------------------------------------------------------
def _check_marker(marker: pytest.Mark, nodeid: str) -> None:
    unknown = sorted(set(marker.kwargs) - MARKER_KEYS)
    if unknown or marker.args:
        raise pytest.UsageError(
            f"{nodeid}: @pytest.mark.race takes keyword arguments only, from: "
            f"{', '.join(sorted(MARKER_KEYS))}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""))


def _base_nodeid(nodeid: str, shard_id: str | None) -> str:
    if shard_id is None:
        return nodeid
    stripped = re.sub(rf"(\[{shard_id}\]|-{shard_id}(?=[-\]])|(?<=\[){shard_id}-)", "", nodeid)
    return stripped


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", nodeid).strip("_")[:150] or "race"


def _ini(config: pytest.Config, name: str) -> str | None:
    value = config.getini(name)
    return str(value) if value not in (None, "") else None


def _seed_source(config: pytest.Config, env: Any) -> str:
    if config.getoption("race_seed") is not None:
        return "--race-seed"
    if _ini(config, "race_seed") is not None:
        return "ini race_seed"
    if "RACE_SEED" in os.environ:
        return "RACE_SEED"
    randomly = config.getoption("randomly_seed", default=None)
    if isinstance(randomly, int) and not isinstance(randomly, bool):
        return "pytest-randomly"
    return "default"
