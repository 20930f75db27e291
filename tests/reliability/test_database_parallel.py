"""Processes sharing one failure database lose nothing (``pytest -n``, CI jobs with one cache).

Real processes, released at one instant: each waits until every other has
started (a ``ready-<n>`` file each), then for a ``go`` file, then writes.
The explorations also meet at their saves (each waits at ``save`` until all
are there), the instant at which unlocked writers lost each other's failures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from harness._schedule import Schedule
from harness._search.database import MAX_PER_KEY, FailureDatabase

HERE = Path(__file__).parent
TARGET = "reliability_programs:lost_update"
PROCESSES = 8
EACH = 8

_RELEASE = """
import os, sys, time
from pathlib import Path
root, number = Path(sys.argv[1]), int(sys.argv[2])
(root / f"ready-{number}").touch()
deadline = time.monotonic() + 60
while not (root / "go").exists():
    if time.monotonic() > deadline:
        sys.exit("never released")
    time.sleep(0.0005)
"""

_SAVER = _RELEASE + """
from harness._schedule import Schedule
from harness._search.database import FailureDatabase
database = FailureDatabase(root / "db")
fingerprint = f"{number:012x}"
for choice in range(1, int(sys.argv[3]) + 1):
    database.save(Schedule(sys.argv[4], "cooperative", fingerprint, (0, choice)).encode(),
                  AssertionError(f"failure {choice} of process {number}"))
print(database.error or "")
"""

_EXPLORER = _RELEASE + """
import json
import eventlet
import harness
import reliability_programs as programs
from harness._search import database

def interleaved_then_fails():
    def worker():
        for _ in range(3):
            eventlet.sleep(0)
    for thread in [eventlet.spawn(worker) for _ in range(3)]:
        thread.wait()
    raise AssertionError("fails in every order: each order is its own failing schedule")

def save_together(save):
    # every process reaches its save before any saves: the instant that loses failures
    def save_when_all_are_saving(self, schedule, error):
        (root / f"saving-{number}").touch()
        deadline = time.monotonic() + 60
        while len(list(root.glob("saving-*"))) < int(sys.argv[3]) and time.monotonic() < deadline:
            time.sleep(0.0005)
        return save(self, schedule, error)
    return save_when_all_are_saving

database.FailureDatabase.save = save_together(database.FailureDatabase.save)
target = programs.target(interleaved_then_fails, name=sys.argv[4])
outcome = harness.explore(target, strategy="random", seed=number, schedules=1, database=str(root / "db"))
print(json.dumps({"schedule": outcome.failure.schedule if outcome.failure else None,
                  "error": outcome.stats.database.get("error")}))
"""


def _released(script: str, root: Path, *args: str) -> list[str]:
    """Run ``PROCESSES`` copies of ``script``, release them together, return their stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    workers = [subprocess.Popen([sys.executable, "-c", script, str(root), str(number), *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for number in range(PROCESSES)]
    try:
        deadline = time.monotonic() + 60
        while len(list(root.glob("ready-*"))) < PROCESSES:
            assert time.monotonic() < deadline, "the workers did not start"
            assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
            time.sleep(0.005)
        time.sleep(0.3)  # each is polling for "go" by now, past its imports
        (root / "go").touch()
        outputs = [w.communicate(timeout=120) for w in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(w.returncode == 0 for w in workers), outputs
    return [out for out, _err in outputs]


def test_eight_processes_saving_eight_failures_each_store_all_sixty_four(tmp_path: Path) -> None:
    assert EACH <= MAX_PER_KEY  # one code fingerprint per process: nothing is capped away
    outputs = _released(_SAVER, tmp_path, str(EACH), TARGET)
    assert all(not out.strip() for out in outputs), outputs  # no write failed, nothing set aside
    stored = FailureDatabase(tmp_path / "db").entries(TARGET)
    expected = {Schedule(TARGET, "cooperative", f"{n:012x}", (0, c)).encode()
                for n in range(PROCESSES) for c in range(1, EACH + 1)}
    assert len(stored) == PROCESSES * EACH and {e.schedule for e in stored} == expected
    assert not list((tmp_path / "db" / "failures").glob(".tmp-*"))  # no temporary file left behind


def test_parallel_explorations_of_one_target_keep_every_reported_failure(tmp_path: Path) -> None:
    target = "reliability_programs:interleaved_then_fails"
    reports = [json.loads(out) for out in _released(_EXPLORER, tmp_path, str(PROCESSES), target)]
    reported = {report["schedule"] for report in reports}
    assert None not in reported and all(report["error"] is None for report in reports), reports
    assert len(reported) > PROCESSES // 2  # mostly distinct failures (one per seed)
    stored = {entry.schedule for entry in FailureDatabase(tmp_path / "db").entries(target)}
    assert reported <= stored, f"lost {len(reported - stored)} of {len(reported)} reported failures"
