"""eventlet.monkey_patch()ed standard library inside a run.

Monkey-patching is process-wide and cannot be undone, so the programs run in
a subprocess (``monkey_programs.py``) that monkey-patches, explores each
threading-based program exhaustively and prints the outcome sets as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).with_name("monkey_programs.py")


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def values(report: dict[str, Any], name: str) -> set[str]:
    entry = report[name]
    assert entry["exhausted"] and entry["failure"] is None, entry
    return set(entry["values"])


def test_threading_is_green_and_allowed_in_a_run(report: dict[str, Any]) -> None:
    assert report["green_threading"] == {"thread": "threading", "monkey_patched": True}


def test_threads_lose_an_update_without_a_lock_and_never_with_one(report: dict[str, Any]) -> None:
    assert values(report, "unlocked_counter") == {"1", "2"}
    assert values(report, "locked_counter") == {"2"}


def test_rlock_is_reentrant_and_exclusive(report: dict[str, Any]) -> None:
    # Thread.start() waits until the thread runs, and it takes the lock at once
    assert values(report, "rlock") == {"('a+', 'a-', 'b+', 'b-')"}


def test_condition_with_a_predicate_loop_hands_over_every_item(report: dict[str, Any]) -> None:
    assert values(report, "condition") == {"(1, 2)"}
    assert report["condition"]["schedules"] > 1


def test_event_wakes_every_waiter_in_either_order(report: dict[str, Any]) -> None:
    assert values(report, "event") == {"('a', 'b')", "('b', 'a')"}


def test_semaphore_and_queue_keep_their_guarantees(report: dict[str, Any]) -> None:
    assert values(report, "semaphore") == {"1"}
    assert values(report, "queue") == {"(0, 1, 2)"}


def test_time_sleep_is_virtual(report: dict[str, Any]) -> None:
    assert values(report, "sleep") == {"(1767225600.0, 3600.0)"}


def test_threading_local_is_per_thread(report: dict[str, Any]) -> None:
    assert values(report, "local") == {"(('a', 'a'), ('b', 'b'))"}


def test_a_thread_dying_of_an_exception_fails_the_run_unless_ignored(report: dict[str, Any]) -> None:
    assert report["dying_thread"]["failure"] == "RuntimeError"
    assert report["dying_thread"]["message"] == "thread died"
    assert values(report, "dying_thread_ignored") == {"'joined'"}
