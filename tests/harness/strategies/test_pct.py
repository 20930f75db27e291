"""PCT: random priorities, depth - 1 change points, and its probability bound."""

from __future__ import annotations

import functools

import pytest
import race_programs as rp

import harness
from harness._errors import InvalidSetting
from harness.strategies import PctStrategy, RandomStrategy
from harness.strategies.base import Decision, ExecutionSummary, Option


def decision(index: int, *threads: int, preemption: bool = False) -> Decision:
    return Decision(index, index, tuple(Option(t, f"gt{t}") for t in threads), threads[0], preemption)


def run_choices(strategy: PctStrategy, rounds: int, threads: tuple[int, ...]) -> list[int]:
    strategy.new_execution()
    picks = [threads[strategy.choose(decision(i, *threads))] for i in range(rounds)]
    summary = ExecutionSummary(tuple([0] * rounds), tuple([len(threads)] * rounds), False, rounds)
    strategy.end_execution(summary)
    return picks


def test_without_change_points_the_highest_priority_thread_always_runs() -> None:
    pct = PctStrategy(seed=4, depth=1)
    picks = run_choices(pct, 10, (1, 2, 3))
    assert picks == [pct.priority_order()[0]] * 10
    assert pct.change_points == frozenset()


def test_priorities_follow_the_seed() -> None:
    orders = set()
    for seed in range(12):
        pct = PctStrategy(seed=seed, depth=1)
        run_choices(pct, 1, (1, 2, 3))
        again = PctStrategy(seed=seed, depth=1)
        run_choices(again, 1, (1, 2, 3))
        assert pct.priority_order() == again.priority_order()
        orders.add(tuple(pct.priority_order()))
    assert len(orders) >= 4, "priorities should vary with the seed"


def test_first_run_measures_k_and_later_runs_draw_depth_minus_one_change_points() -> None:
    pct = PctStrategy(seed=1, depth=3)
    run_choices(pct, 20, (1, 2))
    assert pct.change_points == frozenset()  # no estimate of k before the first run
    assert pct.estimated_steps == 20
    for _ in range(30):
        pct.new_execution()
        assert len(pct.change_points) == 2
        assert all(0 <= c < 20 for c in pct.change_points)


def test_steps_hint_gives_the_first_run_change_points() -> None:
    pct = PctStrategy(seed=2, depth=2, steps_hint=5)
    pct.new_execution()
    assert len(pct.change_points) == 1 and next(iter(pct.change_points)) < 5


def test_a_change_point_demotes_the_running_thread_below_all_others() -> None:
    pct = PctStrategy(seed=0, depth=2, steps_hint=6)
    pct.new_execution()
    point = next(iter(pct.change_points))
    picks = [(1, 2, 3)[pct.choose(decision(i, 1, 2, 3))] for i in range(6)]
    top = picks[0]
    assert picks[:point] == [top] * point
    assert all(p != top for p in picks[point:])
    assert pct.priority_order()[-1] == top


def test_depth_must_be_positive() -> None:
    with pytest.raises(InvalidSetting, match="depth"):
        PctStrategy(depth=0)


def hit_rate(body: object, depth: int, runs: int, seed: int = 0) -> tuple[float, float, int, int]:
    """Observed failure rate per run, and the PCT bound 1/(n k^(d-1)) for the program."""
    target = rp.target(body, f"pct_{depth}")  # type: ignore[arg-type]
    threads = harness.replay(target, f"rh1:{target.name}:p:{target.fingerprint}:-").threads
    pct = PctStrategy(seed=seed, depth=depth)
    outcome = harness.explore(target, strategy=pct, schedules=runs, preemption="preemptive",
                              stop_on_failure=False, database="off")
    assert outcome.schedules_run == runs
    # the first run has no estimate of k yet (no change point): count the others
    first_failed = outcome.stats.schedules_to_first_failure == 1
    rate = (outcome.failures_found - first_failed) / (runs - 1)
    return rate, 1 / (threads * pct.estimated_steps ** (depth - 1)), threads, pct.estimated_steps


@pytest.mark.parametrize(("name", "body", "depth"), [
    ("window depth 2", rp.window, 2),
    ("lost update depth 2", rp.lostp, 2),
    ("window, depth-3 search", rp.window, 3),
    ("window3 depth 3", functools.partial(rp.window3), 3),
])
def test_pct_meets_its_probability_bound(name: str, body: object, depth: int) -> None:
    rate, bound, threads, k = hit_rate(body, depth, runs=1200)
    assert threads == 3 and k > 5
    assert rate >= bound, f"{name}: PCT hit rate {rate:.4f} < bound 1/(n k^(d-1)) = {bound:.4f}"


def test_pct_finds_a_deep_window_that_a_random_walk_misses() -> None:
    body = functools.partial(rp.window, length=24, at=18)
    target = rp.target(body, "deep_window")
    walk = harness.explore(target, strategy=RandomStrategy(0), schedules=300, preemption="preemptive",
                           database="off")
    pct = harness.explore(target, strategy=PctStrategy(0, depth=2), schedules=300,
                          preemption="preemptive", database="off")
    assert walk.failure is None
    assert pct.failure is not None and pct.failure.preemptions >= 1


def test_explore_builds_pct_with_the_configured_depth() -> None:
    settings = harness.Settings(strategy="pct", pct_depth=2, database="off", preemption="preemptive")
    outcome = harness.explore(rp.target(rp.window, "window"), settings=settings, schedules=200)
    assert outcome.failure is not None
    assert outcome.strategy.startswith("PCT depth 2")
