"""What a schedule costs under the harness, beside the same requests sent plainly.

For each scenario: the wall time per schedule of an exploration (random walk,
``stop_on_failure=False``, explorations of 100 schedules in full mode, the
per-exploration set-up amortised in, and measured on its own as
``exploration_setup_ms``: what a one-schedule exploration pays on top), and
the wall time of its sequential twin (``race_harness.benchmarks.sequential``: the same client
calls, fake and adapter, one after the other, no harness).  The two are
measured in alternating rounds so that load on a shared machine hits both
alike; the ratio is the median of the per-round ratios.

Where the time goes: both sides run once more under ``cProfile`` and each
function's own time (``tottime``) is summed by the file it lives in:
``fakes/`` (with requests-mock, its transport), ``scenarios/``, ``harness/``,
requests/urllib3, eventlet/greenlet.  The standard library and builtins are
charged to their callers, in proportion to the time each caller spent in
them (requests walks ``os.environ`` for proxies on every request: that is
requests' cost, not "other").  cProfile follows greenlet switches
imperfectly and inflates small calls, so the breakdown is a share, not a
stopwatch.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import explore
from harness._targets import Target
from race_harness.benchmarks.common import Budget, RequestCounter, ms, ratio, registry_targets
from race_harness.benchmarks.sequential import baseline_for

TARGET_RATIO = 1.5
CATEGORIES = ("fakes", "scenarios", "harness", "requests", "eventlet", "other")
GROUPS = {
    "fake_and_requests_mock": ("fakes",),
    "client_code_and_requests": ("scenarios", "requests"),
    "scheduling_harness_and_eventlet": ("harness", "eventlet"),
}
ROOT = str(Path(__file__).resolve().parents[1])
REQUESTS_PARTS = ("/requests/", "/urllib3/", "/requests_mock/", "/idna/", "/charset_normalizer/")


def category(filename: str, function: str) -> str:
    """The category of one profiled function, by where its code lives."""
    if filename.startswith(ROOT):
        top = filename[len(ROOT):].lstrip("/").split("/", 1)[0]
        return top if top in ("fakes", "scenarios", "harness") else "other"
    if "/requests_mock/" in filename:
        return "fakes"  # the fake is served through requests-mock: one transport cost
    if any(part in filename for part in REQUESTS_PARTS):
        return "requests"
    if "/eventlet/" in filename or "greenlet" in filename or "greenlet" in function:
        return "eventlet"
    return "other"


def profile_breakdown(work: Callable[[], object], units: int) -> dict[str, float]:
    """Milliseconds of own time per unit of ``work``, by category."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        work()
    finally:
        profiler.disable()
    totals = dict.fromkeys(CATEGORIES, 0.0)
    stats: Stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    shares = _Shares(stats)
    for func, (_cc, _nc, tottime, _ct, _callers) in stats.items():
        for name, share in shares.of(func).items():
            totals[name] += tottime * share
    return {name: round(seconds * 1000 / units, 3) for name, seconds in totals.items()}


Func = tuple[str, int, str]
Stats = dict[Func, tuple[int, int, float, float, dict[Func, tuple[int, int, float, float]]]]
MAX_DEPTH = 16


