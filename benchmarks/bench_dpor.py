"""Proving lock-guarded twins of small races safe: optimal DPOR vs plain DFS vs sleep sets.

Each program is the lock-guarded twin of a small race (the race itself is the
same code without the lock).  All three strategies explore it exhaustively,
side by side in one process, and the table gives the executions each needed
and the wall time:

* ``dfs``: plain DFS, every choice sequence;
* ``sleep``: the bounded DFS with no bound and sleep sets (``BoundedDfsStrategy(None)``),
  counting the runs that sleep sets cut short;
* ``dpor``: optimal DPOR (``DporStrategy``), one execution per Mazurkiewicz trace,
  with the number of traces it found.

Every verdict must be an exhaustive pass; a row whose strategies disagree is
flagged.  Footprints: the ``declared`` programs declare every shared access
and the lock with ``harness.touch``, the ``opaque`` ones declare nothing (each
step is then dependent on every other, the worst case for any reduction).

    python benchmarks/bench_dpor.py                # table, then JSON on the last line
    python benchmarks/bench_dpor.py --json out.json
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
# Measure the checkout this script sits in, whatever the installed copy is.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import eventlet  # noqa: E402
from eventlet.green import threading as green_threading  # noqa: E402
from eventlet.semaphore import Semaphore  # noqa: E402

import harness  # noqa: E402
from harness.strategies import BoundedDfsStrategy, DfsStrategy  # noqa: E402
from harness.strategies.dpor import DporStrategy  # noqa: E402

BUDGET = 200_000


def _touch(declared: bool, resource: str, write: bool = True) -> None:
    if declared:
        harness.touch(resource, write=write)


def _spawn_all(body: Callable[[int], None], workers: int, declared: bool) -> None:
    """Run ``workers`` copies; declared programs wait on the clock (a join would be an
    undeclared read of the greenthread's state), opaque ones join."""
    _touch(declared, "main")
    threads = [eventlet.spawn(body, i) for i in range(workers)]
    if declared:
        eventlet.sleep(1)
        _touch(declared, "main")
    else:
        for thread in threads:
            thread.wait()


def guarded_counter(workers: int = 2, declared: bool = True) -> None:
    """Lost update's twin: read, switch, write back, under a semaphore."""
    cell = {"x": 0}
    lock = Semaphore(1)

    def inc(_i: int) -> None:
        _touch(declared, "lock")
        with lock:
            _touch(declared, "lock")
            _touch(declared, "x", write=False)
            value = cell["x"]
            eventlet.sleep(0)
            _touch(declared, "x")
            cell["x"] = value + 1
            _touch(declared, "lock")

    _spawn_all(inc, workers, declared)
    _touch(declared, "x", write=False)
    assert cell["x"] == workers, f"lost update: {cell['x']}"


def guarded_cache(workers: int = 2, declared: bool = True) -> None:
    """Check-then-act's twin: compute a missing cache entry once, under a green Lock."""
    cache: dict[str, int] = {}
    computed: list[int] = []
    lock = green_threading.Lock()

    def get(i: int) -> None:
        _touch(declared, "lock")
        with lock:
            _touch(declared, "lock")
            _touch(declared, "cache", write=False)
            if "k" not in cache:
                eventlet.sleep(0)
                _touch(declared, "cache")
                computed.append(i)
                cache["k"] = i
            _touch(declared, "lock")

    _spawn_all(get, workers, declared)
    _touch(declared, "cache", write=False)
    assert len(computed) == 1, f"computed {len(computed)} times"


def guarded_transfer(declared: bool = True) -> None:
    """Two transfers in opposite directions under one lock: the total is kept."""
    accounts = {"a": 100, "b": 100}
    lock = Semaphore(1)
    moves = [("a", "b", 30), ("b", "a", 50)]

    def transfer(i: int) -> None:
        src, dst, amount = moves[i]
        _touch(declared, "lock")
        with lock:
            _touch(declared, "lock")
            _touch(declared, src)
            balance = accounts[src]
            eventlet.sleep(0)
            _touch(declared, src)
            _touch(declared, dst)
            accounts[src] = balance - amount
            eventlet.sleep(0)
            _touch(declared, dst)
            accounts[dst] += amount
            _touch(declared, "lock")

    _spawn_all(transfer, 2, declared)
    _touch(declared, "a", write=False)
    _touch(declared, "b", write=False)
    assert accounts["a"] + accounts["b"] == 200, f"money lost: {accounts}"


def guarded_pair(declared: bool = True) -> None:
    """Two counters each under its own lock, two workers each: only same-lock steps conflict."""
    cells = {"x": 0, "y": 0}
    locks = {"x": Semaphore(1), "y": Semaphore(1)}

    def inc(i: int) -> None:
        name = "xy"[i % 2]
        _touch(declared, f"lock:{name}")
        with locks[name]:
            _touch(declared, f"lock:{name}")
            _touch(declared, name, write=False)
            value = cells[name]
            eventlet.sleep(0)
            _touch(declared, name)
            cells[name] = value + 1
            _touch(declared, f"lock:{name}")

    _spawn_all(inc, 4, declared)
    _touch(declared, "x", write=False)
    _touch(declared, "y", write=False)
    assert cells == {"x": 2, "y": 2}, f"lost update: {cells}"


PROGRAMS: dict[str, Callable[[], None]] = {
    "counter, 2 workers, declared": functools.partial(guarded_counter, 2, True),
    "counter, 3 workers, declared": functools.partial(guarded_counter, 3, True),
    "counter, 2 workers, opaque": functools.partial(guarded_counter, 2, False),
    "cache, 2 workers, declared": functools.partial(guarded_cache, 2, True),
    "cache, 3 workers, declared": functools.partial(guarded_cache, 3, True),
    "transfer, declared": functools.partial(guarded_transfer, True),
    "transfer, opaque": functools.partial(guarded_transfer, False),
    "two locks, 4 workers, declared": functools.partial(guarded_pair, True),
}


@dataclass
class Cell:
    program: str
    strategy: str
    executions: int
    complete: int
    seconds: float
    verdict: str
    traces: int | None = None


def measure(name: str, body: Callable[[], None], label: str) -> Cell:
    strategy: DfsStrategy | BoundedDfsStrategy | DporStrategy
    if label == "dfs":
        strategy = DfsStrategy()
    elif label == "sleep":
        strategy = BoundedDfsStrategy(None)
    else:
        strategy = DporStrategy()
    target = harness.Target(name=f"bench_dpor:{label}", body=body, fingerprint="0123456789ab")
    started = time.perf_counter()
    outcome = harness.explore(target, strategy=strategy, schedules=BUDGET, database="off")
    seconds = time.perf_counter() - started
    complete = outcome.schedules_run
    traces = None
    if isinstance(strategy, BoundedDfsStrategy):
        complete = strategy.explored
    if isinstance(strategy, DporStrategy):
        traces = strategy.counters()["equivalence_classes"]
    verdict = "exhaustive pass" if outcome.passed and outcome.exhausted else outcome.verdict()
    return Cell(name, label, outcome.schedules_run, complete, seconds, verdict, traces)


def table(cells: list[Cell]) -> str:
    lines = ["| program | dfs runs | sleep sets runs (complete) | dpor runs (traces) "
             "| dfs s | sleep s | dpor s |", "|---|---|---|---|---|---|---|"]
    for name in PROGRAMS:
        row = {c.strategy: c for c in cells if c.program == name}
        dfs, sleep, dpor = row["dfs"], row["sleep"], row["dpor"]
        flag = "" if {c.verdict for c in row.values()} == {"exhaustive pass"} else " **verdicts differ**"
        lines.append(f"| {name}{flag} | {dfs.executions} | {sleep.executions} ({sleep.complete}) | "
                     f"{dpor.executions} ({dpor.traces}) | {dfs.seconds:.2f} | {sleep.seconds:.2f} | "
                     f"{dpor.seconds:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the measurements to this file")
    args = parser.parse_args(argv)
    cells = [measure(name, body, label) for name, body in PROGRAMS.items()
             for label in ("dfs", "sleep", "dpor")]
    print(table(cells))
    payload = json.dumps([asdict(c) for c in cells])
    if args.json:
        Path(args.json).write_text(payload + "\n")
    print(payload)
    return 0 if all(c.verdict == "exhaustive pass" for c in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
