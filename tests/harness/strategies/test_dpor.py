"""Optimal DPOR: the outcomes of plain DFS, one run per Mazurkiewicz trace, nothing else.

Each test compares against an exhaustive plain DFS, which runs every choice
sequence: DPOR must reach the same outcomes (verdicts, error kinds, final
states), and, where the traces of the DFS runs can be counted, run exactly one
execution per trace.  The traces are computed here independently of the
strategy: for each step, the earlier steps it is dependent on (footprints,
WAKE choices and failures opaque, nothing reordered across a clock advance).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import engine_programs as ep
import eventlet
import pytest
import race_programs as rp
from eventlet.green import threading as green_threading
from eventlet.queue import LightQueue
from eventlet.semaphore import Semaphore

import harness
from harness._engine.footprint import OPAQUE, Footprint, dependent
from harness._targets import Target, load_registry
from harness.instrument import shared_attributes
from harness.strategies import BoundedDfsStrategy, DfsStrategy
from harness.strategies._dpor_events import Step
from harness.strategies.base import Decision, DecisionKind, ExecutionSummary
from harness.strategies.dpor import DporStrategy

FINAL: list[object] = []  # the final state of each complete run of the programs below
LIMIT = 60_000


# -- programs ------------------------------------------------------------------------
def _join(threads: list[eventlet.greenthread.GreenThread]) -> None:
    for thread in threads:
        thread.wait()


def check_then_act(workers: int = 2, guarded: bool = False) -> None:
    """Each worker computes the cached value if it is missing: two compute it unless guarded."""
    cache: dict[str, int] = {}
    computed: list[int] = []
    lock = green_threading.Lock()

    def get(i: int) -> None:
        if guarded:
            harness.touch("lock")
            lock.acquire()
        harness.touch("cache", write=False)
        if "k" not in cache:
            eventlet.sleep(0)  # the computation's I/O
            harness.touch("cache")
            harness.touch("computed", append=True)
            computed.append(i)
            cache["k"] = i
        if guarded:
            harness.touch("lock")
            lock.release()

    _join([eventlet.spawn(get, i) for i in range(workers)])
    FINAL.append((tuple(computed), cache["k"]))
    assert len(computed) == 1, f"computed {len(computed)} times"


def guarded_lost_update(workers: int = 2) -> None:
    """The lost update's lock-guarded twin, with the lock declared: never fails."""
    cell = {"x": 0}
    lock = Semaphore(1)

    def inc() -> None:
        harness.touch("lock")
        with lock:
            harness.touch("lock")
            harness.touch("x", write=False)
            value = cell["x"]
            eventlet.sleep(0)
            harness.touch("x")
            cell["x"] = value + 1
            harness.touch("lock")

    _join([eventlet.spawn(inc) for _ in range(workers)])
    FINAL.append(cell["x"])
    assert cell["x"] == workers


def queue_getters(getters: int = 3) -> None:
    """Several getters block on one queue: which one an item goes to is a WAKE choice."""
    jobs: LightQueue = LightQueue()
    got: list[tuple[int, int]] = []

    def getter(i: int) -> None:
        got.append((i, jobs.get()))

    def producer() -> None:
        for item in range(getters):
            jobs.put(item)
            eventlet.sleep(0)

    threads = [eventlet.spawn(getter, i) for i in range(getters)]
    threads.append(eventlet.spawn(producer))
    _join(threads)
    FINAL.append(tuple(got))
    assert got[0][0] != getters - 1, f"the last getter was served first: {got}"


def event_waiters(waiters: int = 3) -> None:
    """Waiters block on an Event; after it is sent they log in the order they run."""
    ready = eventlet.Event()
    log: list[str] = []

    def waiter(i: int) -> None:
        ready.wait()
        log.append(f"w{i}")

    def sender() -> None:
        log.append("s")
        eventlet.sleep(0)
        ready.send(True)

    threads = [eventlet.spawn(waiter, i) for i in range(waiters)]
    threads.append(eventlet.spawn(sender))
    _join(threads)
    FINAL.append(tuple(log))


def spawn_chain() -> None:
    """gt0 spawns A, A spawns B, B spawns C; each waits for its child; D logs beside them."""
    log: list[str] = []

    def c() -> None:
        log.append("C")

    def b() -> None:
        child = eventlet.spawn(c)
        log.append("B0")
        child.wait()
        log.append("B1")

    def a() -> None:
        child = eventlet.spawn(b)
        eventlet.sleep(0)
        child.wait()
        log.append("A")

    def d() -> None:
        log.append("D0")
        eventlet.sleep(0)
        log.append("D1")

    _join([eventlet.spawn(a), eventlet.spawn(d)])
    FINAL.append(tuple(log))


