"""Exploring on after failures keeps memory bounded (issue 21, item 8).

With ``stop_on_failure=False`` every failing run used to be kept with its
whole trace (about 48 KB each on a scenario): 2,000 schedules kept 1,308 of
them.  Now the first ``KEEP_TRACES`` of each failure signature keep their
traces, the next ``KEEP_SCHEDULES`` their schedule strings, the rest a count,
and the statistics say which.
"""

from __future__ import annotations

import eventlet
import pytest

import harness
from harness._search import explore as explore_module


def two_symptoms() -> None:
    """Fails in almost every order, two ways: a lost update (AssertionError) or a
    LookupError when the second worker finds the first one's marker."""
    box = {"n": 0}

    def bump(name: str) -> None:
        value = box["n"]
        eventlet.sleep(0)
        if box.get("marker") == "b" and name == "a":
            raise LookupError("b was first")
        box["marker"] = name
        box["n"] = value + 1

    workers = [eventlet.spawn(bump, name) for name in ("a", "b")]
    for worker in workers:
        worker.wait()
    assert box["n"] == 2, box


def test_failures_beyond_the_caps_are_counted_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explore_module, "KEEP_TRACES", 3)
    monkeypatch.setattr(explore_module, "KEEP_SCHEDULES", 5)
    outcome = harness.explore(two_symptoms, strategy="random", schedules=300, stop_on_failure=False,
                              database="off")
    assert outcome.failures_found > 2 * (3 + 5)  # enough to spill past both caps for each symptom
    assert len(outcome.failure_counts) == 2, outcome.failure_counts
    assert len(outcome.failures) == 2 * 3  # traces: 3 per signature
    assert all(len(schedules) == 5 for schedules in outcome.failing_schedules.values())
    counts = outcome.stats.failures
    assert counts["found"] == outcome.failures_found == sum(outcome.failure_counts.values())
    assert counts["counted_only"] == outcome.failures_found - 6 - 10
    assert "counted only" in outcome.stats.summary()
    assert outcome.failure is outcome.failures[0]  # the first failure is still the reported one


def test_a_kept_schedule_still_replays_its_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explore_module, "KEEP_TRACES", 1)
    outcome = harness.explore(two_symptoms, strategy="random", schedules=100, stop_on_failure=False,
                              database="off")
    schedule = next(iter(outcome.failing_schedules.values()))[0]
    assert harness.replay(two_symptoms, schedule).failure is not None
