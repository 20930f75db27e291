"""The verdict matrix, cell by cell, and the replay of every failure.

Each target declares, per preemption model, the verdict it expects and how it
is decided (strategy and budget).  The fast tests decide every "fail" cell
with the declared strategy (each fails within a few schedules) and sample
every "pass" cell with a short random walk; the slow tests spend the declared
budget and check that the cells claimed exhaustive really are.
"""

from __future__ import annotations

import pytest
from scenario_support import own_targets, skip_without_files_route

import harness
from harness import Target
from harness._frontends.matrix import planned_strategy
from harness._targets import Model

FAST_PASS_SCHEDULES = 15
CELLS = [(t, m) for t in own_targets() for m in ("cooperative", "preemptive")]
IDS = [f"{t.name}-{m}" for t, m in CELLS]

# Cells whose declared DFS budget covers the whole schedule space (measured).
EXHAUSTIVE = {
    ("session_overwrite:old", "cooperative"),
    ("session_overwrite:patched", "cooperative"),
    ("session_overwrite:patched", "preemptive"),
    ("ems_vserver:fix_a_delay", "cooperative"),
    ("ems_vserver:fix_a_delay", "preemptive"),
    ("ems_vserver:fix_b_deepcopy", "cooperative"),
    ("ems_vserver:fix_d_vserver_param", "cooperative"),
    ("ems_vserver:patched", "cooperative"),
}
# Exhaustive proofs cheap enough (well under a second) for every test run.
FAST_EXHAUSTIVE = {
    ("session_overwrite:old", "cooperative"),
    ("session_overwrite:patched", "cooperative"),
    ("session_overwrite:patched", "preemptive"),
    ("ems_vserver:fix_a_delay", "cooperative"),
}


def _declared(target: Target, model: Model) -> harness.Exploration:
    exp = target.expectation(model)
    assert exp is not None, f"{target.name} declares no {model} expectation"
    return harness.explore(
        target, strategy=planned_strategy(exp), schedules=exp.schedules, seed=exp.seed, preemption=model
    )


def _is_fail(target: Target, model: Model) -> bool:
    exp = target.expectation(model)
    return exp is not None and exp.verdict == "fail"


@pytest.mark.parametrize(("target", "model"), CELLS, ids=IDS)
def test_cell_fast(target: Target, model: Model) -> None:
    skip_without_files_route(target)
    if _is_fail(target, model):
        outcome = _declared(target, model)
        assert outcome.failure is not None, f"{target.name} ({model}) should fail: {outcome.verdict()}"
        assert outcome.schedules_run <= 5, "the failure should be found within a few schedules"
        _assert_replays(target, outcome.failure)
    elif (target.name, model) in FAST_EXHAUSTIVE:
        outcome = _declared(target, model)
        assert outcome.failure is None and outcome.exhausted, outcome.verdict()
    else:
        outcome = harness.explore(target, strategy="random", schedules=FAST_PASS_SCHEDULES, preemption=model)
        assert outcome.failure is None, outcome.failure and outcome.failure.describe()
        assert outcome.decisions > 0, "nothing interleaved: the cell would pass vacuously"


@pytest.mark.slow
@pytest.mark.parametrize(("target", "model"), CELLS, ids=IDS)
def test_cell_declared_budget(target: Target, model: Model) -> None:
    skip_without_files_route(target)
    outcome = _declared(target, model)
    if _is_fail(target, model):
        assert outcome.failure is not None, outcome.verdict()
        return
    assert outcome.failure is None, outcome.failure and outcome.failure.describe()
    if (target.name, model) in EXHAUSTIVE:
        assert outcome.exhausted, f"expected an exhaustive proof: {outcome.verdict()}"
    exp = target.expectation(model)
    if exp is not None and exp.strategy == "bounded":
        assert "bounded DFS" in outcome.strategy and "every schedule within the bound run" in outcome.strategy


def _assert_replays(target: Target, failure: harness.Failure) -> None:
    """The printed schedule reproduces the same failure, exactly."""
    result = harness.replay(target, failure.schedule)
    assert result.failure is not None, f"replay of {failure.schedule} passed"
    assert type(result.failure.error) is type(failure.error)
    assert str(result.failure.error) == str(failure.error)
    assert result.failure.thread == failure.thread
