"""Automatic preemption points: every shared access of a named package, with exact footprints.

The programs raced here (``preempt_programs/``) name no attribute and no
harness API: ``preempt_modules(["preempt_programs"])`` alone must find their
races under the preemptive model, add no switch point under the cooperative
one, and leave no trace of itself behind.
"""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import eventlet
import pytest
from engine_helpers import FINGERPRINT, make_target
from preempt_programs import cache, counters, exotic, kinds, session, starter

import harness
from harness._engine import access, access_hooks, points
from harness._engine.footprint import Footprint
from harness._engine.rewrite import preempt_modules
from harness.strategies.base import Decision, ExecutionSummary

PACKAGE = "preempt_programs"


def instrumented(**options: Any) -> Callable[[], AbstractContextManager[object]]:
    return lambda: preempt_modules([PACKAGE], **options)


# -- a strategy that keeps the current greenthread and writes down what it saw ----------

@dataclass
class Recorder:
    """Runs one schedule, always option 0, and records each decision and each step's footprint."""

    name: str = "recorder"
    events: list[tuple[str, Any]] = field(default_factory=list)
    _runs: int = 0

    def new_execution(self) -> bool:
        self._runs += 1
        return self._runs == 1

    def choose(self, decision: Decision) -> int:
        self.events.append(("decision", tuple(option.label for option in decision.options)))
        return 0

    def end_execution(self, summary: ExecutionSummary) -> None:
        pass

    def step_begin(self, thread: int) -> bool:
        return True

    def step_end(self, thread: int, footprint: Footprint) -> None:
        self.events.append(("step", (thread, footprint)))

    @property
    def exhausted(self) -> bool:
        return self._runs > 1

    def describe(self) -> str:
        return "recorder"

    def after(self, label: str) -> Footprint:
        """The footprint of the step that resumed after the point labelled ``label``."""
        for index, (kind, payload) in enumerate(self.events):
            if kind == "decision" and payload[0].startswith(label + " at "):
                return next(step[1] for kind2, step in self.events[index + 1:] if kind2 == "step"
                            and step[0] == 0)
        offered = [payload[0] for kind, payload in self.events if kind == "decision"]
        raise AssertionError(f"no switch offered at {label!r}; offered: {offered}")


def record(function: Callable[[], object]) -> Recorder:
    """Run ``function`` in gt0 of a preemptive run, with another greenthread ready throughout."""

    def body() -> None:
        kinds.reset()
        other = eventlet.spawn(eventlet.sleep, 0)
        function()
        other.wait()

    recorder = Recorder()
    target = make_target(body, instrument=instrumented(), complete_footprints=True)
    outcome = harness.explore(target, strategy=recorder, preemption="preemptive")
    assert outcome.passed, outcome.failure and outcome.failure.describe()
    return recorder


K = "preempt_programs.kinds"
KIND_CASES = {
    # function: [(label, reads, writes, appends) of each point it must offer, in order]
    "attr_load": [("kinds.BOX get", {f"{K}.BOX"}, set(), set()),
                  ("Box.x get", {"Box#0.x", "*.x"}, set(), set())],
    "attr_store": [("Box.x set", {"*.x"}, {"Box#0.x"}, set())],
    "attr_delete": [("Box.x del", {"*.x"}, {"Box#0.x"}, set())],
    "attr_augment": [("Box.x get", {"Box#0.x", "*.x"}, set(), set()),
                     ("Box.x set", {"*.x"}, {"Box#0.x"}, set())],
    "item_load": [("dict['k'] get", {"dict#0['k']"}, set(), {"dict#0[*]"})],
    "item_store": [("dict['k'] set", set(), {"dict#0['k']"}, {"dict#0[*]"})],
    "item_delete": [("dict['k'] del", set(), {"dict#0['k']"}, {"dict#0[*]"})],
    "unpack_store": [("Box.x set", {"*.x"}, {"Box#0.x"}, set()),
                     ("dict['k'] set", set(), {"dict#0['k']"}, {"dict#0[*]"})],
    "global_load": [("kinds.total get", {f"{K}.total"}, set(), set())],
    "global_store": [("kinds.total set", set(), {f"{K}.total"}, set())],
    "global_augment": [("kinds.total get", {f"{K}.total"}, set(), set()),
                       ("kinds.total set", set(), {f"{K}.total"}, set())],
    "list_append": [("list.append()", set(), {"list#0[*]"}, set())],
    "dict_setdefault": [("dict.setdefault('s')", set(), {"dict#0['s']"}, {"dict#0[*]"})],
    "dict_pop": [("dict.pop('k')", set(), {"dict#0['k']"}, {"dict#0[*]"})],
    "set_add": [("set.add('a')", set(), {"set#0['a']"}, {"set#0[*]"})],
    "deque_append": [("deque.append()", set(), {"deque#0[*]"}, set())],
    "contains": [("dict['k'] in", {"dict#0['k']"}, set(), {"dict#0[*]"})],
    "iterate": [("dict[...] iter", {"dict#0[*]"}, set(), set())],
}


