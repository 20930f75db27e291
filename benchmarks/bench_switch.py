"""Per-switch cost of the harness against eventlet's stock hub, side by side.

What is measured: the CPU time of one ``eventlet.sleep(0)`` switch.  N worker
greenthreads each do M ``sleep(0)``; S more greenthreads sleep far in the
future (pending timers the hub has to keep).  The same program runs

* on eventlet's stock hub (in a fresh OS thread, so it gets its own hub),
* under the harness with a strategy that always answers 0 (eventlet's order),
* under the harness with the random strategy.

Only the worker phase is timed, from inside the program, in CPU time of the
running thread (``time.thread_time``: time is virtual inside a run, and CPU
time does not count other processes on a busy machine), so spawning the
sleepers and stopping them at the end are not counted.  Each cell is the best
of ``--repeat`` runs.  The harness is measured per run (``run_once`` inside an
installed environment), i.e. what an exploration pays per schedule step; the
per-exploration set-up (clock patching) is not a per-switch cost, and neither
is the real-clock audit, a profile hook on an exploration's first schedule
only (``clock_audit="first"``): each measured run here is an exploration's
first, so the audit is turned off, or it would be most of what is measured.

    python benchmarks/bench_switch.py            # tables, then JSON on the last line
    python benchmarks/bench_switch.py --profile  # plus a cProfile of one harness run

A second table times a burst: N greenthreads made ready at once (a spawn
storm, a big GreenPool); the harness's cost per step should not grow with N.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
# Measure the checkout this script sits in, whatever the installed copy is.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import eventlet  # noqa: E402

from harness._engine.run import RunConfig  # noqa: E402
from harness._search.session import installed, run_once  # noqa: E402
from harness._targets import Target  # noqa: E402
from harness.strategies import RandomStrategy  # noqa: E402
from harness.strategies.base import Decision, ExecutionSummary  # noqa: E402

TOTAL_SWITCHES = 20_000
TARGET = 1.5  # the goal: at most 1.5x the stock hub per switch


def _cpu_seconds() -> float:
    # CPU time of the running OS thread: the workload is CPU-bound, and unlike
    # wall time it does not count the time other processes hold the CPU.  The
    # harness virtualises time/monotonic/perf_counter, never thread_time.
    return time.thread_time()


class AlwaysZero:
    """Eventlet's own order at every decision: the harness's bookkeeping, no choice cost."""

    name = "zero"

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


def program(workers: int, switches: int, sleepers: int, elapsed: list[float]) -> Callable[[], None]:
    """The measured program; appends the worker phase's wall time to ``elapsed``."""

    def worker() -> None:
        for _ in range(switches):
            eventlet.sleep(0)

    def body() -> None:
        for _ in range(sleepers):
            # one at a time: each sleeper starts and arms its timer before the next
            # is spawned (a burst of ready greenthreads is measured by burst())
            eventlet.spawn_n(eventlet.sleep, 10**6)
            eventlet.sleep(0)
        started = _cpu_seconds()
        threads = [eventlet.spawn(worker) for _ in range(workers)]
        for thread in threads:
            thread.wait()
        elapsed.append(_cpu_seconds() - started)

    return body


def burst_program(count: int, elapsed: list[float]) -> Callable[[], None]:
    """``count`` greenthreads made ready at once, each returning at its first step."""

    def body() -> None:
        started = _cpu_seconds()
        for _ in range(count):
            eventlet.spawn_n(int)
        eventlet.sleep(0)  # armed after every spawn: resumes when all have run (option 0)
        elapsed.append(_cpu_seconds() - started)

    return body


def in_stock_hub(body: Callable[[], None]) -> None:
    thread = threading.Thread(target=lambda: eventlet.spawn(body).wait(), daemon=True)
    thread.start()  # a fresh OS thread gets its own stock hub; sleepers die with it
    thread.join()


def stock(workers: int, switches: int, sleepers: int) -> float:
    elapsed: list[float] = []
    body = program(workers, switches, sleepers, elapsed)

    in_stock_hub(body)
    return elapsed[0]


def in_harness(strategy_name: str, body: Callable[[], None]) -> None:
    target = Target("bench:switch", body, "0")
    strategy = AlwaysZero() if strategy_name == "zero" else RandomStrategy(1)
    config = RunConfig(max_steps=10**8, until=10.0)  # stop before the sleepers wake
    with installed(target, "cooperative", clock_audit="off"):  # see the module docstring
        strategy.new_execution()
        result = run_once(target, strategy, config)
    assert result.failure is None, result.failure
    assert result.stop_reason in ("completed", "horizon"), result.stop_reason


