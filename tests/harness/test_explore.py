"""explore() and replay(): finding a race, replaying it exactly, proving a fix,
and leaving the process as it found it whatever happened."""

from __future__ import annotations

import warnings

import eventlet
import pytest
from engine_helpers import (
    FINGERPRINT,
    assert_restored,
    global_state,
    live_greenlets,
    make_target,
    registered_greenthreads,
    schedule_for,
)
from engine_programs import guarded_update, lost_update

import harness
from harness._errors import ScheduleDivergence, StaleSchedule
from harness._schedule import Schedule
from harness.strategies import RandomStrategy
from harness.strategies.base import Decision

LOST = make_target(lost_update, name="engine_programs:lost_update")
GUARDED = make_target(guarded_update, name="engine_programs:guarded_update")


# -- the lost update ------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["random", "dfs"])
def test_lost_update_is_found(strategy: str) -> None:
    exploration = harness.explore(LOST, strategy=strategy, schedules=200, seed=3)
    assert exploration.failure is not None
    assert isinstance(exploration.failure.error, AssertionError)
    assert "lost update: counter is 1" in str(exploration.failure.error)
    assert exploration.verdict().startswith("FAIL after 1 schedule")
    assert exploration.failure.schedule.startswith(f"rh1:engine_programs:lost_update:c:{FINGERPRINT}:")


def test_lost_update_needs_the_right_interleaving() -> None:
    # Not every order loses the update: exhaustive DFS sees both outcomes.
    exploration = harness.explore(LOST, strategy="dfs", schedules=1000, stop_on_failure=False)
    assert exploration.exhausted
    assert 0 < len(exploration.failures) < exploration.schedules_run


def test_failing_schedule_replays_to_the_same_failure_and_trace_1000_times() -> None:
    failure = harness.explore(LOST, strategy="random", schedules=200, seed=11).failure
    assert failure is not None
    expected = failure.trace.lines()
    for _ in range(1000):
        result = harness.replay(LOST, failure.schedule)
        assert result.failure is not None
        assert str(result.failure.error) == str(failure.error)
        assert result.trace.lines() == expected


def test_semaphore_guarded_update_passes_exhaustive_dfs() -> None:
    exploration = harness.explore(GUARDED, strategy="dfs", schedules=10_000)
    assert exploration.passed
    assert exploration.exhausted
    assert exploration.decisions > 0
    expected = f"pass, exhaustive proof: all {exploration.schedules_run} schedules (cooperative)"
    assert exploration.verdict() == expected


def test_random_pass_is_never_called_a_proof() -> None:
    exploration = harness.explore(GUARDED, strategy="random", schedules=20)
    assert exploration.passed and not exploration.exhausted
    assert "not exhaustive" in exploration.verdict()


def test_a_program_with_no_choices_says_nothing_was_explored() -> None:
    exploration = harness.explore(make_target(lambda: eventlet.sleep(1)), strategy="dfs")
    assert exploration.passed and exploration.decisions == 0
    assert "nothing was explored" in exploration.verdict()


def test_explore_accepts_closures_and_lambdas_as_targets() -> None:
    # Regression: names like "mod:f.<locals>.body" made the failing schedule unencodable.
    def body() -> None:
        raise AssertionError("boom")

    exploration = harness.explore(body, schedules=2)
    assert exploration.failure is not None
    schedule = Schedule.parse(exploration.failure.schedule)
    assert "<" not in schedule.target
    assert schedule.target.endswith("_locals_.body")
    assert harness.replay(body, exploration.failure.schedule).failure is not None
    assert harness.explore(lambda: None, schedules=1).passed


# -- replay: divergence, stale schedules, other targets ---------------------------

def test_replay_with_an_option_that_does_not_exist_diverges_naming_the_decision() -> None:
    with pytest.raises(ScheduleDivergence) as info:
        harness.replay(LOST, schedule_for(LOST, 0, 7))
    message = str(info.value)
    assert "decision 1" in message
    assert "option 7" in message
    assert "only 2 could run" in message


