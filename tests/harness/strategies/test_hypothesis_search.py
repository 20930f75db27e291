"""HypothesisSearch: a Hypothesis search behind the Strategy protocol, driven from outside.

The exploration owns the loop (new_execution, the run asking choose, end_execution)
and the Hypothesis engine runs in a driver greenlet: these tests drive it through
``harness.explore`` with an instance, and through a bare protocol loop over a fake
program, and check that it shrinks, keeps symptoms apart, surfaces the engine's
errors and interrupts, leaves nothing suspended when closed, and is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import eventlet
import greenlet
import hypothesis
import pytest
import race_programs as rp
from hypothesis.control import currently_in_test_context

import harness
import harness.strategies.hypothesis_search as hs
from harness._engine.results import RunResult
from harness._options import Model
from harness._schedule import Schedule
from harness._search.session import RunSpec, environment
from harness._search.shrink import shrink_installed
from harness._search.signature import FailureSignature, signature_of
from harness._targets import Target
from harness.strategies.base import Decision, ExecutionSummary, Option, Strategy
from harness.strategies.hypothesis_search import HypothesisSearch

LOSTP = rp.target(rp.lostp, "lostp")
PLENTY = 100_000  # explore's cap on runs: HypothesisSearch bounds its own
SYMPTOM = FailureSignature("fake.Failure", None, ())


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Summaries carry the failure signature (what explore's run_once is to fill in)."""
    original = RunResult.summary

    def summary(self: RunResult) -> ExecutionSummary:
        first = self.failure
        plain = original(self)
        return plain if first is None else replace(plain, signature=signature_of(first.error, self.trace))

    monkeypatch.setattr(RunResult, "summary", summary)
    yield


def _explore(target: Target, strategy: Strategy, **options: object) -> harness.Exploration:
    options = {"preemption": "preemptive", "schedules": PLENTY, "database": "off",
               "stop_on_failure": False, **options}
    return harness.explore(target, strategy=strategy, **options)  # type: ignore[arg-type]


def _schedule(target: Target, choices: tuple[int, ...]) -> Schedule:
    return Schedule(target.name, "preemptive", target.fingerprint, choices)


# -- through explore ------------------------------------------------------------
def test_the_search_shrinks_the_lost_update_to_one_preemption_through_the_protocol(signed: None) -> None:
    strategy = HypothesisSearch(200)
    assert isinstance(strategy, Strategy)
    outcome = _explore(LOSTP, strategy)
    assert not strategy.running and strategy.new_execution() is False  # Hypothesis is over
    [reported] = strategy.reported
    shrunk = _schedule(LOSTP, reported.choices)
    assert shrunk.preemptions == 1  # one preemption is the least that loses an update
    assert outcome.failures[-1].schedule == shrunk.encode()  # explore's last failing run is the report
    assert outcome.schedules_run == strategy.executions == reported.execution  # each run is explore's
    assert reported.signature is not None and reported.signature.error_type == "builtins.AssertionError"
    assert "lost update" in str(harness.replay(LOSTP, shrunk).failure.error)  # type: ignore[union-attr]
    assert strategy.describe() == f"hypothesis ({strategy.executions} runs, shrinking included)"


def test_the_first_execution_is_the_default_order_and_measures_the_horizon() -> None:
    seen: list[tuple[int, ...]] = []

    class Recording(HypothesisSearch):
        def end_execution(self, summary: ExecutionSummary) -> None:
            seen.append(summary.choices)
            super().end_execution(summary)

    strategy = Recording(5)
    _explore(LOSTP, strategy)
    assert set(seen[0]) == {0} and strategy.horizon == len(seen[0]) > 0


def test_the_harness_passes_finish_from_the_reported_run(signed: None) -> None:
    """The hook explore calls after the search: shrink_installed from ``finish_from()``."""
    strategy = HypothesisSearch(200)
    _explore(LOSTP, strategy)
    choices = strategy.finish_from()
    assert choices is not None and choices == strategy.reported[0].choices
    spec = RunSpec(LOSTP.name, Model.PREEMPTIVE)
    with environment(LOSTP, spec):
        best, result, _runs = shrink_installed(LOSTP, _schedule(LOSTP, choices), spec.config(LOSTP),
                                               strategy.finish_budget)
    assert best.preemptions == 1 and result.failure is not None


def test_a_correct_program_reports_nothing() -> None:
    strategy = HypothesisSearch(30)
    outcome = _explore(rp.target(rp.safe, "safe"), strategy)
    assert outcome.passed and strategy.reported == [] and strategy.finish_from() is None
    assert not outcome.exhausted and not strategy.running


def _two_symptoms() -> None:
    """B fails one way if it runs while A is half-way, another if A is three-quarters of the
    way: two symptoms (error types), each one preemption of A away from the default order."""
    cell = {"a": "start"}

    def a() -> None:
        cell["a"] = "half"
        harness.yield_point("half")
        cell["a"] = "three quarters"
        harness.yield_point("three quarters")
        cell["a"] = "done"

    def b() -> None:
        if cell["a"] == "half":
            raise ValueError("B ran while A was half-way")
        if cell["a"] == "three quarters":
            raise LookupError("B ran while A was three-quarters of the way")

    for thread in [eventlet.spawn(a), eventlet.spawn(b)]:
        thread.wait()