def timers() -> None:
    """Timers at different due times: a timer due later never runs before one due earlier."""
    log: list[str] = []
    cell = {"x": 0}

    def sleeper(name: str, delay: float) -> None:
        eventlet.sleep(delay)
        log.append(name)
        cell["x"] = cell["x"] * 10 + len(log)

    def busy() -> None:
        log.append("b0")
        eventlet.sleep(0)
        log.append("b1")
        eventlet.sleep(0.1)
        log.append("b2")

    _join([eventlet.spawn(sleeper, "late", 0.2), eventlet.spawn(sleeper, "early", 0.1),
           eventlet.spawn(sleeper, "now", 0), eventlet.spawn(busy)])
    FINAL.append((tuple(log), cell["x"]))
    assert log.index("early") < log.index("late")


def declared_timers() -> None:
    """Declared steps on both sides of clock advances: ``s`` writes ``a`` at t=0 and ``r`` goes
    on at t=0 after it, the others write ``a`` only after their timers: reordering across an
    advance would run a timer early."""
    cells: dict[str, list[str]] = {}

    def worker(name: str, plan: list[tuple[float, str]]) -> None:
        harness.touch(f"own:{name}")
        for delay, resource in plan:
            eventlet.sleep(delay)
            harness.touch(resource)
            cells.setdefault(resource, []).append(name)

    harness.touch("main")
    threads = [eventlet.spawn(worker, "s", [(0, "a"), (0.3, "b")]),
               eventlet.spawn(worker, "p", [(0.1, "a"), (0, "b")]),
               eventlet.spawn(worker, "q", [(0.1, "a"), (0.1, "b")]),
               eventlet.spawn(worker, "r", [(0, "own:r"), (0, "own:r"), (0.2, "a")])]
    eventlet.sleep(1)
    harness.touch("a", write=False)
    harness.touch("b", write=False)
    FINAL.append((tuple(cells["a"]), tuple(cells["b"])))
    assert all(t.dead for t in threads)


def failing_main() -> None:
    """The main greenthread fails by itself; a bystander that runs before (a preemption) leaves
    a mark.  The failure ends the run, so whether the bystander ran first is an outcome."""

    def bystander() -> None:
        harness.touch("y")
        FINAL.append("bystander ran")

    harness.touch("x")
    eventlet.spawn(bystander)
    harness.yield_point("before the failure")
    harness.touch("x")
    raise AssertionError("the main greenthread always fails")


def two_spawners() -> None:
    """Two greenthreads each spawn a child that logs: spawns do not commute (ids follow them)."""
    log: list[str] = []

    def child(name: str) -> None:
        harness.touch("log")
        harness.touch(f"own:{name}")
        log.append(name)

    def parent(name: str) -> None:
        harness.touch(f"own:{name}")
        eventlet.sleep(0)
        harness.touch(f"own:{name}")
        eventlet.spawn(child, name)

    def meddler() -> None:
        harness.touch("own:a")
        eventlet.sleep(0)
        harness.touch("log")
        log.append("m")

    harness.touch("main")
    for thread in (eventlet.spawn(parent, "a"), eventlet.spawn(parent, "b"), eventlet.spawn(meddler)):
        del thread
    eventlet.sleep(1)
    harness.touch("log", write=False)
    FINAL.append(tuple(log))


def independent_workers(workers: int = 4, rounds: int = 2) -> None:
    """Workers touching disjoint cells; the main greenthread waits on the clock, not on them."""
    cells = [0] * workers

    def work(i: int) -> None:
        for _ in range(rounds):
            harness.touch(f"cell{i}")
            cells[i] += 1
            eventlet.sleep(0)
        harness.touch(f"cell{i}")

    harness.touch("main")
    for i in range(workers):
        eventlet.spawn(work, i)
    eventlet.sleep(1)
    harness.touch("main")
    FINAL.append(tuple(cells))


class Account:
    """A shared object whose ``balance`` the preemptive model instruments."""

    balance = 0


