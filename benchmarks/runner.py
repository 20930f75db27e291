"""One benchmark run: every section in turn, one JSON document, one table.

Why one process and one run: the claims are ratios (harness vs plain
requests, harness vs naive hunting, one worker vs two), and on a shared,
noisy machine a ratio is only honest when both sides were measured minutes
apart under the same load.  Sections are ordered cheapest first, and each
records how long it took.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

from race_harness.benchmarks import first_failure, overhead, proof, replaytime, scale, throughput
from race_harness.benchmarks.common import (
    DEFAULT_TARGETS,
    FULL,
    QUICK,
    Budget,
    machine,
    quiet_code_under_test,
    versions,
)

QUICK_TARGETS = ("session_overwrite:old", "ems_vserver:old")
REQUIRED_KEYS = ("machine", "versions", "overhead", "schedules_per_s", "first_failure", "proof", "scale",
                 "replay")

RSS_FLAT_MB = 2.0  # first to last sample: allocator noise, not a leak

Say = Callable[[str], None]


def _section(results: dict[str, Any], key: str, say: Say, work: Callable[[], dict[str, Any]]) -> None:
    started = time.perf_counter()
    sink = io.StringIO()
    with quiet_code_under_test(sink):
        results[key] = work()
    results["section_seconds"][key] = round(time.perf_counter() - started, 1)
    results["suppressed_output_chars"][key] = len(sink.getvalue())
    say(f"{key}: done in {results['section_seconds'][key]} s")


def run(targets: list[str] | None, quick: bool, say: Say,
        command: str = "race-harness bench") -> dict[str, Any]:
    """All sections; ``targets`` narrows overhead and throughput (default: the model scenarios)."""
    budget: Budget = QUICK if quick else FULL
    names = list(targets) if targets else list(QUICK_TARGETS if quick else DEFAULT_TARGETS)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": command, "quick": quick, "machine": machine(), "versions": versions(),
        "budget": budget.as_dict(), "targets": names, "section_seconds": {},
        "suppressed_output_chars": {},
    }
    _section(results, "overhead", say, lambda: overhead.measure(names, budget, say))
    _section(results, "schedules_per_s", say, lambda: throughput.measure_strategies(names, budget, say))
    _section(results, "sharding", say, lambda: throughput.measure_sharding(budget, say))
    results["schedules_per_s"]["sharding"] = results["sharding"]
    _section(results, "first_failure", say, lambda: first_failure.measure(budget, say))
    _section(results, "proof", say, lambda: proof.measure(budget, say))
    _section(results, "scale", say, lambda: scale.measure(budget, say))
    _section(results, "replay", say, lambda: replaytime.measure(budget, say))
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["targets_met"] = verdicts(results)
    return results


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """Each stated target: the figure, and whether it was met (None: not measured)."""
    sharding = results["sharding"]
    ff = results["first_failure"]["ratios"]
    worst = results["overhead"].get("worst_ratio")
    replays = [o["reproduction_rate"] for case in results["first_failure"]["ours"].values()
               for o in case["strategies"].values() if o["found"]]
    return {
        "overhead_le_1.5x": _met(worst, worst is not None and worst <= overhead.TARGET_RATIO),
        "sharding_speedup_ge_1.7x": _met(sharding.get("speedup"), None if sharding.get("speedup") is None
                                         else sharding["speedup"] >= 1.7),
        "session_ge_100x_fewer_requests_and_wall": _ratios_met(ff["session"]),
        "ems_ge_100x_fewer_requests_and_wall": _ratios_met(ff["ems"]),
        "harness_replay_rate_1.0": _met(min(replays) if replays else None,
                                        bool(replays) and min(replays) == 1.0),
        "rss_flat_within_2mb": _met(results["scale"]["rss"]["growth_mb"],
                                    results["scale"]["rss"]["growth_mb"] <= RSS_FLAT_MB),
    }


def _met(figure: Any, met: bool | None) -> dict[str, Any]:
    return {"figure": figure, "met": met}


def _ratios_met(ratios: dict[str, Any]) -> dict[str, Any]:
    """Per strategy: (requests ratio, wall ratio) and whether both reach 100x."""
    rows = {s: r for s, r in ratios.items() if isinstance(r, dict) and "requests_ratio" in r}
    if not rows:
        return _met(None, None)
    figure = {s: {**r, "met": _hundredfold(r["requests_ratio"], r["wall_ratio"]),
                  "met_vs_naive_mean": _hundredfold(r["expected_requests_ratio"], r["expected_wall_ratio"])}
              for s, r in rows.items()}
    return {"figure": figure, "met": all(f["met"] for f in figure.values()),
            "met_by": [s for s, f in figure.items() if f["met"]],
            "met_vs_naive_mean_by": [s for s, f in figure.items() if f["met_vs_naive_mean"]]}


def _hundredfold(requests: float | None, wall: float | None) -> bool | None:
    if requests is None or wall is None:
        return None
    return requests >= 100 and wall >= 100