@pytest.mark.parametrize("kind", sorted(KIND_CASES))
def test_every_access_kind_offers_a_switch_with_its_exact_footprint(kind: str) -> None:
    recorder = record(getattr(kinds, kind))
    for label, reads, writes, appends in KIND_CASES[kind]:
        footprint = recorder.after(label)
        assert reads <= footprint.reads, (label, footprint.describe())
        assert writes <= footprint.writes, (label, footprint.describe())
        assert appends <= footprint.appends, (label, footprint.describe())


def test_a_switch_label_names_the_access_and_its_source_line() -> None:
    recorder = record(kinds.attr_store)
    line = kinds.attr_store.__code__.co_firstlineno + 1
    labels = [payload[0] for kind, payload in recorder.events if kind == "decision"]
    assert f"Box.x set at kinds.py:{line} in attr_store" in labels


def test_logical_names_follow_first_touch_order_not_addresses() -> None:
    def touch_two() -> None:
        second, first = kinds.Plain(), kinds.Plain()  # created in one order...
        kinds.read_x(first)  # ...touched in the other
        kinds.read_x(second)
        kinds.read_x(first)

    recorder = record(touch_two)
    steps = [footprint for kind, (_thread, footprint) in (e for e in recorder.events if e[0] == "step")]
    names = [sorted(r for r in f.reads if r.startswith("Plain#")) for f in steps]
    assert [n for n in names if n] == [["Plain#0.x"], ["Plain#1.x"], ["Plain#0.x"]]


def test_a_hand_written_access_point_offers_a_switch_and_declares_its_footprint() -> None:
    recorder = record(lambda: points.access("Ledger.total set", ("Ledger#0.owner",), ("Ledger#0.total",)))
    footprint = recorder.after("Ledger.total set")
    assert "Ledger#0.total" in footprint.writes and "Ledger#0.owner" in footprint.reads


def test_a_dict_subclass_with_its_own_key_mapping_is_declared_whole() -> None:
    recorder = record(lambda: kinds.store_folded("Vs1"))
    footprint = recorder.after("FoldedDict[...] set")
    assert "FoldedDict#0[*]" in footprint.writes


def test_a_green_switch_inside_instrumented_code_is_labelled_with_its_line() -> None:
    """The run hashes the code of the frame that switched (its label cache): rewritten code
    objects must stay hashable, and the label must name the instrumented line."""
    shared: list[int] = []

    def body() -> None:
        workers = [eventlet.spawn(starter.nap, shared) for _ in range(2)]
        for worker in workers:
            worker.wait()

    with preempt_modules([PACKAGE]):
        for module in (starter, kinds, exotic, session):
            for value in vars(module).values():
                if isinstance(value, types.FunctionType):
                    hash(value.__code__)
        outcome = harness.explore(make_target(body), strategy="dfs", preemption="cooperative")
        result = harness.replay(make_target(body), f"rh1:tests:prog:c:{FINGERPRINT}:-")
    assert outcome.passed, outcome.failure and outcome.failure.describe()
    line = starter.nap.__code__.co_firstlineno + 3
    assert any(f"sleep at starter.py:{line} in nap" in event.detail for event in result.trace.events)


# -- races found with no hint ------------------------------------------------------------

def lost_update() -> None:
    counters.reset()
    workers = [eventlet.spawn(counters.increment) for _ in range(2)]
    for worker in workers:
        worker.wait()
    if counters.Counter.value != 2:  # no assert: pytest would put addresses into the message
        raise AssertionError(f"lost update: Counter.value={counters.Counter.value}")


def check_then_act() -> None:
    cache.reset()
    workers = [eventlet.spawn(cache.get, "vs1") for _ in range(2)]
    for worker in workers:
        worker.wait()
    if cache.built != ["vs1"]:
        raise AssertionError(f"built twice: {cache.built}")