def deposits(workers: int = 2, rounds: int = 1, join: str = "wait") -> None:
    """Unlocked deposits into one account: a lost update on an instrumented attribute."""
    account = Account()
    account.balance = 0

    def deposit() -> None:
        for _ in range(rounds):
            value = account.balance
            account.balance = value + 1

    threads = [eventlet.spawn(deposit) for _ in range(workers)]
    if join == "wait":
        _join(threads)
    else:
        eventlet.sleep(1)
    FINAL.append(account.balance)
    assert account.balance == workers * rounds, f"lost deposit: {account.balance}"


def _account_attributes() -> AbstractContextManager[None]:
    return shared_attributes(Account, "balance")


# -- exploring -------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcomes:
    """What an exhaustive exploration reached."""

    runs: int
    exhausted: bool
    verdicts: frozenset[str]
    errors: frozenset[str]
    finals: frozenset[object]


@dataclass
class Program:
    name: str
    body: Callable[[], None]
    model: str = "cooperative"
    complete: bool = False
    instrument: Callable[[], AbstractContextManager[None]] | None = None

    def target(self) -> Target:
        return Target(name=f"test_dpor:{self.name}", body=self.body, fingerprint="0123456789ab",
                      instrument=self.instrument, complete_footprints=self.complete)


def explore(program: Program, strategy: object) -> Outcomes:
    FINAL.clear()
    rp.OUTCOMES.clear()
    outcome = harness.explore(program.target(), strategy=strategy,  # type: ignore[arg-type]
                              preemption=program.model, schedules=LIMIT, stop_on_failure=False,
                              database="off")
    failed = outcome.failures_found
    verdicts = {"fail"} if failed else set()
    if failed < outcome.schedules_run:
        verdicts.add("pass")
    # Failure signatures: the error's type, where it was raised, the violations noted.
    errors = frozenset(outcome.failure_counts)
    return Outcomes(outcome.schedules_run, outcome.exhausted, frozenset(verdicts), errors,
                    frozenset([*FINAL, *rp.OUTCOMES]))


P = Program
PROGRAMS = [
    P("lost_update", rp.lost_update),
    P("lost_update3", functools.partial(rp.lost_update, workers=3)),
    P("lost_update_preemptive", functools.partial(rp.lost_update_preemptive, rounds=2), "preemptive"),
    P("window", rp.window, "preemptive"),
    P("window3", rp.window3, "preemptive"),
    P("independent", rp.independent),
    P("undeclared_independent", functools.partial(rp.undeclared_independent, workers=2)),
    P("mixed", rp.mixed),
    P("two_errors", rp.two_errors, "preemptive"),
    P("safe", rp.safe, "preemptive"),
    *(P(f"random{seed}", rp.random_program(seed)) for seed in (1, 3, 5, 12, 19, 33)),
    P("engine_lost_update", ep.lost_update),
    P("engine_guarded_update", ep.guarded_update),
    P("engine_lost_update_preemptive", ep.lost_update, "preemptive"),
    P("check_then_act", check_then_act),
    P("check_then_act3", functools.partial(check_then_act, workers=3)),
    P("check_then_act_guarded", functools.partial(check_then_act, guarded=True)),
    P("check_then_act_guarded3", functools.partial(check_then_act, workers=3, guarded=True)),
    P("guarded_lost_update", guarded_lost_update),
    P("guarded_lost_update3", functools.partial(guarded_lost_update, workers=3)),
    P("queue_getters", queue_getters),
    P("queue_getters_preemptive", functools.partial(queue_getters, getters=2), "preemptive"),
    P("event_waiters", event_waiters),
    P("spawn_chain", spawn_chain),
    P("timers", timers),
    P("declared_timers", declared_timers),
    P("failing_main", failing_main, "preemptive"),
    P("two_spawners", two_spawners),
    P("independent_workers", functools.partial(independent_workers, workers=3, rounds=1)),
    P("deposits_opaque", deposits, "preemptive", instrument=_account_attributes),
    P("deposits_declared", functools.partial(deposits, join="clock"), "preemptive", True,
      _account_attributes),
    P("deposits_declared3", functools.partial(deposits, workers=3, join="clock"), "preemptive", True,
      _account_attributes),
    P("deposits_declared_rounds", functools.partial(deposits, rounds=2, join="clock"), "preemptive", True,
      _account_attributes),
]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_dpor_reaches_exactly_the_outcomes_of_plain_dfs(program: Program) -> None:
    expected = explore(program, DfsStrategy())
    assert expected.exhausted, f"plain DFS did not finish {program.name} in {LIMIT} runs"
    strategy = DporStrategy()
    got = explore(program, strategy)
    counters = strategy.counters()
    assert got.exhausted and strategy.exhausted
    assert got.verdicts == expected.verdicts
    assert got.errors == expected.errors
    assert got.finals == expected.finals
    assert got.runs <= expected.runs
    assert counters["divergences"] == 0
    assert counters["sleep_blocked"] == 0, counters
    assert counters["redundant"] == 0, counters
    assert counters["schedules"] == got.runs == counters["equivalence_classes"]


