"""A bad failure-database file never stops an exploration and never loses what it held.

Every kind of bad file (a wrong JSON shape, invalid or deeply nested JSON,
bytes that are not text, a FIFO or a directory in the file's place, entries
half valid and half garbage) is moved aside to ``<name>.corrupt-<n>`` with
one line saying what was wrong and where it went; the target is explored as
if the file were not there, and the file's valid entries survive.  Checked
through ``harness.explore`` and through ``race-harness explore`` in a real
process with ``RACE_DATABASE`` set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import reliability_programs as programs

import harness
from harness._schedule import Schedule
from harness._search.database import FailureDatabase

HERE = Path(__file__).parent
LOST = programs.target(programs.lost_update)
# A failing schedule of the same target that the exploration below does not find first.
STORED = Schedule(LOST.name, "cooperative", LOST.fingerprint, (1, 0, 1, 1)).encode()
OTHER_CODE = Schedule(LOST.name, "preemptive", "abcdef012345", (0, 1)).encode()


def _document(failures: object) -> str:
    return json.dumps({"format": 1, "target": LOST.name, "failures": failures})


BAD_FILES: dict[str, tuple[str | bytes, str]] = {
    "failures is a number": (_document(5), "'failures' number"),
    "failures is null": (_document(None), "'failures' null"),
    "failures is a string": (_document("abc"), "'failures' string"),
    "a JSON list": ("[1, 2, 3]", "JSON list"),
    "a JSON string": ('"failures"', "JSON string"),
    "JSON null": ("null", "JSON null"),
    "100,000 brackets": ("[" * 100_000, "too deeply"),
    "brackets inside failures": ('{"target": "x", "failures": ' + "[" * 100_000, "too deeply"),
    "not JSON": ("{not json", "not valid JSON"),
    "empty": ("", "not valid JSON"),
    "not UTF-8": (b"\xff\xfe\x00garbage", "not UTF-8"),
    "another target": (json.dumps({"target": "x:y", "failures": []}), "for target 'x:y'"),
}


def _explore(root: Path) -> harness.Exploration:
    return harness.explore(LOST, strategy="dfs", schedules=50, database=str(root))


def _file(root: Path) -> Path:
    return FailureDatabase(root).path_for(LOST.name)


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _stored(root: Path) -> set[str]:
    return {entry.schedule for entry in FailureDatabase(root).entries(LOST.name)}


def assert_set_aside(message: str, path: Path, original: str | bytes, *words: str) -> None:
    """One line naming the file, what was wrong and where it went; the bad bytes kept there."""
    assert "\n" not in message
    aside = path.with_name(path.name + ".corrupt-1")
    assert str(path) in message and aside.name in message, message
    for word in words:
        assert word in message, (word, message)
    kept = aside.read_bytes()
    assert kept == (original if isinstance(original, bytes) else original.encode())


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_set_aside_and_the_target_explored(name: str, tmp_path: Path) -> None:
    content, words = BAD_FILES[name]
    path = _file(tmp_path)
    _write(path, content)
    outcome = _explore(tmp_path)
    assert outcome.failure is not None and outcome.schedules_run >= 1  # explored, found the race
    assert_set_aside(outcome.stats.database["error"], path, content, words)
    assert _stored(tmp_path) == {outcome.failure.schedule}  # a fresh, valid file


def test_the_valid_entries_of_a_partly_bad_file_are_kept(tmp_path: Path) -> None:
    path = _file(tmp_path)
    content = _document([{"schedule": STORED, "error": "AssertionError: lost update"},
                         {"schedule": OTHER_CODE, "error": "AssertionError: old code"},
                         {"schedule": "garbage"}, 17, None, {"schedule": 5},
                         {"schedule": STORED.replace(LOST.name, "another:target")}])
    _write(path, content)
    database = FailureDatabase(tmp_path)
    assert {e.schedule for e in database.entries(LOST.name)} == {STORED, OTHER_CODE}
    assert_set_aside(database.error or "", path, content, "5 unreadable entries of 7", "2 valid")
    assert json.loads(path.read_text())["failures"][0]["schedule"] in (STORED, OTHER_CODE)
    outcome = _explore(tmp_path)  # the kept failure is replayed first
    assert outcome.failure is not None and outcome.failure.schedule == STORED
    assert outcome.stats.database["reproduced"] == 1 and "error" not in outcome.stats.database


def test_set_aside_files_are_numbered_and_never_overwritten(tmp_path: Path) -> None:
    path = _file(tmp_path)
    for number in range(1, 4):
        _write(path, f"broken {number}")
        database = FailureDatabase(tmp_path)
        assert database.entries(LOST.name) == []
        assert f"corrupt-{number}" in (database.error or "")
    assert [path.with_name(f"{path.name}.corrupt-{n}").read_text() for n in (1, 2, 3)] == \
        ["broken 1", "broken 2", "broken 3"]


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO in the file's place, and a watchdog that unblocks a reader stuck on it.

    Opening a FIFO to write (non-blocking) only succeeds while somebody has it
    open to read: after a few seconds that means a reader is stuck, so the
    watchdog records it and lets the reader go (it then reads nothing)."""
    path = _file(tmp_path)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    stuck: list[bool] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(5.0):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue  # nobody reading it: fine
            stuck.append(True)
            os.close(fd)

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    yield path
    done.set()
    watchdog.join()
    assert not stuck, "a reader blocked on the FIFO"