def session_overwrite() -> None:
    client = session.Client()
    workers = [eventlet.spawn(client.send, svm) for svm in ("vs1", "vs2")]
    for worker in workers:
        worker.wait()
    if client.wrong():
        raise AssertionError(f"requests sent with the wrong SVM: {client.wrong()}")


RACES = {
    "lost_update": (lost_update, "Counter.value set at counters.py:"),
    "check_then_act": (check_then_act, "dict['vs1'] set at cache.py:"),
    "session_overwrite": (session_overwrite, "Client._session get at session.py:"),
}


@pytest.mark.parametrize("race", sorted(RACES))
def test_races_are_found_preemptively_with_no_hint(race: str) -> None:
    body, where = RACES[race]
    target = make_target(body, instrument=instrumented())
    outcome = harness.explore(target, strategy="dfs", preemption="preemptive", schedules=3000)
    failure = outcome.failure
    assert failure is not None, outcome.verdict()
    assert isinstance(failure.error, AssertionError)
    preempted = [event.detail for event in failure.trace.events if event.kind == "preempted"]
    assert any(where in detail for detail in preempted), preempted


@pytest.mark.parametrize("race", sorted(RACES))
def test_cooperatively_the_instrumentation_adds_no_switch_point(race: str) -> None:
    body, _where = RACES[race]
    plain = harness.explore(make_target(body), strategy="dfs", preemption="cooperative")
    with preempt_modules([PACKAGE]):
        watched = harness.explore(make_target(body), strategy="dfs", preemption="cooperative")
    assert plain.passed and plain.exhausted
    assert watched.passed and watched.exhausted
    assert watched.schedules_run == plain.schedules_run
    assert watched.decisions == plain.decisions


def test_without_instrumentation_the_races_are_not_found_preemptively() -> None:
    outcome = harness.explore(make_target(session_overwrite), strategy="dfs", preemption="preemptive")
    assert outcome.passed and outcome.exhausted  # the points come from preempt_modules alone


def test_the_same_seed_gives_the_same_traces() -> None:
    target = make_target(session_overwrite, instrument=instrumented())

    def explored() -> harness.Exploration:
        return harness.explore(target, strategy="random", seed=7, schedules=200, preemption="preemptive")

    first, second = explored(), explored()
    assert first.failure is not None and second.failure is not None
    assert first.failure.schedule == second.failure.schedule
    assert first.failure.trace.lines() == second.failure.trace.lines()
    again = harness.replay(target, first.failure.schedule)
    assert again.trace.lines() == first.failure.trace.lines()


# -- private objects ------------------------------------------------------------------

def test_objects_nobody_else_can_reach_offer_no_switch() -> None:
    def build() -> None:
        session.Session("vs1")

    labels = _offered(build, instrumented())
    assert not any(label.startswith("Session.headers") for label in labels), labels
    labels = _offered(build, instrumented(private_objects=False))
    assert any(label.startswith("Session.headers set") for label in labels), labels


def test_an_object_handed_to_another_greenthread_is_shared_at_once() -> None:
    """The constructor starts a worker, then sets a field the worker reads: ``eventlet.spawn``
    is a call into code that is not instrumented, so the object stops being private there."""
    def body() -> None:
        starter.Worker().join()

    outcome = harness.explore(make_target(body, instrument=instrumented()), strategy="dfs",
                              preemption="preemptive", schedules=500)
    assert outcome.failure is not None, outcome.verdict()
    assert "ready" in str(outcome.failure.error)


def _offered(function: Callable[[], object], instrument: Callable[[], AbstractContextManager[object]]
             ) -> list[str]:
    def body() -> None:
        other = eventlet.spawn(eventlet.sleep, 0)
        function()
        other.wait()

    recorder = Recorder()
    harness.explore(make_target(body, instrument=instrument), strategy=recorder, preemption="preemptive")
    return [payload[0] for kind, payload in recorder.events if kind == "decision"]


# -- nothing stays instrumented ------------------------------------------------------------

def _program_functions() -> Iterator[types.FunctionType]:
    for obj in gc.get_objects():
        if type(obj) is types.FunctionType and str(obj.__module__).startswith(PACKAGE):
            yield obj


@dataclass
class _Snapshot:
    codes: list[tuple[types.FunctionType, types.CodeType]]
    namespaces: dict[str, dict[str, object]]


def _snapshot() -> _Snapshot:
    codes = [(func, func.__code__) for func in _program_functions()]
    namespaces = {name: dict(vars(module)) for name, module in sorted(sys.modules.items())
                  if name.startswith(PACKAGE)}
    return _Snapshot(codes, namespaces)