# -- one execution per Mazurkiewicz trace ------------------------------------------------
@dataclass
class _Step:
    thread: int
    footprint: Footprint
    time: float
    wakes: tuple[int, ...] = ()


@dataclass
class Recorder:
    """The steps of each run and, per complete run, its happens-before in canonical form."""

    steps: list[_Step] = field(default_factory=list)
    wakes: list[int] = field(default_factory=list)
    forms: list[frozenset[object]] = field(default_factory=list)
    choices: list[tuple[int, ...]] = field(default_factory=list)

    def wake(self, choice: int) -> None:
        self.wakes.append(choice)

    def step_end(self, thread: int, footprint: Footprint) -> None:
        self.steps.append(_Step(thread, footprint, harness.now(), tuple(self.wakes)))
        self.wakes = []

    def finish(self, summary: ExecutionSummary, complete: bool) -> None:
        steps, self.steps = self.steps, []
        self.choices.append(summary.choices)
        if complete:
            self.forms.append(canonical(steps, summary.failed))


def canonical(steps: list[_Step], failed: bool) -> frozenset[object]:
    """Each event (greenthread, its index, its WAKE choices) with the earlier events it depends on."""
    footprints = [OPAQUE if s.wakes else s.footprint for s in steps]
    if failed and steps:
        footprints[-1] = OPAQUE  # the failing step stopped everybody
    counts: dict[int, int] = {}
    ids: list[tuple[int, int]] = []
    events: list[object] = []
    for i, step in enumerate(steps):
        index = counts.get(step.thread, 0)
        counts[step.thread] = index + 1
        ids.append((step.thread, index))
        deps = frozenset(ids[j] for j in range(i) if steps[j].thread != step.thread and (
            steps[j].time < step.time or dependent(footprints[j], footprints[i])))
        events.append((step.thread, index, step.wakes, deps))
    return frozenset(events)


class RecordingDfs(DfsStrategy):
    def __init__(self) -> None:
        super().__init__()
        self.recorder = Recorder()

    def choose(self, decision: Decision) -> int:
        choice = super().choose(decision)
        if decision.kind is DecisionKind.WAKE:
            self.recorder.wake(choice)
        return choice

    def step_begin(self, thread: int) -> bool:
        return True

    def step_end(self, thread: int, footprint: Footprint) -> None:
        self.recorder.step_end(thread, footprint)

    def end_execution(self, summary: ExecutionSummary) -> None:
        self.recorder.finish(summary, True)
        super().end_execution(summary)


class RecordingDpor(DporStrategy):
    def __init__(self, preemption_bound: int | None = None) -> None:
        super().__init__(preemption_bound)
        self.recorder = Recorder()

    def choose(self, decision: Decision) -> int:
        choice = super().choose(decision)
        if decision.kind is DecisionKind.WAKE:
            self.recorder.wake(choice)
        return choice

    def step_end(self, thread: int, footprint: Footprint) -> None:
        super().step_end(thread, footprint)
        self.recorder.step_end(thread, footprint)

    def end_execution(self, summary: ExecutionSummary) -> None:
        self.recorder.finish(summary, not self._run.stop)
        super().end_execution(summary)


# Under the preemptive model a greenthread passes a preemption point without switching when
# nobody else is ready, so one step can be two in another order of the same trace (DFS then
# counts both shapes); these three hit that with complete footprints.  Their outcomes are
# compared above.
MERGING = ("deposits_declared", "deposits_declared3", "deposits_declared_rounds")
TRACE_PROGRAMS = [p for p in PROGRAMS if p.name not in MERGING]


