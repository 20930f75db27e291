"""Determinism: the same seed gives the same runs everywhere, option 0 is
eventlet's own order, and DFS enumerates exactly the interleavings there are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import eventlet
import pytest
from engine_helpers import make_target, run_default
from engine_programs import traces

import harness

HERE = Path(__file__).resolve().parent


# -- same seed, same runs ------------------------------------------------------

def test_same_seed_gives_byte_identical_traces_within_a_process() -> None:
    first = traces("workload", seed=7, runs=25)
    second = traces("workload", seed=7, runs=25)
    assert first == second
    assert len({run["schedule"] for run in first}) > 5  # the runs really differ from each other


def _traces_in_subprocess(hash_seed: str) -> list[dict[str, object]]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys, json; sys.path.insert(0, sys.argv[1]); import engine_programs as p; "
         "json.dump(p.traces('workload', 7, 25), sys.stdout)", str(HERE)],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_same_seed_gives_byte_identical_traces_across_processes() -> None:
    # Different hash seeds and a different heap layout: set or address order
    # anywhere in the engine (event waiters, queue getters) would show here.
    one = _traces_in_subprocess("0")
    two = _traces_in_subprocess("4242")
    assert one == two
    assert one == json.loads(json.dumps(traces("workload", seed=7, runs=25)))


def test_different_seeds_give_different_schedules() -> None:
    schedules = {
        seed: [run["schedule"] for run in traces("workload", seed=seed, runs=10)] for seed in (1, 2, 3)
    }
    assert schedules[1] != schedules[2] != schedules[3] != schedules[1]


# -- option 0 is the stock hub's order ---------------------------------------------

def fifo_spawn(log: list[str]) -> None:
    def work(name: str) -> None:
        log.append(name)

    threads = [eventlet.spawn(work, name) for name in "abcde"]
    log.append("spawned")
    for thread in threads:
        thread.wait()


def round_robin(log: list[str]) -> None:
    def work(name: str) -> None:
        for turn in range(3):
            log.append(f"{name}{turn}")
            eventlet.sleep(0)

    threads = [eventlet.spawn(work, name) for name in "abc"]
    log.append("main")
    eventlet.sleep(0)
    log.append("main again")
    for thread in threads:
        thread.wait()


UNIT = 0.05  # seconds; timers are UNIT/2 apart or more, so a slow machine keeps the stock order


def timers(log: list[str]) -> None:
    def work(name: str, *delays: float) -> None:
        for delay in delays:
            eventlet.sleep(delay * UNIT)
            log.append(f"{name}@{delay}")

    threads = [
        eventlet.spawn(work, "a", 3, 2),     # due at 3, 5
        eventlet.spawn(work, "b", 1, 1.5),   # due at 1, 2.5
        eventlet.spawn(work, "c", 2),        # due at 2
        eventlet.spawn_after(4 * UNIT, log.append, "after@4"),
    ]
    for thread in threads:
        thread.wait()


def spawn_from_children(log: list[str]) -> None:
    def child(name: str) -> None:
        log.append(name)
        if len(name) < 3:
            grandchildren = [eventlet.spawn(child, name + suffix) for suffix in "xy"]
            eventlet.sleep(0)
            log.append(name + " back")
            for thread in grandchildren:
                thread.wait()

    root = [eventlet.spawn(child, name) for name in "ab"]
    for thread in root:
        thread.wait()


def _under_stock_hub(program: Callable[[list[str]], None]) -> list[str]:
    """Run ``program`` on eventlet's default hub, in a fresh OS thread (its own hub)."""
    log: list[str] = []
    errors: list[BaseException] = []

    def main() -> None:
        try:
            eventlet.spawn(program, log).wait()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join(30)
    assert not errors, errors
    return log


@pytest.mark.parametrize("program", [fifo_spawn, round_robin, timers, spawn_from_children])
def test_all_zero_schedule_is_the_stock_eventlet_order(program: Callable[[list[str]], None]) -> None:
    log: list[str] = []
    result = run_default(lambda: program(log))
    assert result.failure is None
    assert log == _under_stock_hub(program)
    assert len(log) >= 5


# -- DFS enumerates the interleavings, exactly -------------------------------------