def under_harness(strategy_name: str, workers: int, switches: int, sleepers: int) -> float:
    elapsed: list[float] = []
    in_harness(strategy_name, program(workers, switches, sleepers, elapsed))
    return elapsed[0]


def burst(count: int, repeat: int) -> dict[str, float]:
    """Microseconds per greenthread to start ``count`` greenthreads that are ready at once."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name in ("stock", "zero"):
            elapsed: list[float] = []
            if name == "stock":
                in_stock_hub(burst_program(count, elapsed))
            else:
                in_harness(name, burst_program(count, elapsed))
            best[name] = min(best.get(name, elapsed[0]), elapsed[0])
    return {name: seconds / count * 1e6 for name, seconds in best.items()}


@dataclass
class Row:
    workers: int
    sleepers: int
    switches: int
    stock_us: float
    zero_us: float
    random_us: float

    @property
    def zero_ratio(self) -> float:
        return self.zero_us / self.stock_us

    @property
    def random_ratio(self) -> float:
        return self.random_us / self.stock_us


def measure(workers: int, sleepers: int, repeat: int) -> Row:
    per_worker = max(TOTAL_SWITCHES // workers, 10)
    total = workers * per_worker
    best: dict[str, float] = {}
    for _ in range(repeat):  # interleave the three so drift hits them alike
        for name, run in (
            ("stock", lambda: stock(workers, per_worker, sleepers)),
            ("zero", lambda: under_harness("zero", workers, per_worker, sleepers)),
            ("random", lambda: under_harness("random", workers, per_worker, sleepers)),
        ):
            seconds = run()
            best[name] = min(best.get(name, seconds), seconds)
    micro = {name: seconds / total * 1e6 for name, seconds in best.items()}
    return Row(workers, sleepers, total, micro["stock"], micro["zero"], micro["random"])


CASES = [(2, 0), (10, 0), (100, 0), (2, 100), (2, 10_000)]
BURSTS = [10, 100, 1000]


def table(rows: list[Row]) -> str:
    head = (f"{'workers':>7} {'sleepers':>8} {'switches':>8} | {'stock us':>8} {'zero us':>8} "
            f"{'random us':>9} | {'zero/stock':>10} {'random/stock':>12}")
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(
            f"{row.workers:>7} {row.sleepers:>8} {row.switches:>8} | {row.stock_us:>8.2f} "
            f"{row.zero_us:>8.2f} {row.random_us:>9.2f} | {row.zero_ratio:>9.2f}x {row.random_ratio:>11.2f}x"
        )
    return "\n".join(lines)


def profile(workers: int, sleepers: int, strategy: str) -> None:
    per_worker = max(TOTAL_SWITCHES // workers, 10)
    profiler = cProfile.Profile()
    profiler.enable()
    under_harness(strategy, workers, per_worker, sleepers)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\ncProfile: harness, {strategy} strategy, {workers} workers x {per_worker} sleep(0), "
          f"{sleepers} sleepers (sorted by own time)")
    stats.sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell; the best is kept")
    parser.add_argument("--profile", action="store_true", help="also cProfile one harness run")
    args = parser.parse_args(argv)
    rows = [measure(workers, sleepers, args.repeat) for workers, sleepers in CASES]
    print(f"time per eventlet.sleep(0) switch, best of {args.repeat} (target: harness <= {TARGET}x stock)")
    print(table(rows))
    worst = max(max(row.zero_ratio, row.random_ratio) for row in rows)
    print(f"worst ratio {worst:.2f}x: {'within' if worst <= TARGET else 'OVER'} the {TARGET}x target")
    bursts = {count: burst(count, args.repeat) for count in BURSTS}
    print("\nstarting N greenthreads that are all ready at once (us per greenthread, always-0 strategy)")
    print(f"{'N':>7} | {'stock us':>8} {'zero us':>8} | {'zero/stock':>10}")
    for count, cell in bursts.items():
        ratio = cell["zero"] / cell["stock"]
        print(f"{count:>7} | {cell['stock']:>8.2f} {cell['zero']:>8.2f} | {ratio:>9.2f}x")
    if args.profile:
        profile(10, 0, "random")
    print(json.dumps({
        "benchmark": "bench_switch", "python": sys.version.split()[0], "eventlet": eventlet.__version__,
        "target_ratio": TARGET, "worst_ratio": round(worst, 3),
        "rows": [{**asdict(row), "zero_ratio": round(row.zero_ratio, 3),
                  "random_ratio": round(row.random_ratio, 3)} for row in rows],
        "burst_us_per_greenthread": {
            str(count): {name: round(value, 3) for name, value in cell.items()}
            for count, cell in bursts.items()
        },
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