@pytest.mark.parametrize("program", TRACE_PROGRAMS, ids=[p.name for p in TRACE_PROGRAMS])
def test_one_execution_per_mazurkiewicz_trace(program: Program) -> None:
    dfs, dpor = RecordingDfs(), RecordingDpor()
    explore(program, dfs)
    explore(program, dpor)
    traces = set(dfs.recorder.forms)
    runs = dpor.recorder.forms
    assert len(set(runs)) == len(runs), "two executions with the same happens-before relation"
    assert set(runs) == traces, (f"{len(runs)} DPOR runs for {len(traces)} traces of the "
                                 f"{len(dfs.recorder.forms)} DFS runs")


# -- reduction ---------------------------------------------------------------------------
def test_independent_greenthreads_run_once() -> None:
    program = Program("independent_workers4", functools.partial(independent_workers, workers=4))
    strategy = DporStrategy()
    got = explore(program, strategy)
    assert got.runs == 1 and got.exhausted
    assert got.finals == {(2, 2, 2, 2)}
    assert strategy.describe() == "exhaustive dpor: 1 schedules (1 equivalence classes)"
    assert explore(program, DfsStrategy()).runs > 1000


def test_lost_update_with_declared_footprints_runs_each_trace_once() -> None:
    program = Program("lost_update", rp.lost_update)
    dfs, dpor = RecordingDfs(), RecordingDpor()
    plain, reduced = explore(program, dfs), explore(program, dpor)
    traces = len(set(dfs.recorder.forms))
    assert reduced.runs == traces < plain.runs
    assert reduced.errors == plain.errors and reduced.finals == plain.finals


def test_undeclared_steps_are_dependent_on_everything() -> None:
    program = Program("undeclared_independent", functools.partial(rp.undeclared_independent, workers=2))
    strategy = DporStrategy()
    got = explore(program, strategy)
    assert got.runs == explore(program, DfsStrategy()).runs  # opaque: every order is its own trace


@pytest.mark.parametrize("program", [
    Program("lost_update3", functools.partial(rp.lost_update, workers=3)),
    Program("check_then_act3", functools.partial(check_then_act, workers=3)),
    Program("mixed", rp.mixed),
], ids=lambda p: p.name)
def test_fewer_runs_than_sleep_sets(program: Program) -> None:
    """Sleep sets alone still run orders that end blocked; DPOR runs one per trace."""
    dpor = explore(program, DporStrategy())
    sleep = BoundedDfsStrategy(None)
    explore(program, sleep)
    dfs = explore(program, DfsStrategy())
    assert dpor.runs < sleep.runs < dfs.runs
    assert dpor.runs <= sleep.explored  # the runs sleep sets did not cut short


def join_after_exit() -> None:
    """The main greenthread's steps are declared and it joins a worker that may have finished."""
    log: list[str] = []

    def worker() -> None:
        harness.touch("log")
        log.append("w")

    thread = eventlet.spawn(worker)
    harness.touch("main")
    eventlet.sleep(0)
    harness.touch("main")
    thread.wait()
    harness.touch("log", write=False)
    FINAL.append(tuple(log))


def test_a_join_of_a_finished_greenthread_is_a_dependence() -> None:
    """The last step of a greenthread writes ``thread:<id>``; ``GreenThread.wait`` reads it
    (the run loop's join edge): a join and the worker's end never commute."""
    strategy = DporStrategy()
    got = explore(Program("join_after_exit", join_after_exit), strategy)
    assert got.finals == {("w",)}
    assert strategy.counters()["sleep_blocked"] == 0


# -- the dependency model's own rules --------------------------------------------------
DECLARED = Footprint(frozenset({"x", "thread:1"}), frozenset({"y"}))


@pytest.mark.parametrize(("step", "opaque"), [
    (Step(1, DECLARED, (1, 2)), False),
    (Step(1, DECLARED, (1, 2), wakes=((0, 2),)), True),  # a data choice: which waiter gets the item
    (Step(1, DECLARED, (1, 2), failed=True), True),  # the failure stopped every other greenthread
])
def test_wake_choices_and_failures_make_a_declared_step_opaque(step: Step, opaque: bool) -> None:
    """The run loop marks both opaque itself today; the strategy does not rely on it."""
    assert step.effective().opaque is opaque


def test_a_spawn_writes_the_id_counter() -> None:
    spawner = Step(1, DECLARED, (1, 2), spawned=True).effective()
    other = Step(2, Footprint(frozenset({"thread:2"}), frozenset({"z"})), (1, 2), spawned=True).effective()
    assert dependent(spawner, other) and not dependent(DECLARED, other)


