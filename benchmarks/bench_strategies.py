"""Schedules to the first failure on every failing matrix cell, per strategy; what sleep sets save.

Part 1: for every failing cell of the verdict matrix (every registered target
and model whose ``Expectation`` says "fail", the lazily registered cinder_*
targets included) and for three toy programs, how many schedules each
strategy runs before the first failure, within ``--budget`` schedules:

* seeded, over ``--seeds`` seeds: ``random`` (the baseline), ``pct d=2`` and
  ``pct d=3``: the mean (a seed that finds nothing counts as the budget) and
  how many seeds found it;
* deterministic, one run each: ``bounded 2`` (``BoundedDfsStrategy(bound=2)``,
  sleep sets on), the same without reduction, and plain ``dfs``.  A miss
  says why: every schedule within the preemption bound passed, or the budget
  ran out (and in which preemption round).  The bounded DFS without reduction
  runs schedules by increasing preemption count, so its first failure has the
  fewest preemptions any failing schedule of the cell has.

The toy programs (``bench:*``) show what the scenario cells do not: narrow windows.

* ``lost_update``: two greenthreads, four read/yield/write rounds each
  (preemptive model: the default order passes, one preemption loses an update);
* ``window_d2``: a depth-2 ordering bug, B's one check must land between A's
  steps 18 and 19 of 24 (a random walk rarely starves B that long);
* ``window_d3``: depth 3, B must see the flag open and then closed again.

Part 2: exhaustive bounded DFS with and without sleep sets: schedules run,
complete (unpruned) runs and the reduction factor, with the verdicts.

Prints Markdown tables (progress on stderr), then writes everything as JSON
(``--json PATH``, default stdout).

    python -m race_harness.benchmarks.bench_strategies [--seeds 20] [--budget 2000] [--json out.json]
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
from harness._errors import HubBypassError, ScheduleDivergence, UncontrolledConcurrency  # noqa: E402
from harness._targets import Registry, Target, load_registry  # noqa: E402
from harness.strategies import (  # noqa: E402
    BoundedDfsStrategy,
    DfsStrategy,
    PctStrategy,
    RandomStrategy,
    Strategy,
)
from race_harness.benchmarks.common import machine, progress, quiet_code_under_test, versions  # noqa: E402
from race_harness.benchmarks.table import markdown_table  # noqa: E402


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

SEEDED: list[tuple[str, Callable[[int], Strategy]]] = [
    ("random", RandomStrategy),
    ("pct d=2", lambda seed: PctStrategy(seed, depth=2)),
    ("pct d=3", lambda seed: PctStrategy(seed, depth=3)),
]
DETERMINISTIC: list[tuple[str, Callable[[], Strategy]]] = [
    ("bounded 2", lambda: BoundedDfsStrategy(bound=2)),
    ("bounded 2, no reduction", lambda: BoundedDfsStrategy(bound=2, reduction=False)),
    ("dfs", DfsStrategy),
]
MINIMAL = "bounded 2, no reduction"  # its first failure has the fewest preemptions
NO_VERDICT = (ScheduleDivergence, HubBypassError, UncontrolledConcurrency)  # not a race: a harness stop


# -- part 1 ----------------------------------------------------------------------------------
def failing_cells(registry: Registry | None = None) -> list[tuple[Target, str]]:
    """Every (target, model) whose expectation is "fail", in registry order (factories built)."""
    registry = load_registry() if registry is None else registry
    return [(target, expectation.model) for target in registry.targets()
            for expectation in target.expectations if expectation.verdict == "fail"]


def first_failure(target: Target, model: str, strategy: Strategy, budget: int) -> dict[str, Any]:
    """One exploration up to its first failure: schedules run, and the failure if any."""
    started = time.perf_counter()
    outcome = harness.explore(target, strategy=strategy, schedules=budget, preemption=model, database="off")
    failure = outcome.failure
    found = failure is not None and not isinstance(failure.error, NO_VERDICT)
    return {"found": found, "schedules": outcome.first_failure_after if found else outcome.schedules_run,
            "preemptions": failure.preemptions if failure and found else None,
            "error": type(failure.error).__name__ if failure else None,
            "seconds": round(time.perf_counter() - started, 3)}


def seeded(target: Target, model: str, make: Callable[[int], Strategy], seeds: int,
           budget: int) -> dict[str, Any]:
    runs = [first_failure(target, model, make(seed), budget) for seed in range(seeds)]
    censored = [r["schedules"] if r["found"] else budget for r in runs]
    return {"mean": statistics.fmean(censored), "median": statistics.median(censored),
            "found": sum(r["found"] for r in runs), "runs": seeds, "per_seed": censored,
            "seconds": round(sum(r["seconds"] for r in runs), 3)}


def deterministic(target: Target, model: str, strategy: Strategy, budget: int) -> dict[str, Any]:
    """One run; a miss says whether the bound was exhausted or the budget ran out."""
    run = first_failure(target, model, strategy, budget)
    run["why_not"] = None if run["found"] else miss_reason(strategy, run["schedules"], budget)
    run["bound_exhausted"] = bool(getattr(strategy, "bound_exhausted", False))
    run["round"] = getattr(strategy, "round", None)
    run["bound"] = getattr(strategy, "bound", None)
    return run


def miss_reason(strategy: Strategy, schedules: int, budget: int) -> str:
    if isinstance(strategy, BoundedDfsStrategy) and strategy.bound_exhausted:
        caveat = ", up to sleep-set equivalence" if strategy.reduction else ""
        return f"all {schedules} schedules with <= {strategy.bound} preemptions pass{caveat}"
    if strategy.exhausted:
        return f"exhausted: all {schedules} schedules pass"
    if isinstance(strategy, BoundedDfsStrategy):
        return f"budget: {budget} schedules, round {strategy.round} (preemptions) unfinished"
    return f"budget: {budget} schedules"


def measure(target: Target, model: str, seeds: int, budget: int) -> dict[str, Any]:
    row: dict[str, Any] = {"target": target.name, "model": model, "toy": target.name.startswith("bench:")}
    for label, make in SEEDED:
        row[label] = seeded(target, model, make, seeds, budget)
    for label, make_one in DETERMINISTIC:
        row[label] = deterministic(target, model, make_one(), budget)
    row["fewest_preemptions"] = fewest_preemptions(row[MINIMAL])
    others = [label for label, _make in SEEDED[1:]] + [label for label, _make in DETERMINISTIC]
    row["vs_random"] = {label: vs_random(row["random"], row[label]) for label in others}
    return row


def fewest_preemptions(cell: dict[str, Any]) -> str:
    """From a bounded DFS without reduction, which runs 0, then 1, then 2 ... preemptions."""
    if cell["found"]:
        return str(cell["preemptions"])
    if cell["bound_exhausted"]:
        return f"> {cell['bound']}"
    return f">= {cell['round']}"


def vs_random(random: dict[str, Any], cell: dict[str, Any]) -> str | None:
    """Random's mean schedules / this strategy's (> 1: fewer than random); ">=" / "<=" when
    only one side was censored by the budget, None when both were."""
    mine, mine_complete = _mean(cell)
    theirs_complete = random["found"] == random["runs"]
    if not mine_complete and not theirs_complete:
        return None
    bound = "" if mine_complete and theirs_complete else ">= " if mine_complete else "<= "
    factor = random["mean"] / mine
    return bound + (f"{factor:.0f}" if factor >= 10 else f"{factor:.2g}")


def _mean(cell: dict[str, Any]) -> tuple[float, bool]:
    """(mean schedules, every run found it): seeded and deterministic cells alike."""
    if "mean" in cell:
        return cell["mean"], cell["found"] == cell["runs"]
    return float(cell["schedules"]), bool(cell["found"])


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
    """Part 1 as Markdown, the same table RESULTS.md and the README show."""
    labels = [label for label, _make in SEEDED] + [label for label, _make in DETERMINISTIC]
    ratios = ("pct d=2", "pct d=3", "bounded 2", "dfs")
    header = ["target", "model", *labels, "fewest preemptions", "vs random: pct d=2 / d=3 / bounded 2 / dfs"]
    body = [[row["target"], row["model"], *(_text(row[label]) for label in labels), row["fewest_preemptions"],
             " / ".join(row["vs_random"][label] or "-" for label in ratios)] for row in rows]
    return "\n".join(markdown_table(header, body))


def _text(cell: dict[str, Any]) -> str:
    if "mean" in cell:
        if not cell["found"]:
            return f"not found (0/{cell['runs']})"
        partial = "" if cell["found"] == cell["runs"] else f" ({cell['found']}/{cell['runs']})"
        return f"{cell['mean']:.1f}{partial}"
    if cell["found"]:
        return f"{cell['schedules']}*"
    if cell["bound_exhausted"]:
        return f"not found: all {cell['schedules']} within the bound pass"
    return f"not found in {cell['schedules']}"


LEGEND = ("Mean schedules to the first failure over {seeds} seeds, budget {budget} schedules per "
          "exploration ({scenario_budget} for a matrix cell); (k/n): found by k of n seeds, a miss "
          "counting as the budget (so the mean is a lower bound); *: deterministic, one run. Fewest "
          "preemptions: of any failing schedule, from the bounded DFS without reduction (0 = fails in "
          "eventlet's default order). vs random: random's mean / the strategy's (> 1: fewer schedules "
          "than random; >= or <= where one side missed on some seed).")


def reduction_table(rows: list[dict[str, Any]]) -> str:
    header = ["target", "model", "without", "with (complete/blocked)", "factor", "same verdict"]
    body = [[row["target"], row["model"], row["without"]["schedules"],
             f"{row['with']['schedules']} ({row['with']['complete']}/{row['with']['blocked']})",
             row["factor"], row["same_verdict"]] for row in rows]
    return "\n".join(markdown_table(header, body))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=2000, help="schedules per exploration")
    parser.add_argument("--scenario-seeds", type=int, default=None,
                        help="seeds for the matrix cells (default: --seeds)")
    parser.add_argument("--scenario-budget", type=int, default=None,
                        help="schedules per exploration of a matrix cell (default: --budget)")
    parser.add_argument("--no-scenarios", action="store_true", help="toy programs only")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--json", metavar="PATH", help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    say = progress(sys.stderr, enabled=not args.quiet)
    scenario_seeds, scenario_budget = args.scenario_seeds or args.seeds, args.scenario_budget or args.budget
    programs = [(t, m, args.seeds, args.budget) for t, m in PROGRAMS]
    if not args.no_scenarios:
        programs += [(t, m, scenario_seeds, scenario_budget) for t, m in failing_cells()]
    document: dict[str, Any] = {"machine": machine(), "versions": versions(), "seeds": args.seeds,
                                "scenario_seeds": scenario_seeds, "budget": args.budget,
                                "scenario_budget": scenario_budget}
    started = time.perf_counter()
    rows = []
    with quiet_code_under_test():
        for target, model, seeds, budget in programs:
            rows.append(measure(target, model, seeds, budget))
            say(f"{target.name} ({model}): {time.perf_counter() - started:.0f} s")
        reductions = [reduction(target, model, 200_000) for target, model in REDUCTION_PROGRAMS]
        patched = None if args.no_scenarios else load_registry().get("session_overwrite:patched")
        if patched is not None:
            reductions.append(reduction(patched, "preemptive", 20_000))
    document.update(to_first_failure=rows, reduction=reductions,
                    elapsed_s=round(time.perf_counter() - started, 1))
    legend = LEGEND.format(seeds=args.seeds, budget=args.budget, scenario_budget=scenario_budget)
    print(table(rows), legend, "", reduction_table(reductions), sep="\n")
    text = json.dumps(document, indent=2, sort_keys=True)
    if args.json:
        Path(args.json).write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