def test_a_fifo_in_the_files_place_does_not_block(fifo: Path, tmp_path: Path) -> None:
    outcome = _explore(tmp_path)
    assert outcome.failure is not None and outcome.schedules_run >= 1
    message = outcome.stats.database["error"]
    assert "not a regular file (it is a FIFO)" in message and "corrupt-1" in message
    assert fifo.with_name(fifo.name + ".corrupt-1").is_fifo()
    assert _stored(tmp_path) == {outcome.failure.schedule}


def test_a_directory_in_the_files_place_is_set_aside(tmp_path: Path) -> None:
    path = _file(tmp_path)
    (path / "inside").mkdir(parents=True)
    outcome = _explore(tmp_path)
    assert outcome.failure is not None
    assert "it is a directory" in outcome.stats.database["error"]
    assert (path.with_name(path.name + ".corrupt-1") / "inside").is_dir()
    assert _stored(tmp_path) == {outcome.failure.schedule}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_set_aside(tmp_path: Path) -> None:
    path = _file(tmp_path)
    _write(path, _document([{"schedule": STORED}]))
    path.chmod(0)
    outcome = _explore(tmp_path)
    assert "cannot be read" in outcome.stats.database["error"]
    assert path.with_name(path.name + ".corrupt-1").exists()


# -- through the command line --------------------------------------------------------------

def _cli(root: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RACE_DATABASE": str(root),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "harness", "explore", "reliability_programs:lost_update",
                           "--strategy", "dfs", "--schedules", "50", *argv],
                          env=env, capture_output=True, text=True, timeout=timeout)


def _cli_file(root: Path) -> Path:
    """The CLI's target is the function itself (its own fingerprint), not ``LOST``."""
    return FailureDatabase(root).path_for("reliability_programs:lost_update")


@pytest.mark.parametrize("content", [_document(5).replace(LOST.name, "reliability_programs:lost_update"),
                                     _document(None).replace(LOST.name, "reliability_programs:lost_update"),
                                     "[" * 100_000], ids=["failures 5", "failures null", "brackets"])
def test_the_cli_explores_past_a_bad_file_and_says_so_in_one_line(content: str, tmp_path: Path) -> None:
    path = _cli_file(tmp_path)
    _write(path, content)
    done = _cli(tmp_path)
    assert done.returncode == 1, done.stderr  # a race found, not an internal error (2)
    assert "FAIL after" in done.stdout and "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if "failure database file" in line]
    assert len(warnings) == 1 and warnings[0].startswith("race-harness: warning: "), done.stderr
    assert str(path) in warnings[0] and "corrupt-1" in warnings[0]
    assert path.with_name(path.name + ".corrupt-1").read_text() == content
    assert json.loads(path.read_text())["failures"]  # the new failure was stored


def test_the_cli_does_not_hang_on_a_fifo(tmp_path: Path) -> None:
    path = _cli_file(tmp_path)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    done = _cli(tmp_path, timeout=30)  # before the fix: blocked in open() until the timeout killed it
    assert done.returncode == 1, done.stderr
    assert "it is a FIFO" in done.stderr and "Traceback" not in done.stderr