def _worker(log: list[str], name: str, turns: int, delay: float = 0) -> None:
    for _ in range(turns):
        if delay:
            eventlet.sleep(delay)
            log.append(name)
        else:
            log.append(name)
            eventlet.sleep(0)


def _spawn_n(names: str, turns: int, delay: float = 0) -> Callable[[list[str]], None]:
    def body(log: list[str]) -> None:
        for name in names:
            eventlet.spawn_n(_worker, log, name, turns, delay)

    return body


def _spawn_and_wait(names: str, turns: int) -> Callable[[list[str]], None]:
    def body(log: list[str]) -> None:
        threads = [eventlet.spawn(_worker, log, name, turns) for name in names]
        for thread in threads:
            thread.wait()

    return body


def _different_times(log: list[str]) -> None:
    eventlet.spawn_n(_worker, log, "a", 1, 1.0)
    eventlet.spawn_n(_worker, log, "b", 1, 2.0)


def _dfs_logs(program: Callable[[list[str]], None]) -> tuple[harness.Exploration, set[str]]:
    logs: list[list[str]] = []

    def body() -> None:
        log: list[str] = []
        logs.append(log)
        program(log)

    exploration = harness.explore(make_target(body), strategy="dfs", schedules=10_000)
    return exploration, {"".join(log) for log in logs}


def test_dfs_reaches_every_order_of_two_greenthreads_that_switch_twice() -> None:
    exploration, outcomes = _dfs_logs(_spawn_and_wait("ab", 2))
    assert outcomes == {"aabb", "abab", "abba", "baab", "baba", "bbaa"}  # C(4,2) = 6
    assert exploration.exhausted
    assert exploration.passed
    assert "exhaustive proof" in exploration.verdict()


# A worker with k sleep(0)s is a chain of k+1 segments (start..1st sleep, ...,
# last sleep..exit); a schedule is an interleaving of the chains, and DFS runs
# one schedule per interleaving (no partial-order reduction yet).  Outcomes are
# the orders of the appends.
DFS_TABLE = [
    # gt0 is blocked in wait() whenever the worker can run: never two options.
    pytest.param(_spawn_and_wait("a", 2), 1, 1, id="one-worker"),
    # two chains of 2 segments: C(4,2) = 6; gt0 finishes before either starts.
    pytest.param(_spawn_n("ab", 1), 6, 2, id="spawn_n-2x1"),
    # two chains of 3: C(6,3) = 20 schedules; logs: C(4,2) = 6.
    pytest.param(_spawn_n("ab", 2), 20, 6, id="spawn_n-2x2"),
    # three chains of 2: 6!/(2!2!2!) = 90 schedules; logs: 3! = 6.
    pytest.param(_spawn_n("abc", 1), 90, 6, id="spawn_n-3x1"),
    # gt0's wake-up from a.wait() is one more link of a's chain (it can only
    # come after a exits; if b is still running, gt0 blocks in b.wait() and its
    # last wake-up is forced): interleavings of 3 and 2 segments, C(5,2) = 10.
    pytest.param(_spawn_and_wait("ab", 1), 10, 2, id="wait-2x1"),
    # the same with chains of 4 (a's 3 segments + gt0's wake-up) and 3: C(7,3) = 35.
    pytest.param(_spawn_and_wait("ab", 2), 35, 6, id="wait-2x2"),
    # both start at t=0 (2 orders) and both wake at t=1: timers due at the same
    # time on different greenthreads are a choice (2 orders): 2 x 2 = 4.
    pytest.param(_spawn_n("ab", 1, delay=1.0), 4, 2, id="same-time-timers"),
    # only the start order is a choice; a wakes at t=1 before b at t=2, always.
    pytest.param(_different_times, 2, 1, id="different-times"),
]


@pytest.mark.parametrize(("program", "schedules", "outcomes"), DFS_TABLE)
def test_dfs_runs_exactly_one_schedule_per_interleaving(
    program: Callable[[list[str]], None], schedules: int, outcomes: int,
) -> None:
    exploration, logs = _dfs_logs(program)
    assert exploration.exhausted
    assert exploration.schedules_run == schedules
    assert len(logs) == outcomes
