"""Time to the first failure: the naive hunts against each of our strategies, in one run.

The naive side is ``race_harness.benchmarks.naive``; ours explores the matching registered
target (race 1: ``session_overwrite:old`` preemptive, the model of native
threads; race 2: ``ems_vserver:old`` cooperative, eventlet's own switches)
with every strategy ``make_strategy`` knows, counting the requests the fake
answered until the exploration stopped at its first failure.  Then the
failing schedule is replayed ``repeats`` times: the harness's reproduction
rate, which must be 1.0, beside the naive one.

A single naive hunt is one draw of a geometric variable (a lucky first run
says little), so beside the observed figures the mean cost of a naive
failure is estimated from every whole run of the hunt and its reproduction
(requests or seconds per run / failure rate), and compared too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness import explore, replay
from harness._targets import Target
from race_harness.benchmarks import naive
from race_harness.benchmarks.common import Budget, RequestCounter, ratio, registry_targets
from race_harness.benchmarks.throughput import STRATEGIES

CASES = (
    ("session", "session_overwrite:old", "preemptive", "threads_session"),
    ("ems", "ems_vserver:old", "cooperative", "green_ems"),
)


@dataclass
class Ours:
    """One strategy's exploration up to its first failure, and its replays."""

    strategy: str
    found: bool
    requests: int
    runs: int
    wall_s: float
    schedule: str | None
    preemptions: int | None
    reproduction_rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "wall_s": round(self.wall_s, 4)}


def run_ours(target: Target, model: str, strategy: str, budget: int, repeats: int) -> Ours:
    counter = RequestCounter()
    with counter.counting():
        found = explore(target, strategy=strategy, schedules=budget, preemption=model, database="off")
    failure = found.failure
    if failure is None:
        return Ours(strategy, False, counter.count, found.schedules_run, found.elapsed, None, None, None)
    replays = [replay(target, failure.schedule) for _ in range(repeats)]
    rate = sum(r.failure is not None for r in replays) / len(replays) if replays else None
    wall = found.time_to_first_failure if found.time_to_first_failure is not None else found.elapsed
    return Ours(strategy, True, counter.count, found.first_failure_after or found.schedules_run, wall,
                failure.schedule, failure.preemptions, rate)


def _naive_hunts(budget: Budget) -> dict[str, Callable[[], naive.HuntResult]]:
    cap, repeats = budget.naive_cap, budget.naive_repeats
    return {
        "threads_session": lambda: naive.hunt_threads_session(cap, repeats),
        "green_session": lambda: naive.hunt_green_session(budget.control_cap, repeats),
        "green_ems": lambda: naive.hunt_green_ems(cap, max(repeats, 4 * repeats)),
    }


def compare(naive_result: naive.HuntResult, ours: list[Ours]) -> dict[str, Any]:
    """Naive / ours per strategy, observed and in expectation.

    Against a hunt that hit its cap the observed ratio is a lower bound and
    there is no expectation (no naive run failed).
    """
    expected = naive_result.tally.expected()
    rows: dict[str, dict[str, Any]] = {}
    for one in ours:
        if not one.found:
            rows[one.strategy] = {"note": "our strategy found nothing within its budget"}
            continue
        rows[one.strategy] = {
            "requests_ratio": ratio(naive_result.requests, one.requests),
            "wall_ratio": ratio(naive_result.wall_s, one.wall_s),
            "lower_bound": not naive_result.found,
            "expected_requests_ratio": ratio(expected[0], one.requests) if expected else None,
            "expected_wall_ratio": ratio(expected[1], one.wall_s) if expected else None,
        }
    return rows


def measure(budget: Budget, say: Callable[[str], None]) -> dict[str, Any]:
    hunts = {}
    for name, run in _naive_hunts(budget).items():
        say(f"first_failure: naive {name} (cap {budget.naive_cap:g} s)")
        hunts[name] = run()
    out: dict[str, Any] = {"naive": {}, "ours": {}, "ratios": {}}
    for name, result in hunts.items():
        out["naive"][name] = result.as_dict()
    for case, target_name, model, against in CASES:
        say(f"first_failure: ours on {target_name} ({model})")
        target = registry_targets([target_name])[0]
        explore(target, schedules=1, preemption=model, database="off")  # warm-up: imports, caches
        ours = [run_ours(target, model, name, budget.proof_budget, budget.replays)
                for name in STRATEGIES]
        out["ours"][case] = {"target": target_name, "model": model,
                             "strategies": {o.strategy: o.as_dict() for o in ours}}
        out["ratios"][case] = {"against": against, **compare(hunts[against], ours)}
    out["notes"] = [
        "green_session (eventlet greenthreads) is the control: eventlet has no switch inside the "
        "session window, so it must never fail",
        f"naive green hunts: the fake's send and receive wrapped with eventlet.sleep("
        f"{naive.IO_LATENCY * 1000:g} ms) each, and journal intents keyed per greenlet (benchmarks.naive)",
    ]
    out["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return out