class _Shares:
    """Which categories a function's own time belongs to: its file's, or its callers'."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.cache: dict[Func, dict[str, float]] = {}

    def of(self, func: Func, depth: int = 0, visiting: frozenset[Func] = frozenset()) -> dict[str, float]:
        own = category(func[0], func[2])
        if own != "other":
            return {own: 1.0}
        if func in self.cache:
            return self.cache[func]
        callers = self.stats.get(func, (0, 0, 0.0, 0.0, {}))[4]
        weights = {c: edge[3] or edge[1] for c, edge in callers.items() if c not in visiting}
        total = sum(weights.values())
        if depth >= MAX_DEPTH or not total:
            return {"other": 1.0}
        shares: dict[str, float] = {}
        for caller, weight in weights.items():
            for name, part in self.of(caller, depth + 1, visiting | {func}).items():
                shares[name] = shares.get(name, 0.0) + part * weight / total
        if not visiting:
            self.cache[func] = shares
        return shares


def grouped(breakdown: dict[str, float]) -> dict[str, float]:
    return {group: round(sum(breakdown[c] for c in members), 3) for group, members in GROUPS.items()}


def _harness_per_schedule(target: Target, model: str, schedules: int) -> float:
    found = explore(target, strategy="random", schedules=schedules, preemption=model,
                    stop_on_failure=False, database="off")
    return found.elapsed / max(1, found.schedules_run)


def _sequential_per_run(baseline: Callable[[], object], repeats: int) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        baseline()
    return (time.perf_counter() - started) / repeats


def _requests_per_schedule(target: Target, model: str, schedules: int) -> float:
    counter = RequestCounter()
    with counter.counting():
        explore(target, strategy="random", schedules=schedules, preemption=model,
                stop_on_failure=False, database="off")
    return counter.count / schedules


def measure_target(target: Target, model: str, budget: Budget) -> dict[str, Any]:
    """Alternating rounds of harness schedules and sequential runs; then one profile of each."""
    baseline = baseline_for(target.name)
    if baseline is None:
        return {"note": "no sequential twin for this target (benchmarks.sequential)"}
    rounds = 2 if budget.quick else 10
    per_round = max(2, budget.overhead_schedules // rounds)
    seq_per_round = max(2, budget.sequential_repeats // rounds)
    baseline()
    explore(target, schedules=2, preemption=model, stop_on_failure=False, database="off")  # warm-up
    harness_s, seq_s = [], []
    for _ in range(rounds):
        harness_s.append(_harness_per_schedule(target, model, per_round))
        seq_s.append(_sequential_per_run(baseline, seq_per_round))
    ratios = [h / s for h, s in zip(harness_s, seq_s, strict=True)]
    single = statistics.median(_harness_per_schedule(target, model, 1) for _ in range(3))
    ours = profile_breakdown(lambda: _harness_per_schedule(target, model, per_round), per_round)
    plain = profile_breakdown(lambda: _sequential_per_run(baseline, seq_per_round), seq_per_round)
    return {
        "harness_ms_per_schedule": ms(statistics.median(harness_s)),
        "sequential_ms_per_run": ms(statistics.median(seq_s)),
        "ratio": round(statistics.median(ratios), 2),
        "ratio_min_max": [round(min(ratios), 2), round(max(ratios), 2)],
        "within_target": statistics.median(ratios) <= TARGET_RATIO,
        "exploration_setup_ms": ms(max(0.0, single - statistics.median(harness_s))),
        "requests_per_schedule": round(_requests_per_schedule(target, model, per_round), 1),
        "requests_per_sequential_run": len(baseline().journal),
        "rounds": rounds, "schedules_per_round": per_round, "sequential_runs_per_round": seq_per_round,
        "profile_ms": {"harness": ours, "sequential": plain,
                       "harness_grouped": grouped(ours), "sequential_grouped": grouped(plain),
                       "extra_by_category": {c: round(ours[c] - plain[c], 3) for c in CATEGORIES}},
    }


def measure(names: list[str], budget: Budget, say: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {"target_ratio": TARGET_RATIO, "strategy": "random", "targets": {}}
    for target in registry_targets(names):
        out["targets"][target.name] = {}
        for model in budget.models:
            say(f"overhead: {target.name} ({model})")
            out["targets"][target.name][model] = measure_target(target, model, budget)
    cells = [cell for models in out["targets"].values() for cell in models.values()]
    ratios = [cell["ratio"] for cell in cells if "ratio" in cell]
    out["worst_ratio"] = max(ratios) if ratios else None
    out["median_ratio"] = ratio(statistics.median(ratios), 1.0) if ratios else None
    return out
