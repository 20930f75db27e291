"""Bounded DFS: iterative context bounding, and sleep sets that never change a verdict."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
import race_programs as rp

import harness
from harness._engine.run import RunConfig
from harness._errors import InvalidSetting
from harness._search.session import installed, run_once
from harness._targets import Target, load_registry
from harness.strategies import BoundedDfsStrategy, DfsStrategy, Strategy


def schedules_of(target: Target, strategy: Strategy, model: str = "cooperative",
                 limit: int = 20_000) -> list[tuple[int, ...]]:
    """Every schedule the strategy runs, in order, with complete runs only."""
    out: list[tuple[int, ...]] = []
    config = RunConfig(preemptive=model == "preemptive")
    with installed(target, model):
        while len(out) < limit and strategy.new_execution():
            result = run_once(target, strategy, config)
            if result.stop_reason != "pruned":
                out.append(result.choices)
    return out


def preemptions(choices: tuple[int, ...]) -> int:
    return sum(1 for c in choices if c)


LOST3 = rp.target(functools.partial(rp.lost_update, workers=3), "lost3")
LOSTP = rp.target(rp.lostp, "lostp")


def test_rounds_run_every_schedule_once_in_order_of_preemptions() -> None:
    plain = schedules_of(LOST3, DfsStrategy())
    bounded = schedules_of(LOST3, BoundedDfsStrategy(None, reduction=False))
    assert sorted(bounded) == sorted(plain)  # the same space, nothing twice
    assert len(set(bounded)) == len(bounded)
    counts = [preemptions(c) for c in bounded]
    assert counts == sorted(counts)  # 0 preemptions first, then 1, then 2 ...
    assert counts[0] == 0 and counts[1] == 1


@pytest.mark.parametrize("bound", [0, 1, 2])
def test_a_bound_keeps_exactly_the_schedules_with_at_most_that_many_preemptions(bound: int) -> None:
    plain = schedules_of(LOST3, DfsStrategy())
    strategy = BoundedDfsStrategy(bound, reduction=False)
    bounded = schedules_of(LOST3, strategy)
    assert sorted(bounded) == sorted(c for c in plain if preemptions(c) <= bound)
    assert strategy.bound_exhausted and not strategy.exhausted  # more lies beyond the bound
    assert strategy.cut > 0


def test_a_bound_that_covers_the_space_is_an_exhaustive_proof() -> None:
    outcome = harness.explore(rp.target(rp.safe, "safe"), strategy=BoundedDfsStrategy(10),
                              database="off")
    assert outcome.passed and outcome.exhausted
    assert "exhaustive proof" in outcome.verdict()


def test_a_one_preemption_bug_is_found_in_round_one() -> None:
    strategy = BoundedDfsStrategy(None)
    outcome = harness.explore(LOSTP, strategy=strategy, preemption="preemptive", database="off")
    assert outcome.failure is not None and outcome.failure.preemptions == 1
    assert strategy.round == 1
    assert outcome.first_failure_after is not None and outcome.first_failure_after <= 5


def test_bound_zero_misses_a_bug_that_needs_a_preemption() -> None:
    outcome = harness.explore(LOSTP, strategy=BoundedDfsStrategy(0), preemption="preemptive",
                              database="off")
    assert outcome.passed and outcome.schedules_run == 1 and not outcome.exhausted


def test_negative_bound_is_refused() -> None:
    with pytest.raises(InvalidSetting, match="bound"):
        BoundedDfsStrategy(-1)


# -- sleep sets ---------------------------------------------------------------------
def counts(body: Callable[[], None], name: str, model: str = "cooperative") -> dict[str, object]:
    """Explore exhaustively with and without reduction; the outcomes each reached."""
    out: dict[str, object] = {}
    for reduction in (False, True):
        rp.OUTCOMES.clear()
        strategy = BoundedDfsStrategy(None, reduction=reduction)
        outcome = harness.explore(rp.target(body, name), strategy=strategy, preemption=model,
                                  schedules=100_000, stop_on_failure=False, database="off")
        out[f"runs{int(reduction)}"] = outcome.schedules_run
        out[f"failed{int(reduction)}"] = bool(outcome.failures)
        out[f"exhausted{int(reduction)}"] = outcome.exhausted
        out[f"outcomes{int(reduction)}"] = set(rp.OUTCOMES)
        out[f"strategy{int(reduction)}"] = strategy
    return out


def test_sleep_sets_collapse_independent_workers() -> None:
    result = counts(functools.partial(rp.independent, workers=3, rounds=1), "independent")
    assert result["exhausted0"] and result["exhausted1"]
    assert result["outcomes0"] == result["outcomes1"] == {(1, 1, 1)}
    runs0, runs1, reduced = result["runs0"], result["runs1"], result["strategy1"]
    assert isinstance(runs0, int) and isinstance(runs1, int) and isinstance(reduced, BoundedDfsStrategy)
    assert runs1 * 4 < runs0, f"reduction {runs0} -> {runs1} runs is too small"
    assert reduced.explored * 10 < runs0, f"{reduced.explored} complete runs of {runs0} orders"
    assert reduced.pruned > 0 and reduced.blocked > 0


def test_undeclared_steps_count_as_dependent() -> None:
    result = counts(functools.partial(rp.undeclared_independent, workers=2), "undeclared")
    assert result["runs0"] == result["runs1"]
    reduced = result["strategy1"]
    assert isinstance(reduced, BoundedDfsStrategy) and reduced.pruned == reduced.blocked == 0


@pytest.mark.parametrize(("name", "body", "model"), [
    ("lost update, 3 workers", functools.partial(rp.lost_update, workers=3), "cooperative"),
    ("lost update, preemptive", functools.partial(rp.lost_update_preemptive, rounds=2), "preemptive"),
    ("shared log beside a loner", rp.mixed, "cooperative"),
])
def test_reduction_reaches_the_same_verdict_and_outcomes(name: str, body: Callable[[], None],
                                                         model: str) -> None:
    result = counts(body, name.replace(" ", "_").replace(",", ""), model)
    assert result["exhausted0"] and result["exhausted1"]
    assert result["failed0"] == result["failed1"] is True
    assert result["outcomes0"] == result["outcomes1"], "reduction lost an outcome"
    runs0, runs1 = result["runs0"], result["runs1"]
    assert isinstance(runs0, int) and isinstance(runs1, int) and runs1 < runs0


def test_explore_reports_explored_pruned_and_exhausted() -> None:
    outcome = harness.explore(rp.target(rp.independent, "independent"), strategy="bounded",
                              stop_on_failure=False, database="off", schedules=10_000)
    counters = outcome.stats.strategy
    assert outcome.exhausted and outcome.passed
    assert counters["explored"] + counters["blocked"] == outcome.schedules_run
    assert counters["pruned"] > 0
    assert outcome.stats.pruned_runs == counters["blocked"]
    assert "pruned" in outcome.strategy and "exhausted" in outcome.strategy


def test_settings_choose_bound_and_reduction() -> None:
    settings = harness.Settings(strategy="bounded", preemption_bound=0, reduction=False, database="off")
    outcome = harness.explore(LOST3, settings=settings, stop_on_failure=False)
    assert outcome.schedules_run == 1
    assert "at most 0 preemption" in outcome.strategy and "no reduction" in outcome.strategy


@pytest.mark.slow
@pytest.mark.parametrize(("name", "model"), [("session_overwrite:old", "cooperative"),
                                             ("session_overwrite:patched", "preemptive")])
def test_scenario_verdicts_match_with_and_without_reduction(name: str, model: str) -> None:
    target = load_registry().get(name)
    if target is None:
        pytest.skip(f"scenario {name} is not registered")
    verdicts = []
    for reduction in (False, True):
        outcome = harness.explore(target, strategy=BoundedDfsStrategy(None, reduction=reduction),
                                  preemption=model, schedules=20_000, database="off")
        verdicts.append((outcome.passed, outcome.exhausted))
    assert verdicts[0] == verdicts[1]


@pytest.mark.parametrize("seed", [2, 3, 8, 10, 19, 26, 33, 43, 46, 51])
def test_reduction_keeps_every_observation_of_random_programs(seed: int) -> None:
    result = counts(rp.random_program(seed), f"random{seed}")
    assert result["exhausted0"] and result["exhausted1"]
    assert result["outcomes0"] == result["outcomes1"], "reduction lost a reachable observation"
    runs0, runs1 = result["runs0"], result["runs1"]
    assert isinstance(runs0, int) and isinstance(runs1, int) and runs1 <= runs0


def test_exhaustion_is_known_when_the_budget_ends_exactly_with_the_space() -> None:
    total = harness.explore(LOST3, strategy=BoundedDfsStrategy(None, reduction=False), schedules=10_000,
                            stop_on_failure=False, database="off").schedules_run
    exact = harness.explore(LOST3, strategy=BoundedDfsStrategy(None, reduction=False), schedules=total,
                            stop_on_failure=False, database="off")
    assert exact.exhausted and exact.schedules_run == total
    short = harness.explore(LOST3, strategy=BoundedDfsStrategy(None, reduction=False),
                            schedules=total - 1, stop_on_failure=False, database="off")
    assert not short.exhausted


def test_dfs_with_a_preemption_bound_is_the_bounded_dfs() -> None:
    settings = harness.Settings(strategy="dfs", preemption_bound=1, database="off", preemption="preemptive")
    outcome = harness.explore(LOSTP, settings=settings)
    assert outcome.failure is not None and outcome.failure.preemptions == 1
    assert outcome.strategy.startswith("bounded DFS (at most 1 preemption")