def test_stale_schedule_warns_and_still_replays() -> None:
    failure = harness.explore(LOST, strategy="dfs").failure
    assert failure is not None
    changed = make_target(lost_update, name="engine_programs:lost_update")
    stale = failure.schedule.replace(FINGERPRINT, "fedcba987654")
    with pytest.warns(StaleSchedule, match="fedcba987654 differs"):
        result = harness.replay(changed, stale)
    assert result.failure is not None
    assert result.trace.lines() == failure.trace.lines()


def test_replay_refuses_a_schedule_of_another_target() -> None:
    with pytest.raises(ScheduleDivergence, match="recorded for target 'engine_programs:guarded_update'"):
        harness.replay(LOST, schedule_for(GUARDED))


def test_replay_honours_the_horizon_it_was_explored_with() -> None:
    def periodic() -> None:
        def tick() -> None:
            while True:
                eventlet.sleep(3600)

        eventlet.spawn(tick)

    target = make_target(periodic)
    result = harness.replay(target, schedule_for(target), until=7200)
    assert result.failure is None
    assert result.stop_reason == "horizon"


# -- the process is restored, whatever happened ---------------------------------------

def _raising_in_gt() -> None:
    def interrupt() -> None:
        eventlet.sleep(1)
        raise KeyboardInterrupt

    eventlet.spawn(interrupt)
    eventlet.spawn(eventlet.sleep, 100)
    eventlet.spawn(eventlet.Event().wait)  # blocked for good: only teardown can stop it
    eventlet.sleep(10)


class _BrokenStrategy(RandomStrategy):
    def choose(self, decision: Decision) -> int:
        raise RuntimeError("strategy bug")


def _explore_passing() -> None:
    assert harness.explore(GUARDED, strategy="dfs").passed


def _explore_failing() -> None:
    assert not harness.explore(LOST, strategy="dfs").passed


def _explore_deadlocked() -> None:
    def body() -> None:
        never = eventlet.Event()
        for _ in range(3):
            eventlet.spawn(never.wait)
        never.wait()

    failure = harness.explore(make_target(body), strategy="dfs").failure
    assert failure is not None and "blocked forever" in str(failure.error)


def _explore_with_a_broken_strategy() -> None:
    with pytest.raises(RuntimeError, match="strategy bug"):
        harness.explore(LOST, strategy=_BrokenStrategy())


def _explore_interrupted() -> None:
    with pytest.raises(KeyboardInterrupt):
        harness.explore(make_target(_raising_in_gt), strategy="random", schedules=5)


@pytest.mark.parametrize(
    "exploration",
    [_explore_passing, _explore_failing, _explore_deadlocked, _explore_with_a_broken_strategy,
     _explore_interrupted],
)
def test_everything_is_restored_and_no_greenthread_survives(exploration: object) -> None:
    before = global_state()
    alive_before = live_greenlets()
    with registered_greenthreads() as threads:
        exploration()  # type: ignore[operator]
    assert_restored(before)
    assert threads, "the exploration ran no greenthread at all"
    assert [thread for thread in threads if not thread.dead] == []
    assert live_greenlets() - alive_before == set()


def test_a_keyboard_interrupt_stops_the_exploration_at_once() -> None:
    runs: list[int] = []

    def body() -> None:
        runs.append(1)
        _raising_in_gt()

    with pytest.raises(KeyboardInterrupt):
        harness.explore(make_target(body), strategy="random", schedules=50)
    assert runs == [1]


def test_no_stale_schedule_warning_for_the_same_code() -> None:
    failure = harness.explore(LOST, strategy="dfs").failure
    assert failure is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        harness.replay(LOST, failure.schedule)


def test_determinism_check_ignores_object_addresses_in_messages() -> None:
    import eventlet

    import harness

    class Box:
        value = 0

    def body() -> None:
        box = Box()

        def bump() -> None:
            seen = box.value
            eventlet.sleep(0)
            box.value = seen + 1

        threads = [eventlet.spawn(bump) for _ in range(2)]
        for thread in threads:
            thread.wait()
        assert box.value == 2, f"{box!r} lost an update"

    outcome = harness.explore(body, strategy="dfs", verify_determinism=True, database="off")
    assert outcome.failure is not None
    assert "object at 0x" in str(outcome.failure.error)
