"""Wall time of the exhaustive proofs: the matrix's passing cells that DFS decides.

Each cell is explored three ways when the harness has a reducing strategy:
plain ``dfs`` (every schedule), the unbounded ``bounded`` DFS without
reduction (the same space, the same engine as the next one, so the pair
isolates what reduction saves) and with sleep-set reduction.  A proof only
counts when the exploration says ``exhausted``; a budget hit is reported as
"not exhaustive", never as a proof.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import explore
from harness._targets import MODELS, Target, load_registry
from harness.strategies import BoundedDfsStrategy, DfsStrategy, Strategy
from race_harness.benchmarks.common import Budget

QUICK_CELLS = (("session_overwrite:old", "cooperative"),)
HEADLINE = ("session_overwrite:old", "cooperative")


def proof_cells(quick: bool) -> list[tuple[Target, str]]:
    """(target, model) of every registered cell expected to pass and decided by DFS."""
    registry = load_registry()
    if quick:
        return [(t, m) for name, m in QUICK_CELLS if (t := registry.get(name)) is not None]
    cells: list[tuple[Target, str]] = []
    for target in registry.targets():
        for model in MODELS:
            expectation = target.expectation(model)
            if expectation and expectation.verdict == "pass" and expectation.strategy == "dfs":
                cells.append((target, model))
    return cells


def _ways() -> dict[str, Callable[[], Strategy]]:
    return {
        "dfs": DfsStrategy,
        "bounded_no_reduction": lambda: BoundedDfsStrategy(reduction=False),
        "bounded_sleep_sets": lambda: BoundedDfsStrategy(reduction=True),
    }


def prove(target: Target, model: str, planner: Strategy, budget: int) -> dict[str, Any]:
    found = explore(target, strategy=planner, schedules=budget, preemption=model,
                    stop_on_failure=True, database="off")
    return {
        "wall_s": round(found.elapsed, 3),
        "schedules": found.schedules_run,
        "exhausted": found.exhausted,
        "passed": found.passed,
        "verdict": found.verdict(),
        "strategy_counters": dict(found.stats.strategy),
    }


def measure(budget: Budget, say: Callable[[str], None]) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for target, model in proof_cells(budget.quick):
        key = f"{target.name} {model}"
        say(f"proof: {key}")
        cells[key] = {}
        for way, make in _ways().items():
            cells[key][way] = prove(target, model, make(), budget.proof_budget)
        cells[key]["reduction_speedup"] = _speedup(cells[key])
    headline = cells.get(f"{HEADLINE[0]} {HEADLINE[1]}")
    return {"budget": budget.proof_budget, "cells": cells,
            "headline": {"cell": " ".join(HEADLINE), **(headline or {})}}


def _speedup(cell: dict[str, Any]) -> float | None:
    """Wall time without reduction / with it, when both were exhaustive."""
    plain, reduced = cell.get("bounded_no_reduction", {}), cell.get("bounded_sleep_sets", {})
    if not (plain.get("exhausted") and reduced.get("exhausted")) or not reduced.get("wall_s"):
        return None
    return round(float(plain["wall_s"]) / float(reduced["wall_s"]), 2)