# -- determinism, bound, divergence, describe ---------------------------------------------
def test_the_same_program_gives_the_same_schedules_in_the_same_order() -> None:
    program = Program("mixed", rp.mixed)
    first, second = RecordingDpor(), RecordingDpor()
    explore(program, first)
    explore(program, second)
    assert first.recorder.choices == second.recorder.choices
    assert len(first.recorder.choices) > 10


def test_wake_choices_are_explored_like_dfs() -> None:
    program = Program("queue_getters", queue_getters)
    strategy = DporStrategy()
    got = explore(program, strategy)
    assert strategy.counters()["wake_branches"] > 0
    assert len({state[0][0] for state in got.finals if isinstance(state, tuple)}) > 1
    assert "fail" in got.verdicts  # the last getter served first is reachable only by a WAKE choice


def test_a_preemption_bound_is_reported_and_is_no_proof() -> None:
    lostp = Program("lostp", rp.lostp, "preemptive")
    bounded = DporStrategy(preemption_bound=0)
    got = explore(lostp, bounded)
    assert got.verdicts == {"pass"} and not got.exhausted and not bounded.exhausted
    assert bounded.counters()["beyond_bound"] > 0
    assert "at most 0 preemption(s)" in bounded.describe() and "not a proof" in bounded.describe()
    one = explore(lostp, DporStrategy(preemption_bound=1))
    assert "fail" in one.verdicts


def test_a_bound_that_never_cuts_is_still_a_proof() -> None:
    strategy = DporStrategy(preemption_bound=50)
    got = explore(Program("lost_update", rp.lost_update), strategy)
    assert got.exhausted and strategy.describe().startswith("exhaustive dpor (at most 50")


def test_negative_bound_is_refused() -> None:
    with pytest.raises(harness.InvalidSetting, match="bound"):
        DporStrategy(preemption_bound=-1)


_FLIP = {"runs": 0}


def nondeterministic() -> None:
    """Spawns one more worker every other run: a replayed prefix offers other options."""
    _FLIP["runs"] += 1

    def work() -> None:
        eventlet.sleep(0)

    _join([eventlet.spawn(work) for _ in range(2 + _FLIP["runs"] % 2)])


def test_a_prefix_that_replays_differently_stops_with_schedule_divergence() -> None:
    _FLIP["runs"] = 0
    with pytest.raises(harness.ScheduleDivergence, match=r"dpor: .* offers"):
        explore(Program("nondeterministic", nondeterministic), DporStrategy())


def test_describe_and_counters() -> None:
    strategy = DporStrategy()
    got = explore(Program("lost_update3", functools.partial(rp.lost_update, workers=3)), strategy)
    counters = strategy.counters()
    assert strategy.describe() == f"exhaustive dpor: {got.runs} schedules ({got.runs} equivalence classes)"
    assert counters["schedules"] == got.runs
    assert counters["races"] >= counters["insertions"] == got.runs - 1
    assert counters["sleep_blocked"] == counters["redundant"] == counters["beyond_bound"] == 0


def test_an_exploration_reports_dpor_counters() -> None:
    outcome = harness.explore(rp.target(rp.mixed, "mixed"), strategy=DporStrategy(), stop_on_failure=False,
                              database="off", schedules=10_000)
    assert outcome.exhausted
    assert outcome.strategy.startswith("exhaustive dpor:")
    assert outcome.stats.strategy["equivalence_classes"] == outcome.schedules_run


# -- the real scenario ---------------------------------------------------------------------
@pytest.mark.parametrize(("name", "model"), [
    ("session_overwrite:old", "cooperative"),
    ("session_overwrite:patched", "cooperative"),
    ("session_overwrite:patched", "preemptive"),
    ("session_overwrite:old", "preemptive"),
])
def test_session_overwrite_keeps_the_dfs_verdict_with_fewer_schedules(name: str, model: str) -> None:
    target = load_registry().get(name)
    assert target is not None, name
    dfs = harness.explore(target, strategy=DfsStrategy(), preemption=model, schedules=5000, database="off")
    dpor = harness.explore(target, strategy=DporStrategy(), preemption=model, schedules=5000, database="off")
    assert dpor.passed == dfs.passed
    if dfs.passed:
        assert dfs.exhausted and dpor.exhausted
        assert dpor.schedules_run < dfs.schedules_run
    else:
        assert dpor.first_failure_after is not None and dfs.first_failure_after is not None
        assert dpor.first_failure_after < dfs.first_failure_after
