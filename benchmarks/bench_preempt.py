"""Automatic preemption points (``preempt_modules``): their cost, side by side in one run.

Two questions, each measured in CPU time of the running thread
(``time.thread_time``: the harness virtualises wall clocks, never this one),
best of ``--repeat``, every cell in the same process so a busy machine skews
them alike:

* **per point**: what one automatic point adds, (instrumented - plain) /
  points offered.  ``point_loop`` does one attribute store per iteration;
* **slowdown**: ``client_code``, a mix like a REST client's (attribute reads
  and writes, method calls, a list and a dict, module globals; 13 points
  per iteration), instrumented / plain, in the same context.

Contexts: plain Python outside any run; a harness run under the cooperative
model (the hooks are inert); a preemptive run with no other greenthread
ready (each point asks, nothing to switch to); a preemptive run with another
greenthread ready and a strategy that always keeps the current one (every
point is a decision: today a round trip through the hub, since the run loop
has no fast path for it yet); the same with footprints recorded (a strategy
that observes steps).  One more row prices the mechanism not chosen: the
same plain code under a no-op opcode tracer (``sys.settrace`` with
``f_trace_opcodes``), outside any run, with no switching at all.

    python benchmarks/bench_preempt.py             # table, then JSON on the last line
    python benchmarks/bench_preempt.py --quick     # fewer iterations
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
# Measure the checkout this script sits in, whatever the installed copy is.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import eventlet  # noqa: E402

from harness._engine.footprint import Footprint  # noqa: E402
from harness._engine.results import RunConfig  # noqa: E402
from harness._engine.rewrite import preempt_modules  # noqa: E402
from harness._search.session import installed, run_once  # noqa: E402
from harness._targets import Target  # noqa: E402
from harness.strategies.base import Decision, ExecutionSummary  # noqa: E402

GOAL_POINT_US = 1.0
GOAL_SLOWDOWN = 5.0

# -- the measured code (instrumented through a second import of this module) -------------

LIMIT = 8
TOTALS: dict[str, int] = {}


class Account:
    def __init__(self, name: str) -> None:
        self.name = name
        self.balance = 0
        self.history: list[int] = []

    def deposit(self, amount: int) -> None:
        self.balance += amount
        self.history.append(amount)
        if len(self.history) > LIMIT:
            self.history.clear()
        TOTALS[self.name] = TOTALS.get(self.name, 0) + amount


def point_loop(account: Account, n: int) -> None:
    for _ in range(n):
        account.balance = 1


def client_code(accounts: list[Account], n: int) -> None:
    for i in range(n):
        accounts[i % len(accounts)].deposit(i)


# -- strategies -------------------------------------------------------------------------

class KeepCurrent:
    """Option 0 at every decision: at a preemption point, the current greenthread goes on."""

    name = "keep"

    def new_execution(self) -> bool:
        return True

    def choose(self, decision: Decision) -> int:
        return 0

    def end_execution(self, summary: ExecutionSummary) -> None:
        pass

    @property
    def exhausted(self) -> bool:
        return False

    def describe(self) -> str:
        return "always 0"


class KeepCurrentObserving(KeepCurrent):
    """The same, asking for step footprints (as partial-order reduction does)."""

    def step_begin(self, thread: int) -> bool:
        return True

    def step_end(self, thread: int, footprint: Footprint) -> None:
        pass


# -- running a measurement in a context -----------------------------------------------------

Work = Callable[[Any], None]
CONTEXTS = ("outside a run", "cooperative run", "preemptive, alone", "preemptive, other ready",
            "preemptive, other ready, footprints")


def _timed(module: Any, work: str, n: int, elapsed: list[float]) -> None:
    accounts = [module.Account(f"a{i}") for i in range(4)]
    function = getattr(module, work)
    started = time.thread_time()
    function(accounts if work == "client_code" else accounts[0], n)
    elapsed.append(time.thread_time() - started)


def run_in(context: str, module: Any, work: str, n: int) -> tuple[float, int]:
    """CPU seconds of ``work`` over ``n`` iterations in ``context``, and the decisions offered."""
    elapsed: list[float] = []
    if context == "outside a run":
        _timed(module, work, n, elapsed)
        return elapsed[0], 0
    other = context.startswith("preemptive, other")

    def body() -> None:
        companion = eventlet.spawn(eventlet.sleep, 0) if other else None
        _timed(module, work, n, elapsed)
        if companion is not None:
            companion.wait()

    preemptive = context.startswith("preemptive")
    strategy = KeepCurrentObserving() if context.endswith("footprints") else KeepCurrent()
    target = Target("bench:preempt", body, "0")
    config = RunConfig(preemptive=preemptive, max_steps=10**9)
    with installed(target, "preemptive" if preemptive else "cooperative", clock_audit="off"):
        strategy.new_execution()
        result = run_once(target, strategy, config)
    assert result.failure is None, result.failure
    return elapsed[0], result.decisions


def traced(module: Any, work: str, n: int) -> float:
    """The plain code under a no-op opcode tracer: the floor of the tracing mechanism."""
    def tracer(frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        return tracer

    elapsed: list[float] = []
    sys.settrace(tracer)
    try:
        _timed(module, work, n, elapsed)
    finally:
        sys.settrace(None)
    return elapsed[0]


@dataclass
class Row:
    context: str
    plain_us: float  # per iteration
    instrumented_us: float
    slowdown: float
    decisions_per_iteration: float
    point_us: float  # (instrumented - plain) / points the code offers (inert hooks outside a run)


def best(repeat: int, measure: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    results = [measure() for _ in range(repeat)]
    return min(r[0] for r in results), results[0][1]


def measure_all(n: int, repeat: int) -> dict[str, Any]:
    plain = sys.modules[__name__]
    watched = importlib.import_module(__spec__.name if __spec__ else "benchmarks.bench_preempt")
    rows: dict[str, list[Row]] = {"point_loop": [], "client_code": []}
    for work, found in rows.items():
        cells = []
        for context in CONTEXTS:
            base, _ = best(repeat, lambda c=context, w=work: run_in(c, plain, w, n))  # type: ignore[misc]
            with preempt_modules([watched.__name__]):
                inst, decisions = best(repeat, lambda c=context, w=work: run_in(c, watched, w, n))  # type: ignore[misc]
            cells.append((context, base, inst, decisions))
        # every context runs the same points; only where another greenthread is ready are they decisions
        points = max(decisions for *_rest, decisions in cells)
        for context, base, inst, decisions in cells:
            found.append(Row(context, base / n * 1e6, inst / n * 1e6, inst / base, decisions / n,
                             (inst - base) / points * 1e6))
    tracing = {work: min(traced(plain, work, n) for _ in range(repeat)) / n * 1e6 for work in rows}
    return {"rows": rows, "points_per_iteration": {w: r[-1].decisions_per_iteration for w, r in rows.items()},
            "tracing_us": tracing, "entry": entry_cost()}


def entry_cost(packages: tuple[str, ...] = ("requests", "urllib3")) -> dict[str, Any]:
    """Wall time to enter and leave ``preempt_modules`` on a real library (read, parse,
    rewrite and compile every module, swap every live function, put it all back)."""
    for package in packages:
        importlib.import_module(package)
    started = time.perf_counter()
    with preempt_modules(list(packages)) as done:
        entered = time.perf_counter()
    left = time.perf_counter()
    return {"packages": list(packages), "modules": len(done.modules), "functions": done.functions,
            "sites": done.sites, "enter_s": entered - started, "exit_s": left - entered}


def report(results: dict[str, Any]) -> None:
    for work, rows in results["rows"].items():
        points = results["points_per_iteration"][work]
        print(f"\n{work} ({points:g} points per iteration): microseconds per iteration "
              "(CPU time, best of the repeats)")
        print(f"{'context':38} {'plain':>8} {'instr.':>8} {'slowdown':>9} {'decisions/it':>12} "
              f"{'us/point':>9}")
        for row in rows:
            point = f"{row.point_us:9.2f}"
            print(f"{row.context:38} {row.plain_us:8.3f} {row.instrumented_us:8.3f} {row.slowdown:8.2f}x "
                  f"{row.decisions_per_iteration:12.1f} {point}")
        plain_outside = rows[0].plain_us
        tracing = results["tracing_us"][work]
        print(f"{'opcode tracer (no-op), outside a run':38} {plain_outside:8.3f} {tracing:8.3f} "
              f"{tracing / plain_outside:8.2f}x")
    entry = results["entry"]
    print(f"\nentering preempt_modules({entry['packages']}): {entry['modules']} modules, "
          f"{entry['functions']} functions, {entry['sites']} access sites in {entry['enter_s']:.2f} s; "
          f"leaving: {entry['exit_s']:.2f} s")
    print(f"\ngoals: <= {GOAL_POINT_US} us per point kept on the current greenthread; "
          f"<= {GOAL_SLOWDOWN}x slowdown under the harness")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 iterations, 2 repeats")
    args = parser.parse_args(argv)
    n, repeat = (2_000, 2) if args.quick else (args.iterations, args.repeat)
    results = measure_all(n, repeat)
    report(results)
    results["rows"] = {work: [asdict(row) for row in rows] for work, rows in results["rows"].items()}
    print(json.dumps({"iterations": n, "repeat": repeat, **results}))


if __name__ == "__main__":
    main()
