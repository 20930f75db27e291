"""How the harness scales: bigger programs, and many schedules in one process.

* Growth: the migration scenario (``race_harness.scenarios.migration_cascade.targets(size=n)``,
  the patched client so every schedule runs the whole QA plan) with 2, 10 and
  50 concurrent migrations.  Each size runs in its own Python process, so its
  peak RSS (``ru_maxrss``) is its own and not the benchmark's.
* Flatness: RSS of this process sampled across 10,000 schedules (1,000 with
  ``--quick``) of a small target; a harness that kept anything per schedule
  (traces, greenthreads, timers, journal entries) would grow.

Run one size by hand: ``python -m race_harness.benchmarks.scale SIZE SCHEDULES``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from harness import Exploration, explore
from race_harness.benchmarks.common import Budget, peak_rss_mb, registry_targets, rss_mb

VARIANT = "migration_cascade:patched"
FLAT_TARGET = "session_overwrite:patched"
SAMPLES = 20


def grow(size: int, schedules: int) -> dict[str, Any]:
    """In this process: one warm-up schedule, then ``schedules`` timed ones."""
    from race_harness.scenarios.migration_cascade import targets

    target = next(t for t in targets(size=size) if t.name == VARIANT)
    explore(target, schedules=1, database="off")
    found = explore(target, strategy="random", schedules=schedules, stop_on_failure=False, database="off")
    return {
        "size": size,
        "schedules": found.schedules_run,
        "schedules_per_s": round(found.schedules_run / found.elapsed, 2),
        "ms_per_schedule": round(found.elapsed * 1000 / found.schedules_run, 1),
        "mean_decisions": round(found.decisions / found.schedules_run, 1),
        "failures": found.failures_found,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def grow_in_subprocess(size: int, schedules: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "race_harness.benchmarks.scale", str(size), str(schedules)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"size": size, "note": f"worker exited {done.returncode}: {done.stderr.strip()[-300:]}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def rss_flat(schedules: int) -> dict[str, Any]:
    """RSS after the first schedule, at even intervals, and after the last."""
    target = registry_targets([FLAT_TARGET])[0]
    every = max(1, schedules // SAMPLES)
    samples: list[tuple[int, float]] = []

    def sample(so_far: Exploration) -> None:
        done = so_far.schedules_run
        if done == 1 or done % every == 0 or done == schedules:
            samples.append((done, round(rss_mb(), 2)))

    found = explore(target, strategy="random", schedules=schedules, stop_on_failure=False,
                    database="off", progress=sample)
    first, last = samples[0][1], samples[-1][1]
    return {
        "target": FLAT_TARGET, "schedules": found.schedules_run,
        "schedules_per_s": round(found.schedules_run / found.elapsed, 1),
        "rss_mb_first": first, "rss_mb_last": last, "rss_mb_max": max(r for _, r in samples),
        "growth_mb": round(last - first, 2),
        "growth_kb_per_1000_schedules": round((last - first) * 1024 * 1000 / max(1, schedules), 1),
        "samples": samples,
    }


def measure(budget: Budget, say: Callable[[str], None]) -> dict[str, Any]:
    growth = []
    for size in budget.scale_sizes:
        say(f"scale: migration_cascade size {size} ({budget.scale_schedules} schedules, own process)")
        growth.append(grow_in_subprocess(size, budget.scale_schedules))
    say(f"scale: RSS across {budget.rss_schedules} schedules of {FLAT_TARGET}")
    return {"variant": VARIANT, "growth": growth, "rss": rss_flat(budget.rss_schedules)}


def main(argv: list[str]) -> int:
    size, schedules = int(argv[0]), int(argv[1])
    print(json.dumps(grow(size, schedules)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
