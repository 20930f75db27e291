"""Schedules to the first failure, per strategy, and what sleep sets save.

Part 1: for each buggy program, how many schedules each strategy runs before
the first failure, averaged over ``--seeds`` seeds (a seed that finds nothing
within ``--budget`` counts as the budget and is reported in "found").  The
bounded DFS has no seed: it is run once and marked deterministic.

* ``lost_update``: two greenthreads, four read/yield/write rounds each
  (preemptive model: the default order passes, one preemption loses an update);
* ``window_d2``: a depth-2 ordering bug, B's one check must land between A's
  steps 18 and 19 of 24 (a random walk rarely starves B that long);
* ``window_d3``: depth 3, B must see the flag open and then closed again;
* every registered scenario target whose expectation is "fail", under that
  model (``race-harness list``), unless ``--no-scenarios``.

Part 2: exhaustive bounded DFS with and without sleep sets: schedules run,
complete (unpruned) runs and the reduction factor, with the verdicts.

Prints tables, then writes everything as JSON (``--json PATH``, default stdout).

    python benchmarks/bench_strategies.py [--seeds 20] [--budget 2000] [--json out.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import eventlet  # noqa: E402

import harness  # noqa: E402
from harness.strategies import (  # noqa: E402
    BoundedDfsStrategy,
    PctStrategy,
    RandomStrategy,
    Strategy,
)
from harness.targets import Target, load_registry  # noqa: E402


# -- small buggy programs ------------------------------------------------------------------
def lost_update(workers: int = 2, rounds: int = 4) -> None:
    cell = {"x": 0}

    def inc() -> None:
        for _ in range(rounds):
            harness.touch("x", write=False)
            value = cell["x"]
            harness.yield_point("read x")
            harness.touch("x")
            cell["x"] = value + 1
            harness.yield_point("wrote x")

    threads = [eventlet.spawn(inc) for _ in range(workers)]
    for thread in threads:
        thread.wait()
    assert cell["x"] == workers * rounds, f"lost update: x={cell['x']}"


def window(length: int = 24, at: int = 18, reread: bool = False) -> None:
    flag = {"open": False}

    def a() -> None:
        for i in range(length):
            harness.touch("flag")
            flag["open"] = i == at
            harness.yield_point(f"a{i}")
        harness.touch("flag")
        flag["open"] = False

    def b() -> None:
        harness.touch("flag", write=False)
        first = flag["open"]
        if reread:
            harness.yield_point("b between reads")
            harness.touch("flag", write=False)
            assert not (first and not flag["open"]), "B saw the flag open, then closed"
        else:
            assert not first, "B saw the half-open flag"

    threads = [eventlet.spawn(a), eventlet.spawn(b)]
    for thread in threads:
        thread.wait()


def independent(workers: int = 3, rounds: int = 1) -> None:
    cells = [0] * workers

    def work(i: int) -> None:
        for _ in range(rounds):
            harness.touch(f"cell{i}")
            cells[i] += 1
            eventlet.sleep(0)
        harness.touch(f"cell{i}")

    threads = [eventlet.spawn(work, i) for i in range(workers)]
    for thread in threads:
        thread.wait()


def cooperative_lost_update(workers: int = 3) -> None:
    cell = {"x": 0}

    def inc() -> None:
        harness.touch("x", write=False)
        value = cell["x"]
        eventlet.sleep(0)
        harness.touch("x")
        cell["x"] = value + 1

    threads = [eventlet.spawn(inc) for _ in range(workers)]
    for thread in threads:
        thread.wait()
    assert cell["x"] == workers, f"lost update: x={cell['x']}"


def _target(name: str, body: Callable[[], None]) -> Target:
    return Target(name=f"bench:{name}", body=body, fingerprint="0" * 12)


PROGRAMS: list[tuple[Target, str]] = [
    (_target("lost_update", lost_update), "preemptive"),
    (_target("window_d2", window), "preemptive"),
    (_target("window_d3", functools.partial(window, length=10, at=6, reread=True)), "preemptive"),
]

STRATEGIES: list[tuple[str, Callable[[int], Strategy], bool]] = [
    ("random", RandomStrategy, True),
    ("pct d=2", lambda seed: PctStrategy(seed, depth=2), True),
    ("pct d=3", lambda seed: PctStrategy(seed, depth=3), True),
    ("bounded dfs", lambda seed: BoundedDfsStrategy(None), False),
]


# -- part 1 ----------------------------------------------------------------------------------
class _OutOfTime(Exception):
    pass


def to_first_failure(target: Target, model: str, strategy: Strategy, budget: int,
                     limit: float) -> tuple[int | None, float]:
    """Schedules until the first failure (None: none within the budget or the time limit)."""
    started = time.perf_counter()

    def stop_when_late(outcome: harness.Exploration) -> None:
        if outcome.failure is None and time.perf_counter() - started > limit:
            raise _OutOfTime

    try:
        outcome = harness.explore(target, strategy=strategy, schedules=budget, preemption=model,
                                  database="off", progress=stop_when_late)
    except _OutOfTime:
        return None, time.perf_counter() - started
    return outcome.first_failure_after, time.perf_counter() - started


def measure(target: Target, model: str, seeds: int, budget: int, limit: float) -> dict[str, Any]:
    row: dict[str, Any] = {"target": target.name, "model": model}
    for label, make, seeded in STRATEGIES:
        found, seconds = [], 0.0
        for seed in range(seeds if seeded else 1):
            after, spent = to_first_failure(target, model, make(seed), budget, limit)
            found.append(after)
            seconds += spent
        hits = [f for f in found if f is not None]
        censored = [f if f is not None else budget for f in found]
        row[label] = {
            "mean": statistics.fmean(censored), "found": len(hits), "runs": len(found),
            "median": statistics.median(censored), "seconds": round(seconds, 3),
            "deterministic": not seeded,
        }
    return row


def failing_scenarios() -> list[tuple[Target, str]]:
    out = []
    for target in load_registry().targets():
        for expectation in target.expectations:
            if expectation.verdict == "fail":
                out.append((target, expectation.model))
    return out


# -- part 2 ----------------------------------------------------------------------------------
REDUCTION_PROGRAMS: list[tuple[Target, str]] = [
    (_target("independent_3x1", independent), "cooperative"),
    (_target("independent_3x2", functools.partial(independent, rounds=2)), "cooperative"),
    (_target("lost_update_coop_3", cooperative_lost_update), "cooperative"),
    (_target("lost_update_p_2x2", functools.partial(lost_update, rounds=2)), "preemptive"),
]


def reduction(target: Target, model: str, budget: int) -> dict[str, Any]:
    row: dict[str, Any] = {"target": target.name, "model": model}
    for reduce in (False, True):
        strategy = BoundedDfsStrategy(None, reduction=reduce)
        started = time.perf_counter()
        outcome = harness.explore(target, strategy=strategy, schedules=budget, preemption=model,
                                  stop_on_failure=False, database="off")
        row["with" if reduce else "without"] = {
            "schedules": outcome.schedules_run, "complete": strategy.explored, "pruned": strategy.pruned,
            "blocked": strategy.blocked, "exhausted": outcome.exhausted, "failed": bool(outcome.failures),
            "seconds": round(time.perf_counter() - started, 3),
        }
    without, with_ = row["without"], row["with"]
    row["factor"] = round(without["schedules"] / max(1, with_["schedules"]), 2)
    row["same_verdict"] = without["failed"] == with_["failed"]
    return row


# -- output ------------------------------------------------------------------------------------
def table(rows: list[dict[str, Any]]) -> str:
    labels = [label for label, _make, _seeded in STRATEGIES]
    header = ["target", "model", *labels]
    lines = [header]
    for row in rows:
        cells = [row["target"], row["model"][:4]]
        for label in labels:
            cell = row[label]
            mark = "" if cell["found"] == cell["runs"] else f" ({cell['found']}/{cell['runs']})"
            det = "*" if cell["deterministic"] else ""
            cells.append(f"{cell['mean']:.1f}{det}{mark}")
        lines.append(cells)
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    text = ["  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)) for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    text.append("mean schedules to first failure; (k/n): found by k of n seeds, misses (budget or "
                "time limit) count as the budget; *: deterministic, one run")
    return "\n".join(text)


def reduction_table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'target':<30} model  without  with (complete/blocked)  factor  same verdict"]
    for row in rows:
        w, r = row["without"], row["with"]
        lines.append(f"{row['target']:<30} {row['model'][:4]:<6} {w['schedules']:>7}  "
                     f"{r['schedules']:>5} ({r['complete']}/{r['blocked']}){'':>8} {row['factor']:>6}  "
                     f"{row['same_verdict']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=2000, help="schedules per exploration")
    parser.add_argument("--time-limit", type=float, default=10.0,
                        help="seconds per exploration; a slower one counts as a miss")
    parser.add_argument("--scenario-seeds", type=int, default=None,
                        help="seeds for scenario targets (default: --seeds)")
    parser.add_argument("--no-scenarios", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    scenario_seeds = args.scenario_seeds or args.seeds
    programs = [(t, m, args.seeds) for t, m in PROGRAMS]
    if not args.no_scenarios:
        programs += [(t, m, scenario_seeds) for t, m in failing_scenarios()]
    rows = []
    for target, model, seeds in programs:
        rows.append(measure(target, model, seeds, args.budget, args.time_limit))
        print(f"  measured {target.name} ({model})", file=sys.stderr)
    reductions = [reduction(target, model, 200_000) for target, model in REDUCTION_PROGRAMS]
    if not args.no_scenarios:
        patched = load_registry().get("session_overwrite:patched")
        if patched is not None:
            reductions.append(reduction(patched, "preemptive", 20_000))
    print(table(rows))
    print()
    print(reduction_table(reductions))
    document = json.dumps({"seeds": args.seeds, "scenario_seeds": scenario_seeds, "budget": args.budget,
                           "time_limit": args.time_limit, "to_first_failure": rows,
                           "reduction": reductions}, indent=2, sort_keys=True)
    if args.json:
        Path(args.json).write_text(document + "\n")
    else:
        print(document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
