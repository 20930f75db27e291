"""What a developer waits for after a failure: one replay, and shrinking it.

For every failing cell (``--quick``: the two races' headline cells) the cell's
own strategy and budget find a first failure; that schedule is replayed
(median of ``replays`` replays, with a ``Target`` in hand so the registry is
not reloaded each time) and shrunk with ``harness._search.shrink`` when it exists.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from harness import Schedule, explore, replay
from harness._targets import MODELS, Target, load_registry
from race_harness.benchmarks.common import Budget, ms

QUICK_CELLS = (("session_overwrite:old", "preemptive"), ("ems_vserver:old", "cooperative"))


def failing_cells(quick: bool) -> list[tuple[Target, str, str, int]]:
    """(target, model, strategy, budget) of every cell expected to fail."""
    registry = load_registry()
    cells: list[tuple[Target, str, str, int]] = []
    for target in registry.targets():
        for model in MODELS:
            exp = target.expectation(model)
            if exp is None or exp.verdict != "fail":
                continue
            if quick and (target.name, model) not in QUICK_CELLS:
                continue
            cells.append((target, model, exp.strategy, exp.schedules))
    return cells


def _shrinker() -> Callable[..., Any] | None:
    try:
        from harness._search.shrink import shrink
    except ImportError:
        return None
    return shrink


def replay_seconds(target: Target, schedule: str, times: int) -> float:
    durations = []
    for _ in range(max(1, times)):
        started = time.perf_counter()
        result = replay(target, schedule)
        durations.append(time.perf_counter() - started)
        if result.failure is None:
            raise AssertionError(f"replay of a failing schedule passed: {schedule}")
    return statistics.median(durations)


def measure_cell(target: Target, model: str, strategy: str, schedules: int, budget: Budget) -> dict[str, Any]:
    found = explore(target, strategy=strategy, schedules=schedules, preemption=model, database="off")
    if found.failure is None:
        return {"note": f"no failure in {found.schedules_run} schedules ({strategy}): nothing to replay"}
    schedule = found.failure.schedule
    out: dict[str, Any] = {
        "found_by": strategy, "found_after": found.first_failure_after,
        "choices": len(Schedule.parse(schedule).choices), "preemptions": found.failure.preemptions,
        "replay_ms": ms(replay_seconds(target, schedule, budget.replays)),
    }
    shrink = _shrinker()
    if shrink is None:
        out["shrink"] = {"note": "not available: harness._search.shrink is missing"}
        return out
    started = time.perf_counter()
    shrunk = shrink(target, schedule)
    out["shrink"] = {
        "wall_s": round(time.perf_counter() - started, 3), "replays": shrunk.runs,
        "preemptions": [shrunk.preemptions_before, shrunk.preemptions_after],
        "choices": [shrunk.size_before, shrunk.size_after],
    }
    return out


def measure(budget: Budget, say: Callable[[str], None]) -> dict[str, Any]:
    cells = {}
    for target, model, strategy, schedules in failing_cells(budget.quick):
        key = f"{target.name} {model}"
        say(f"replay: {key}")
        cells[key] = measure_cell(target, model, strategy, schedules, budget)
    replays = [c["replay_ms"] for c in cells.values() if "replay_ms" in c]
    shrinks = [c["shrink"]["wall_s"] for c in cells.values() if "wall_s" in c.get("shrink", {})]
    return {
        "cells": cells,
        "replay_ms_median": round(statistics.median(replays), 3) if replays else None,
        "shrink_s_max": max(shrinks) if shrinks else None,
    }
