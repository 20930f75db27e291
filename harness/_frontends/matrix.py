"""The verdict matrix: every registered target under both preemption models.

Each cell is decided by a real exploration, planned by the target's
``Expectation`` for that model (exhaustive DFS with a budget, or N random
schedules), and compared with the expected verdict.  A pass that was not
exhaustive is printed as such, never as a proof.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

from harness._search.explore import explore
from harness._targets import MODELS, Expectation, Model, Target
from harness.strategies import BoundedDfsStrategy, Strategy


@dataclass
class Cell:
    """One target under one model: expected vs observed, and how it was decided."""

    target: str
    model: str
    expected: str
    observed: str
    how: str
    schedules: int
    exhausted: bool
    schedule: str | None
    error: str | None
    seconds: float
    why: str
    refused: bool = False  # the code escaped the scheduler: no verdict (observed "refused")

    @property
    def matches(self) -> bool:
        return self.expected == self.observed


def decide(target: Target, model: Model) -> Cell | None:
    """Explore ``target`` under ``model`` as its expectation plans; None if it has none.

    The failure database is off: a cell's verdict and "how" must come from the
    planned exploration alone, the same on every machine."""
    expectation = target.expectation(model)
    if expectation is None:
        return None
    started = time.perf_counter()
    planner = planned_strategy(expectation)
    outcome = explore(
        target, strategy=planner, schedules=expectation.schedules,
        seed=expectation.seed, preemption=model, database="off",
    )
    observed = "refused" if outcome.refused else "fail" if outcome.failure is not None else "pass"
    within_bound = isinstance(planner, BoundedDfsStrategy) and planner.bound_exhausted
    return Cell(
        target=target.name, model=model, expected=expectation.verdict, observed=observed,
        how=_how(expectation, outcome.schedules_run, outcome.exhausted, outcome.failure is not None,
                 outcome.decisions, outcome.refused, within_bound),
        schedules=outcome.schedules_run, exhausted=outcome.exhausted,
        schedule=outcome.failure.schedule if outcome.failure and not outcome.refused else None,
        error=_first_line(outcome.failure.error) if outcome.failure else None,
        seconds=time.perf_counter() - started, why=expectation.why, refused=outcome.refused,
    )


def planned_strategy(expectation: Expectation) -> Strategy | str:
    """The strategy the expectation plans: a strategy name, or for ``bounded`` the
    bounded DFS without reduction (a proof within a bound must not lean on sleep
    sets, which are only sound over the unbounded space)."""
    if expectation.strategy == "bounded":
        return BoundedDfsStrategy(expectation.bound, reduction=False)
    return expectation.strategy


def _how(expectation: Expectation, runs: int, exhausted: bool, failed: bool, decisions: int = 1,
         refused: bool = False, within_bound: bool = False) -> str:
    if refused:
        return f"refused at schedule {runs}: the code escaped the scheduler, no verdict"
    if failed:
        return f"{expectation.strategy}: failure at schedule {runs}"
    if decisions == 0:
        return f"no decision offered in {runs} run(s): nothing interleaved, nothing explored"
    if exhausted:
        return f"exhaustive dfs: {runs} schedules"
    if within_bound:
        return (f"bounded dfs: all {runs} schedules with <= {expectation.bound} preemption(s) pass, "
                "not exhaustive")
    return f"{expectation.strategy}: {runs} schedules, not exhaustive"


def _first_line(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text.splitlines()[0][:200]


def run_matrix(targets: list[Target], models: tuple[Model, ...] = MODELS) -> list[Cell]:
    cells: list[Cell] = []
    for target in targets:
        for model in models:
            cell = decide(target, model)
            if cell is not None:
                cells.append(cell)
    return cells


def render_table(cells: list[Cell]) -> str:
    """A plain-text table, one row per cell, followed by the failing schedules."""
    header = ("target", "model", "expected", "observed", "ok", "how", "wall s")
    rows = [
        (c.target, c.model, c.expected, c.observed.upper() if c.observed == "fail" else c.observed,
         "yes" if c.matches else "skip" if c.refused else "NO", c.how, f"{c.seconds:.2f}")
        for c in cells
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failing = [c for c in cells if c.schedule]
    if failing:
        lines.append("")
        lines.append("first failure of each failing cell (replay with: race-harness replay TARGET SCHEDULE):")
        for c in failing:
            lines.append(f"  {c.target} [{c.model}] {c.error}")
            lines.append(f"      {c.schedule}")
    mismatched = [c for c in cells if not c.matches]
    lines.append("")
    refused = sum(c.refused for c in cells)
    lines.append(f"{len(cells) - len(mismatched)} of {len(cells)} cells match their expectation"
                 + (f"; {refused} refused (the code escaped the scheduler: no verdict)" if refused else ""))
    return "\n".join(lines)


def render_json(cells: list[Cell]) -> str:
    return json.dumps({"cells": [asdict(c) | {"matches": c.matches} for c in cells],
                       "all_match": all(c.matches for c in cells)}, indent=2)
