"""Hypothesis as a strategy: drawn choices, shrunk toward eventlet's default order."""

from __future__ import annotations

import pytest
import race_programs as rp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import harness
import harness.hypothesis as rh
from harness.schedule import Schedule
from harness.strategies.hypothesis import _settings

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
    best = shrunk if shrunk is not None else failure.schedule
    assert Schedule.parse(best).preemptions == 1  # Hypothesis's result, finished by the harness
    assert Schedule.parse(best).preemptions <= Schedule.parse(failure.schedule).preemptions
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
    ci = _settings(10)
    assert ci.derandomize and ci.database is None and ci.max_examples == 10
    monkeypatch.setenv("CI", "false")
    assert _settings(10).max_examples == 10


def test_a_derandomized_search_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    found = [harness.explore(LOSTP, strategy="hypothesis", preemption="preemptive", schedules=100,
                             database="off") for _ in range(2)]
    schedules = [o.failure.schedule for o in found if o.failure is not None]
    assert len(schedules) == 2 and schedules[0] == schedules[1]
    assert found[0].schedules_run == found[1].schedules_run
