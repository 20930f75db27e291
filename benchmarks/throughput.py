"""Schedules per second, per scenario and strategy, and what ``pytest -n 2`` adds.

Throughput is measured with ``stop_on_failure=False`` so a failing scenario
runs its whole budget like a passing one (a DFS that exhausts its space
early reports the schedules it ran).  Sharding is measured the way a CI job
would use it: a generated test file with one ``@pytest.mark.race(shards=N)``
test runs in a pytest subprocess with ``-n 0`` and with ``-n 2`` (the same
items, so the same schedules), and the wall times of the whole pytest runs
are compared; start-up of pytest and of the xdist workers is included,
because a user pays it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import explore
from harness._targets import Target
from harness.strategies import registry
from race_harness.benchmarks.common import Budget, registry_targets

SHARD_TARGET = "ems_vserver:patched"
# Plug-ins with nothing to do here, off so that start-up (paid per xdist worker) is
# pytest's and the harness's own; pytest-randomly would reorder nothing anyway.
PYTEST_OPTIONS = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:hypothesispytest",
                  "-p", "no:benchmark")
WORKERS = 2
STRATEGIES = ("random", "pct", "dfs", "bounded")  # the ones whose throughput the README quotes


def schedules_per_second(target: Target, model: str, name: str, schedules: int) -> dict[str, Any]:
    planner = registry.build(name, registry.Knobs())
    found = explore(target, strategy=planner, schedules=schedules, preemption=model,
                    stop_on_failure=False, database="off")
    rate = found.schedules_run / found.elapsed if found.elapsed else None
    return {
        "schedules": found.schedules_run,
        "elapsed_s": round(found.elapsed, 3),
        "schedules_per_s": round(rate, 1) if rate else None,
        "exhausted": found.exhausted,
        "failures": found.failures_found,
        "mean_decisions": round(found.decisions / max(1, found.schedules_run), 1),
    }


def measure_strategies(names: list[str], budget: Budget, say: Callable[[str], None]) -> dict[str, Any]:
    models = budget.models
    out: dict[str, Any] = {"models": list(models), "strategies": list(STRATEGIES), "targets": {}}
    for target in registry_targets(names):
        say(f"schedules_per_s: {target.name}")
        explore(target, schedules=1, database="off")  # warm-up
        out["targets"][target.name] = {
            model: {s: schedules_per_second(target, model, s, budget.throughput_schedules)
                    for s in out["strategies"]}
            for model in models
        }
    return out


# The scenario module is imported directly: ``load_registry()`` would import
# every plug-in (cinder's among them), seconds of start-up in each xdist worker.
TEST_FILE = '''\
import os
import time

import pytest
from race_harness.scenarios.{module} import targets

TARGET = next(t for t in targets() if t.name == {name!r})


@pytest.fixture(autouse=True)
def _span():
    """When each item really ran (outside the harness run, so real time)."""
    started = time.time()
    yield
    with open(os.environ["BENCH_SPAN_FILE"], "a") as spans:
        spans.write(f"{{started}} {{time.time()}}\\n")


@pytest.mark.race(schedules={schedules}, strategy="random", preemption="cooperative", seed=0,
                  shards={shards}, until=TARGET.until)
def test_sharded(race):
    TARGET.body()
'''


def _write_suite(folder: Path, name: str, schedules: int, shards: int) -> Path:
    (folder / "pytest.ini").write_text(f"[pytest]\naddopts = {' '.join(PYTEST_OPTIONS)}\n")
    path = folder / "test_race_shards.py"
    module = name.partition(":")[0]
    path.write_text(textwrap.dedent(TEST_FILE.format(module=module, name=name, schedules=schedules,
                                                     shards=shards)))
    return path


@dataclass
class PytestRun:
    """One pytest subprocess: its wall time, the span its tests ran in, its CPU time."""

    wall: float
    span: float
    cpu: float
    code: int
    tail: str


def _pytest_run(folder: Path, test: Path, workers: int) -> PytestRun:
    command = [sys.executable, "-m", "pytest", "-q", "-n", str(workers), str(test)]
    spans = folder / f"spans-{workers}-{time.monotonic_ns()}.txt"
    env = {**os.environ, "RACE_DATABASE": "off", "BENCH_SPAN_FILE": str(spans)}
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    tail = (done.stdout.strip().splitlines() or [""])[-1]
    return PytestRun(wall, _span(spans), _children_cpu() - cpu_before, done.returncode, tail)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _span(path: Path) -> float:
    """First test start to last test end, across workers (start-up excluded)."""
    if not path.exists():
        return 0.0
    pairs = [tuple(map(float, line.split())) for line in path.read_text().splitlines() if line]
    return max(end for _, end in pairs) - min(start for start, _ in pairs)


def _xdist_available() -> bool:
    try:
        import xdist  # noqa: F401
    except ImportError:
        return False
    return True


def measure_sharding(budget: Budget, say: Callable[[str], None]) -> dict[str, Any]:
    """Wall time of the same sharded race test under ``-n 0`` and ``-n 2``; best of the rounds."""
    if budget.shard_schedules is None:
        return {"note": "not measured with --quick: two pytest start-ups alone would take most of "
                        "its minute (tests/benchmarks runs it on its own, marked slow)"}
    if not _xdist_available():
        return {"note": "pytest-xdist is not installed: sharding not measured"}
    shards = 2 * WORKERS
    rounds = 1 if budget.quick else 2
    runs: dict[int, list[PytestRun]] = {0: [], WORKERS: []}
    capacities: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp:
        folder = Path(tmp)
        schedules = budget.shard_schedules
        test = _write_suite(folder, SHARD_TARGET, schedules, shards)
        for _ in range(rounds):
            for workers, done in runs.items():
                say(f"schedules_per_s: pytest -n {workers}, {schedules} schedules")
                run = _pytest_run(folder, test, workers)
                if run.code != 0:
                    return {"note": f"pytest -n {workers} exited {run.code}: {run.tail}"}
                done.append(run)
            capacities.append(parallel_capacity())
    one, two = (min(r, key=lambda run: run.wall) for r in runs.values())
    capacity = max(capacities)
    return {
        "mechanism": f"pytest plugin, @pytest.mark.race(shards={shards}), pytest-xdist",
        "target": SHARD_TARGET, "schedules": schedules, "shards": shards,
        "rounds": rounds, "cpu_count": os.cpu_count(), "pytest_options": " ".join(PYTEST_OPTIONS),
        "load_average": _load(),
        "wall_s_n0": round(one.wall, 3), f"wall_s_n{WORKERS}": round(two.wall, 3),
        "speedup": round(one.wall / two.wall, 2), "target_speedup": 1.7,
        "parallel_capacity": capacity, "parallel_capacity_per_round": capacities,
        "speedup_per_available_core": round(one.wall / two.wall / capacity, 2) if capacity else None,
        "tests_span_s_n0": round(one.span, 3), f"tests_span_s_n{WORKERS}": round(two.span, 3),
        "speedup_excluding_startup": round(one.span / two.span, 2) if two.span else None,
        "cpu_s_n0": round(one.cpu, 2), f"cpu_s_n{WORKERS}": round(two.cpu, 2),
        "pytest_summary": {f"n{w}": min(r, key=lambda run: run.wall).tail for w, r in runs.items()},
    }


BURN = ("import time; t = time.perf_counter(); x = sum(i * i for i in range({n})); "
        "print(time.perf_counter() - t)")


def parallel_capacity(loops: int = 4_000_000) -> float:
    """How many cores two CPU-bound processes really get here, now (2.0 on an idle 2-core box).

    One pure-Python loop alone, then two at once, each timing itself (start-up
    excluded): 2 x alone / slowest of the pair.  Other tenants' load lowers
    it, and bounds any sharding speedup measured beside it.
    """
    command = [sys.executable, "-c", BURN.format(n=loops)]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    def seconds(process: subprocess.Popen[str]) -> float:
        out, _ = process.communicate()
        return float(out.strip())

    alone = seconds(start())
    pair = [start(), start()]
    together = max(seconds(p) for p in pair)
    return round(2 * alone / together, 2)


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
