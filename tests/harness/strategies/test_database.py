"""The failure database: a failure found once is replayed first next time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import race_programs as rp

import harness
from harness._schedule import Schedule
from harness._search.database import FailureDatabase
from harness._settings import Settings
from harness._targets import Target
from harness.strategies import BoundedDfsStrategy

WINDOW = rp.target(rp.window, "window")


def explore_window(root: Path, **kwargs: object) -> harness.Exploration:
    return harness.explore(WINDOW, strategy=BoundedDfsStrategy(None), preemption="preemptive",
                           database=str(root), **kwargs)  # type: ignore[arg-type]


def test_a_stored_failure_is_replayed_first(tmp_path: Path) -> None:
    first = explore_window(tmp_path)
    assert first.failure is not None and first.first_failure_after is not None
    assert first.first_failure_after > 5
    assert first.stats.database["saved"] == first.failure.schedule
    again = explore_window(tmp_path)
    assert again.failure is not None and again.failure.schedule == first.failure.schedule
    assert again.first_failure_after == 1 and again.schedules_run == 1
    assert again.stats.database["reproduced"] == 1
    assert "stored failing schedule" in again.strategy


def test_the_file_is_deterministic_json_with_sorted_keys(tmp_path: Path) -> None:
    database = FailureDatabase(tmp_path)
    error = AssertionError("boom at 0x7f00deadbeef")
    b = Schedule(WINDOW.name, "preemptive", WINDOW.fingerprint, (0, 1)).encode()
    a = Schedule(WINDOW.name, "cooperative", WINDOW.fingerprint, (1,)).encode()
    database.save(b, error)
    database.save(a, error)
    path = database.path_for(WINDOW.name)
    text = path.read_text()
    other = FailureDatabase(tmp_path / "other")
    other.save(a, error)
    other.save(b, error)
    other.save(b, error)  # idempotent
    assert other.path_for(WINDOW.name).read_text() == text  # same failures, same bytes
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert [e["model"] for e in data["failures"]] == ["cooperative", "preemptive"]
    assert data["failures"][0]["error"] == "AssertionError: boom at 0x?"
    assert path.parent == tmp_path / "failures"


def test_stale_entries_are_reported_and_dropped(tmp_path: Path) -> None:
    database = FailureDatabase(tmp_path)
    old_code = Target(WINDOW.name, WINDOW.body, "fedcba987654")
    stale = Schedule(old_code.name, "preemptive", old_code.fingerprint, (0, 1)).encode()
    database.save(stale, AssertionError("old"))
    outcome = explore_window(tmp_path)
    assert outcome.stats.database["stale"] == [stale]
    assert outcome.stats.database["replayed"] == 0
    remaining = [e.schedule for e in database.entries(WINDOW.name)]
    assert stale not in remaining and remaining == [outcome.failure.schedule]  # type: ignore[union-attr]


def test_a_stored_schedule_that_passes_now_is_dropped(tmp_path: Path) -> None:
    database = FailureDatabase(tmp_path)
    fixed = Schedule(WINDOW.name, "preemptive", WINDOW.fingerprint, (0, 0, 1)).encode()
    diverged = Schedule(WINDOW.name, "preemptive", WINDOW.fingerprint, (5,)).encode()
    database.save(fixed, AssertionError("was failing"))
    database.save(diverged, AssertionError("was failing"))
    outcome = explore_window(tmp_path)
    assert outcome.stats.database["replayed"] == 2 and outcome.stats.database["dropped"] == 2
    assert outcome.first_failure_after is not None and outcome.first_failure_after > 1
    assert {e.schedule for e in database.entries(WINDOW.name)} == {outcome.failure.schedule}  # type: ignore[union-attr]


def test_other_models_are_not_replayed(tmp_path: Path) -> None:
    database = FailureDatabase(tmp_path)
    cooperative = Schedule(WINDOW.name, "cooperative", WINDOW.fingerprint, (1,)).encode()
    database.save(cooperative, AssertionError("x"))
    outcome = explore_window(tmp_path)
    assert outcome.stats.database["replayed"] == 0
    assert cooperative in {e.schedule for e in database.entries(WINDOW.name)}


@pytest.mark.parametrize("value", ["off", "OFF", "none", ""])
def test_off_disables_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RACE_DATABASE", value)
    assert FailureDatabase.from_setting(Settings.from_env().database) is None
    outcome = harness.explore(WINDOW, strategy=BoundedDfsStrategy(None), preemption="preemptive")
    assert outcome.failure is not None and outcome.stats.database == {}
    assert not (tmp_path / ".race-harness").exists()


def test_the_default_is_race_harness_in_the_current_directory(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RACE_DATABASE", raising=False)
    assert Settings.from_env().database == ".race-harness"
    harness.explore(WINDOW, strategy=BoundedDfsStrategy(None), preemption="preemptive")
    assert list((tmp_path / ".race-harness" / "failures").glob("*.json"))


def test_unreadable_files_count_as_empty(tmp_path: Path) -> None:
    database = FailureDatabase(tmp_path)
    path = database.path_for(WINDOW.name)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert database.entries(WINDOW.name) == []
    path.write_text(json.dumps({"target": WINDOW.name, "failures": [{"schedule": "garbage"}]}))
    assert database.entries(WINDOW.name) == []


def test_a_read_only_database_never_breaks_an_exploration(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    outcome = explore_window(blocker / "db")
    assert outcome.failure is not None
    assert "cannot write the failure database" in outcome.stats.database["error"]
