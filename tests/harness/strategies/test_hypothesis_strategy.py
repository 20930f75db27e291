"""Hypothesis as a strategy: drawn preemptions, shrunk toward eventlet's default order."""

from __future__ import annotations

import eventlet
import pytest
import race_programs as rp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import harness
import harness.hypothesis as rh
from harness._schedule import Schedule
from harness._targets import Target
from harness.strategies.base import Decision, Option
from harness.strategies.hypothesis import HypothesisStrategy
from harness.strategies.hypothesis_search import search_settings

LOSTP = rp.target(rp.lostp, "lostp")
SAFE = rp.target(rp.safe, "safe")
QUICK = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


def test_explore_with_hypothesis_reports_the_shrunk_failure() -> None:
    outcome = harness.explore(LOSTP, strategy="hypothesis", preemption="preemptive", schedules=200,
                              database="off")
    assert outcome.failure is not None
    shrunk = Schedule.parse(outcome.failure.schedule)
    assert shrunk.preemptions == 1  # one preemption is the least that loses an update
    assert outcome.stats.failing_preemptions == 1
    assert outcome.schedules_run >= (outcome.stats.schedules_to_first_failure or 0)  # shrinking ran too
    replayed = harness.replay(LOSTP, shrunk)
    assert replayed.failure is not None and "lost update" in str(replayed.failure.error)


def test_explore_with_hypothesis_passes_a_correct_program() -> None:
    outcome = harness.explore(SAFE, strategy="hypothesis", schedules=30, database="off")
    assert outcome.passed and outcome.schedules_run >= 1 and not outcome.exhausted


def test_run_with_data_inside_a_users_given_test() -> None:
    seen: list[str] = []

    @QUICK
    @given(st.data())
    def user_test(data: st.DataObject) -> None:
        result = rh.run_with_data(LOSTP, data, preemption="preemptive", check=False)
        seen.append(harness.Schedule(LOSTP.name, "preemptive", LOSTP.fingerprint, result.choices).encode())
        if result.failure is not None:
            raise AssertionError(f"lost update under {seen[-1]}")

    with pytest.raises(AssertionError, match="lost update under"):
        user_test()
    assert len(seen) > 1


def test_interleavings_strategy_fails_with_a_replayable_minimal_schedule() -> None:
    @QUICK
    @given(rh.interleavings())
    def user_test(interleaving: rh.Interleaving) -> None:
        interleaving.run(LOSTP, preemption="preemptive")

    with pytest.raises(rh.InterleavingFailed) as caught:
        user_test()
    failure, shrunk = caught.value.failure, caught.value.shrunk
    assert Schedule.parse(failure.schedule).preemptions == 1  # Hypothesis's own shrinking
    best = shrunk if shrunk is not None else failure.schedule
    assert Schedule.parse(best).preemptions == 1  # the harness's passes find no fewer
    assert "race-harness replay" in str(caught.value)
    assert harness.replay(LOSTP, failure.schedule).failure is not None
    assert harness.replay(LOSTP, best).failure is not None


def test_interleavings_strategy_passes_a_correct_program() -> None:
    runs: list[int] = []

    @QUICK
    @given(rh.interleavings())
    def user_test(interleaving: rh.Interleaving) -> None:
        runs.append(interleaving.run(SAFE).steps)

    user_test()
    assert len(runs) > 5


def test_ci_forces_a_derandomized_profile_without_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    ci = search_settings(10)
    assert ci.derandomize and ci.database is None and ci.max_examples == 10
    monkeypatch.setenv("CI", "false")
    assert search_settings(10).max_examples == 10


def test_a_derandomized_search_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    found = [harness.explore(LOSTP, strategy="hypothesis", preemption="preemptive", schedules=100,
                             database="off") for _ in range(2)]
    schedules = [o.failure.schedule for o in found if o.failure is not None]
    assert len(schedules) == 2 and schedules[0] == schedules[1]
    assert found[0].schedules_run == found[1].schedules_run


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


def test_each_symptom_is_a_failure_of_its_own_shrunk_on_its_own() -> None:
    """Hypothesis tells failures apart by exception type and raising line, and every
    InterleavingFailed is raised from one line: its class is per failure signature."""

    @QUICK
    @given(rh.interleavings())
    def user_test(interleaving: rh.Interleaving) -> None:
        interleaving.run(TWO_SYMPTOMS, preemption="preemptive")

    with pytest.raises(Exception) as caught:  # an exception group of both
        user_test()
    failures = list(getattr(caught.value, "exceptions", [caught.value]))
    assert all(isinstance(f, rh.InterleavingFailed) for f in failures), failures
    kinds = {type(f.failure.error): f for f in failures}
    assert set(kinds) == {ValueError, LookupError}
    for kind, failed in kinds.items():
        assert failed.signature is not None and failed.signature.error_type.endswith(kind.__name__)
        assert Schedule.parse(failed.failure.schedule).preemptions == 1
        assert "symptom:" in str(failed) and kind.__name__ in str(failed)
        replayed = harness.replay(TWO_SYMPTOMS, failed.failure.schedule)
        assert replayed.failure is not None and type(replayed.failure.error) is kind
    assert type(kinds[ValueError]) is not type(kinds[LookupError])


def _scripted(draws: list[object]) -> tuple[HypothesisStrategy, list[object]]:
    """A strategy whose draws come from ``draws``, in order; the second value is what it drew."""
    taken: list[object] = []

    def draw(strategy: object) -> object:
        taken.append(draws[len(taken)])
        return taken[-1]

    strategy = HypothesisStrategy(draw, horizon=20)
    strategy.new_execution()
    return strategy, taken


def _choices(strategy: HypothesisStrategy, decisions: int) -> list[int]:
    options = (Option(1, "a"), Option(2, "b"), Option(3, "c"))
    return [strategy.choose(Decision(i, i, options, 1, True)) for i in range(decisions)]


def test_only_preemptions_cost_draws() -> None:
    """Eventlet's default order is one draw ("no preemption") and each preemption three
    (another? at which decision? which option?): Hypothesis's shortlex order, fewer
    draws first, is then fewer preemptions first, however long the run."""
    default, taken = _scripted([False])
    assert _choices(default, 30) == [0] * 30 and taken == [False]

    one, taken = _scripted([True, 7, 2, False])
    assert _choices(one, 30) == [0] * 7 + [2] + [0] * 22 and len(taken) == 4

    two, taken = _scripted([True, 3, 1, True, 9, 2, False])
    assert _choices(two, 12) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0] and len(taken) == 7

    passed, taken = _scripted([True, 4, 0, False])  # a planned point may keep the default
    assert _choices(passed, 8) == [0] * 8 and len(taken) == 4