TWO_SYMPTOMS = Target(name="race_programs:two_symptoms", body=_two_symptoms, fingerprint="0123456789ab")


def test_two_symptoms_are_shrunk_and_reported_apart(signed: None) -> None:
    strategy = HypothesisSearch(200, multiple_bugs=True)
    _explore(TWO_SYMPTOMS, strategy)
    by_kind = {run.signature.error_type: run for run in strategy.reported if run.signature is not None}
    assert set(by_kind) == {"builtins.ValueError", "builtins.LookupError"}, strategy.reported
    for kind, run in by_kind.items():
        shrunk = _schedule(TWO_SYMPTOMS, run.choices)
        assert shrunk.preemptions == 1, (kind, shrunk.encode())
        replayed = harness.replay(TWO_SYMPTOMS, shrunk)
        assert replayed.failure is not None and kind.endswith(type(replayed.failure.error).__name__)


def test_without_multiple_bugs_one_failure_is_reported(signed: None) -> None:
    strategy = HypothesisSearch(200)
    _explore(TWO_SYMPTOMS, strategy)
    [reported] = strategy.reported
    assert _schedule(TWO_SYMPTOMS, reported.choices).preemptions == 1


# -- stopping early --------------------------------------------------------------
@pytest.mark.parametrize("stop", [{"stop_on_failure": True}, {"schedules": 5}], ids=["failure", "budget"])
def test_explore_closes_the_driver_after_an_early_stop(stop: dict[str, object]) -> None:
    strategy = HypothesisSearch(200)
    outcome = _explore(LOSTP, strategy, **stop)
    assert outcome.schedules_run <= 5 or outcome.failure is not None
    # explore closes every strategy that has close(), however its loop ended
    assert not strategy.running and not currently_in_test_context()
    assert strategy.new_execution() is False
    strategy.close()  # idempotent


def test_close_before_the_search_started_is_harmless() -> None:
    strategy = HypothesisSearch(10)
    strategy.close()
    assert strategy.new_execution() is False and not strategy.running


# -- a bare protocol loop over a fake program ---------------------------------------
OPTIONS = (Option(1, "a"), Option(2, "b"))


def _drive(strategy: HypothesisSearch, fails: Callable[[tuple[int, ...]], bool],
           decisions: int = 12) -> list[tuple[int, ...]]:
    """What explore does, with a fake program of ``decisions`` two-way decisions."""
    runs: list[tuple[int, ...]] = []
    while strategy.new_execution():
        assert greenlet.getcurrent() is not strategy._driver  # the draws come from this greenlet
        choices = tuple(strategy.choose(Decision(i, i, OPTIONS, 1, True)) for i in range(decisions))
        failed = fails(choices)
        strategy.end_execution(ExecutionSummary(choices, (2,) * decisions, failed, decisions,
                                                SYMPTOM if failed else None))
        runs.append(choices)
        assert len(runs) < 5000
    return runs


def test_a_fake_program_is_shrunk_to_exactly_its_two_preemptions() -> None:
    strategy = HypothesisSearch(1000)  # fake runs are cheap; 300 examples miss it with seed 0
    runs = _drive(strategy, lambda c: c[3] == 1 and c[7] == 1)
    [reported] = strategy.reported
    assert [i for i, c in enumerate(reported.choices) if c] == [3, 7]
    assert runs[-1] == reported.choices and reported.signature == SYMPTOM


def test_an_interrupt_inside_the_driver_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(hs, "HypothesisStrategy", interrupted)  # raised inside a Hypothesis test case
    strategy = HypothesisSearch(10)
    with pytest.raises(KeyboardInterrupt):
        _drive(strategy, lambda c: False)
    assert not strategy.running and not currently_in_test_context()
    assert strategy.new_execution() is False


def test_an_error_of_the_engine_surfaces_instead_of_hanging() -> None:
    strategy = HypothesisSearch(0)  # max_examples=0 is invalid
    with pytest.raises(hypothesis.errors.InvalidArgument):
        _drive(strategy, lambda c: False)
    assert not strategy.running


def test_a_flaky_program_surfaces_as_hypothesis_flaky() -> None:
    seen: set[tuple[int, ...]] = set()

    def fails_once(choices: tuple[int, ...]) -> bool:
        first = choices not in seen
        seen.add(choices)
        return first and any(choices)

    with pytest.raises(hypothesis.errors.Flaky):
        _drive(HypothesisSearch(100), fails_once)


# -- determinism --------------------------------------------------------------------
@pytest.mark.parametrize("seed", [None, 0], ids=["derandomized", "seeded"])
def test_the_ci_profile_gives_the_same_schedules_twice(monkeypatch: pytest.MonkeyPatch, signed: None,
                                                       seed: int | None) -> None:
    monkeypatch.setenv("CI", "true")  # derandomized, no database
    assert hs.search_settings(10).derandomize

    def schedules() -> list[tuple[tuple[int, ...], bool]]:
        seen: list[tuple[tuple[int, ...], bool]] = []

        class Recording(HypothesisSearch):
            def end_execution(self, summary: ExecutionSummary) -> None:
                seen.append((summary.choices, summary.failed))
                super().end_execution(summary)

        _explore(LOSTP, Recording(100, seed=seed), verify_determinism=False)
        return seen

    first, second = schedules(), schedules()
    assert first == second and first[-1][1]  # the same runs, ending with the same shrunk failure
