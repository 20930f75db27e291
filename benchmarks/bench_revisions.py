"""The harness at two commits, side by side in one run: did a change slow it down?

    python -m race_harness.benchmarks.bench_revisions --before REV [--after REV|worktree]
        [--rounds 5] [--json out.json]

Each revision is checked out (``git worktree add`` into a temporary
directory; ``worktree`` means the files as they are now) and every workload
runs in a fresh interpreter whose ``sys.path`` starts with that checkout, so
the two engines never share a process.  Rounds alternate before/after to
spread machine noise evenly; each figure is the best CPU time of its rounds
(``time.process_time``), and the table prints after/before ratios.

The workloads use only the public API every revision has (``harness.explore``
on bodies defined here), so the comparison does not depend on module layout:
a switch-heavy random walk, an exhaustive DFS, and a preemptive lost update
through hand-named shared attributes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

WORKLOAD = r'''
import json, sys, time
import eventlet
import harness

def switches():
    def worker():
        for _ in range(50):
            eventlet.sleep(0)
    threads = [eventlet.spawn(worker) for _ in range(4)]
    for thread in threads:
        thread.wait()

def lost_update():
    box = {"n": 0}
    def bump():
        value = box["n"]
        eventlet.sleep(0)
        box["n"] = value + 1
    threads = [eventlet.spawn(bump) for _ in range(3)]
    for thread in threads:
        thread.wait()

class Box:
    value = 0

def shared_box():
    box = Box()
    def bump():
        box.value = box.value + 1
    threads = [eventlet.spawn(bump) for _ in range(3)]
    for thread in threads:
        thread.wait()

def instrumented():
    from harness.instrument import shared_attributes
    return shared_attributes(Box, "value")

WORKLOADS = {
    "random walk, 4 x 50 switches, 500 schedules": lambda: harness.explore(
        switches, strategy="random", schedules=500, database="off"),
    "exhaustive dfs, lost update of 3 greenthreads, 5 times": lambda: [harness.explore(
        lost_update, strategy="dfs", schedules=100000, database="off", stop_on_failure=False)
        for _ in range(5)][-1],
    "exhaustive dfs, preemptive, shared attribute of 3 greenthreads": lambda: harness.explore(
        harness.Target("bench:box", shared_box, "0" * 12, instrument=instrumented), strategy="dfs",
        preemption="preemptive", schedules=100000, database="off", stop_on_failure=False),
}
name = sys.argv[1]
started = time.process_time()
outcome = WORKLOADS[name]()
print(json.dumps({"cpu_s": time.process_time() - started, "schedules": outcome.schedules_run}))
'''
NAMES = ("random walk, 4 x 50 switches, 500 schedules",
         "exhaustive dfs, lost update of 3 greenthreads, 5 times",
         "exhaustive dfs, preemptive, shared attribute of 3 greenthreads")


def checkout(repo: Path, rev: str, into: Path) -> Path:
    """``rev``'s files in ``into`` (``worktree``: the repository itself, as it is)."""
    if rev == "worktree":
        return repo
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(into), rev],
                   check=True, capture_output=True)
    return into


def run_workload(root: Path, name: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(root), "RACE_DATABASE": "off", "CI": ""}
    done = subprocess.run([sys.executable, "-c", WORKLOAD, name], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"workload {name!r} failed at {root}: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(roots: dict[str, Path], rounds: int) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name in NAMES:
        samples: dict[str, list[float]] = {side: [] for side in roots}
        schedules: dict[str, int] = {}
        for _ in range(rounds):
            for side, root in roots.items():  # alternate: before, after, before, after...
                result = run_workload(root, name)
                samples[side].append(result["cpu_s"])
                schedules[side] = result["schedules"]
        best = {side: min(values) for side, values in samples.items()}
        table[name] = {"best_cpu_s": best, "samples": samples, "schedules": schedules,
                       "after_over_before": round(best["after"] / best["before"], 3)}
    return table


def render(table: dict[str, Any], revs: dict[str, str]) -> str:
    lines = [f"| workload | before ({revs['before']}) | after ({revs['after']}) | after / before "
             "| schedules |", "|---|---|---|---|---|"]
    for name, row in table.items():
        best = row["best_cpu_s"]
        counts = f"{row['schedules']['before']} / {row['schedules']['after']}"
        lines.append(f"| {name} | {best['before']:.3f} s | {best['after']:.3f} s | "
                     f"{row['after_over_before']:.3f} | {counts} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m race_harness.benchmarks.bench_revisions")
    parser.add_argument("--before", required=True, help="git revision of the baseline")
    parser.add_argument("--after", default="worktree", help="git revision, or 'worktree' (default)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"before": checkout(repo, args.before, Path(tmp) / "before"),
                 "after": checkout(repo, args.after, Path(tmp) / "after")}
        try:
            table = measure(roots, args.rounds)
        finally:
            for root in roots.values():
                if root != repo:
                    subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(root)],
                                   capture_output=True, check=False)
    revs = {"before": args.before, "after": args.after}
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, "
          f"best of {args.rounds} rounds, CPU time")
    print(render(table, revs))
    if args.json:
        Path(args.json).write_text(json.dumps({"revisions": revs, "rounds": args.rounds, "workloads": table},
                                              indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