def _is_rewritten(code: types.CodeType) -> bool:
    hooks = {id(hook) for hook in access_hooks.HOOKS.values()}
    return any(isinstance(const, access.Site) or id(const) in hooks
               or (isinstance(const, types.CodeType) and _is_rewritten(const)) for const in code.co_consts)


def _assert_restored(before: _Snapshot) -> None:
    changed = [func.__qualname__ for func, code in before.codes if func.__code__ is not code]
    assert not changed, f"functions that kept another code object: {changed}"
    assert not [func for func in _program_functions() if _is_rewritten(func.__code__)]
    for name, namespace in before.namespaces.items():
        now = vars(sys.modules[name])
        assert set(now) == set(namespace), name
        assert all(now[key] is value for key, value in namespace.items()), name
    assert access.REGISTRY.active == 0 and not access.REGISTRY.codes and not access.REGISTRY.modules


def test_nothing_stays_instrumented_after_a_passing_exploration() -> None:
    before = _snapshot()
    outcome = harness.explore(make_target(lambda: exotic.register(), instrument=instrumented()),
                              strategy="dfs", preemption="preemptive")
    assert outcome.passed
    _assert_restored(before)
    made_inside = exotic._registry[-1]  # a lambda created by rewritten code during the run
    assert not _is_rewritten(made_inside.__code__)
    assert made_inside.__code__ == next(const for const in exotic.register.__code__.co_consts
                                        if isinstance(const, types.CodeType))


def test_nothing_stays_instrumented_after_a_failing_exploration() -> None:
    before = _snapshot()
    outcome = harness.explore(make_target(lost_update, instrument=instrumented()), strategy="dfs",
                              preemption="preemptive")
    assert outcome.failure is not None
    _assert_restored(before)


def test_nothing_stays_instrumented_after_an_interrupted_exploration() -> None:
    def body() -> None:
        counters.increment()
        raise KeyboardInterrupt

    before = _snapshot()
    with pytest.raises(KeyboardInterrupt):
        harness.explore(make_target(body, instrument=instrumented()), strategy="dfs", preemption="preemptive")
    _assert_restored(before)


def test_nothing_stays_instrumented_after_an_exploration_that_raises() -> None:
    class Broken(Recorder):
        def choose(self, decision: Decision) -> int:
            raise RuntimeError("the strategy broke")

    before = _snapshot()
    with pytest.raises(RuntimeError, match="the strategy broke"):
        harness.explore(make_target(lost_update, instrument=instrumented()), strategy=Broken(),
                        preemption="preemptive")
    _assert_restored(before)


def test_instrumentation_is_in_place_only_while_entered() -> None:
    with preempt_modules([PACKAGE]) as report:
        assert _is_rewritten(counters.increment.__code__)
        assert _is_rewritten(exotic.Base.temp.fget.__code__)  # properties, class/static methods...
        assert _is_rewritten(exotic.Base.make.__func__.__code__)
        assert _is_rewritten(exotic.decorated.__wrapped__.__code__)  # found behind the decorator
        assert "preempt_programs.counters" in report.modules and not report.unmatched
    assert not _is_rewritten(counters.increment.__code__)


# -- code that must behave the same -----------------------------------------------------------

def test_exotic_code_behaves_identically_instrumented_inside_and_outside_runs() -> None:
    expected = exotic.everything()
    results: list[list[Any]] = []

    def body() -> None:
        other = eventlet.spawn(eventlet.sleep, 0)
        results.append(exotic.everything())
        other.wait()

    with preempt_modules([PACKAGE]):
        assert exotic.everything() == expected  # rewritten, outside a run: hooks are inert
    outcome = harness.explore(make_target(body, instrument=instrumented()), strategy="random", seed=3,
                              schedules=25, preemption="preemptive")
    assert outcome.passed, outcome.failure and outcome.failure.describe()
    assert outcome.decisions > 0
    assert len(results) == 25 and all(result == expected for result in results)


# -- refusals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["harness", "harness._engine", "eventlet", "greenlet.x", "json"])
def test_the_harness_its_runtime_and_the_standard_library_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match=r"never instrumented|standard library"), preempt_modules([prefix]):
        pass  # pragma: no cover


def test_a_single_string_is_refused() -> None:
    with pytest.raises(TypeError, match="list of module prefixes"), preempt_modules(PACKAGE):
        pass  # pragma: no cover
