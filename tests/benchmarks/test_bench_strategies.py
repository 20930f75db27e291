"""``benchmarks/bench_strategies.py``: every failing matrix cell is measured, and a miss says why.

No timings: what the table's reader relies on is which cells are measured,
that a miss counts as the budget, and that a deterministic miss tells a
passed preemption bound from a budget that ran out.
"""

from __future__ import annotations

import functools
from importlib.util import find_spec

from harness._targets import Expectation, Registry, Target
from harness.strategies import BoundedDfsStrategy, RandomStrategy
from race_harness.benchmarks import bench_strategies as bench

# B must read the flag open, then closed: two preemptions (a toy from the benchmark, made small).
NEEDS_TWO = bench._target("needs_two", functools.partial(bench.window, length=6, at=3, reread=True))
NEVER_FAILS = bench._target("never_fails", bench.independent)


def _target(name: str, *cells: tuple[str, str]) -> Target:
    expectations = tuple(Expectation(model, verdict) for model, verdict in cells)  # type: ignore[arg-type]
    return Target(name=name, body=lambda: None, fingerprint="0" * 12, expectations=expectations)


def test_failing_cells_are_every_fail_expectation_lazy_targets_included() -> None:
    registry = Registry()
    registry.add(_target("a:old", ("cooperative", "pass"), ("preemptive", "fail")))
    registry.add(_target("a:fixed", ("cooperative", "pass"), ("preemptive", "pass")))
    lazy = _target("lazy:up", ("cooperative", "fail"), ("preemptive", "fail"))
    registry.add_factory(("lazy",), lambda: [lazy])
    cells = [(target.name, model) for target, model in bench.failing_cells(registry)]
    assert cells == [("a:old", "preemptive"), ("lazy:up", "cooperative"), ("lazy:up", "preemptive")]


def test_the_installed_registry_gives_the_matrix_failing_cells() -> None:
    cells = {(target.name, model) for target, model in bench.failing_cells()}
    assert ("session_overwrite:old", "preemptive") in cells
    assert ("session_overwrite:old", "cooperative") not in cells  # a pass cell is not measured
    if find_spec("cinder") is not None:
        assert ("cinder_ems_vserver:upstream", "preemptive") in cells


def test_bounded_dfs_finds_the_fewest_preemptions_or_says_the_bound_passed() -> None:
    found = bench.deterministic(NEEDS_TWO, "preemptive", BoundedDfsStrategy(2, reduction=False), 10_000)
    assert found["found"] and found["preemptions"] == 2 and found["why_not"] is None
    assert bench.fewest_preemptions(found) == "2"
    missed = bench.deterministic(NEEDS_TWO, "preemptive", BoundedDfsStrategy(1, reduction=False), 10_000)
    assert not missed["found"] and missed["bound_exhausted"]
    assert missed["why_not"] == f"all {missed['schedules']} schedules with <= 1 preemptions pass"
    assert bench.fewest_preemptions(missed) == "> 1"
    assert "not found: all" in bench._text(missed)


def test_a_budget_miss_is_not_reported_as_a_passed_bound() -> None:
    cut = bench.deterministic(NEEDS_TWO, "preemptive", BoundedDfsStrategy(2, reduction=False), 2)
    assert not cut["found"] and not cut["bound_exhausted"]
    assert cut["why_not"].startswith("budget: 2 schedules, round ")
    assert bench.fewest_preemptions(cut).startswith(">= ")
    assert bench._text(cut) == "not found in 2"


def test_a_seed_that_finds_nothing_counts_as_the_budget() -> None:
    cell = bench.seeded(NEVER_FAILS, "cooperative", RandomStrategy, seeds=2, budget=3)
    assert (cell["found"], cell["runs"], cell["mean"], cell["per_seed"]) == (0, 2, 3, [3, 3])
    assert bench._text(cell) == "not found (0/2)"


def test_ratio_vs_random_is_a_bound_when_one_side_missed() -> None:
    random = {"mean": 2000.0, "found": 0, "runs": 20}
    assert bench.vs_random(random, {"mean": 20.0, "found": 20, "runs": 20}) == ">= 100"
    assert bench.vs_random(random, {"mean": 2000.0, "found": 0, "runs": 20}) is None
    complete = {"mean": 4.0, "found": 20, "runs": 20}
    assert bench.vs_random(complete, {"schedules": 8, "found": True}) == "0.5"
    assert bench.vs_random(complete, {"schedules": 2000, "found": False}) == "<= 0.002"
