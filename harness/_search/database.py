"""The failure database: failing schedules kept on disk and replayed first.

Like Hypothesis's example database: an exploration that finds a failure
stores its schedule; the next exploration of the same target replays the
stored schedules before its strategy proposes anything, so a failure found
once (in CI, or yesterday) reproduces on the first schedule.  A stored
schedule that no longer fails is dropped (the bug was fixed); one recorded on
other code (its fingerprint differs from the target's) is reported as stale
and dropped, because its choices no longer mean the same interleaving.

Layout: ``<root>/failures/<target>-<hash>.json``, one file per target, JSON
with sorted keys and sorted entries and no timestamps, so the same failures
give the same bytes (diffable, cacheable in CI).  The root is
``.race-harness`` in the current directory by default; ``RACE_DATABASE``
(``Settings.database``) moves it, and ``off`` disables the database.

The database is shared: ``pytest -n`` workers and CI jobs with one cache
write it at the same time.  Every read-modify-write of a target's file holds
an exclusive ``flock`` on ``<file>.lock`` beside it, and a file is replaced
atomically (a temporary file, then ``os.replace``), so no writer loses
another's failures and no reader sees half a file.

The database is also only a cache of findings, so a bad file never stops an
exploration: a file that is not a regular file (a FIFO would block the
reader forever, so nothing is opened without ``O_NONBLOCK``), that cannot be
read, is too large, is not JSON (or nests too deeply for the parser), or has
the wrong shape is moved aside to ``<name>.corrupt-<n>``, its valid entries
are kept, and ``FailureDatabase.error`` says in one line what was wrong and
where the file went (the exploration statistics carry it, the CLI prints it).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eventlet import patcher

from harness._errors import InvalidSchedule
from harness._schedule import Schedule

DEFAULT_ROOT = ".race-harness"
DISABLED = ("off", "none", "no", "false", "0", "")
FORMAT = 1
MAX_PER_KEY = 8  # schedules kept per (fingerprint, model)
MAX_FILE_BYTES = 16 * 1024 * 1024  # a target's file is a few KB; more is not ours
LOCK_TIMEOUT = 10.0  # seconds to wait for another writer before going on unlocked
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
# The real clock and sleep, even under eventlet.monkey_patch() or the virtual clocks.
_real_time = patcher.original("time")


@dataclass(frozen=True)
class StoredFailure:
    """One stored failing schedule and the error it raised (first line, addresses masked)."""

    schedule: str
    fingerprint: str
    model: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "fingerprint": self.fingerprint, "model": self.model,
                "schedule": self.schedule}

    def sort_key(self) -> tuple[str, str, int, int, str]:
        parsed = Schedule.parse(self.schedule)
        return (self.fingerprint, self.model, parsed.preemptions, len(parsed.choices), self.schedule)


@dataclass(frozen=True)
class Pending:
    """What the database holds for one exploration: schedules to replay, stale ones dropped."""

    replay: list[StoredFailure]
    stale: list[StoredFailure]


@dataclass(frozen=True)
class _Contents:
    """What a target's file held: its valid entries and, if any, what was wrong with it."""

    entries: list[StoredFailure]
    problem: str | None = None


def error_line(error: BaseException) -> str:
    """``Type: first line of the message``, object addresses masked (stable across runs)."""
    lines = f"{type(error).__name__}: {error}".splitlines()
    return _ADDRESS.sub("0x?", lines[0][:300] if lines else type(error).__name__)


class FailureDatabase:
    """Failing schedules of every target, under one directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.problems: list[str] = []  # one line each: a write that failed, a bad file set aside

    @property
    def error(self) -> str | None:
        """What went wrong with the database so far, in one line (None: nothing)."""
        return "; ".join(self.problems) if self.problems else None

    @classmethod
    def from_setting(cls, value: str | os.PathLike[str] | None) -> FailureDatabase | None:
        """The database a setting names, or None when it is disabled (``off``)."""
        if value is None or str(value).strip().lower() in DISABLED:
            return None
        return cls(value)

    def path_for(self, target: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.-]", "_", target)[:80]
        digest = hashlib.sha256(target.encode()).hexdigest()[:8]
        return self.root / "failures" / f"{slug}-{digest}.json"

    # -- reading -------------------------------------------------------------
    def entries(self, target: str) -> list[StoredFailure]:
        """Every valid stored failure of ``target``; a bad file is set aside (see the module doc)."""
        if not self._exists(target):
            return []
        with self._locked(target):
            return self._load(target)

    def pending(self, target: str, fingerprint: str, model: str) -> Pending:
        """The schedules to replay for this code and model; stale ones are dropped from disk."""
        if not self._exists(target):
            return Pending([], [])
        with self._locked(target):
            entries = self._load(target)
            stale = [e for e in entries if e.fingerprint != fingerprint]
            if stale:
                self._write(target, [e for e in entries if e.fingerprint == fingerprint])
        replay = [e for e in entries if e.fingerprint == fingerprint and e.model == model]
        return Pending(sorted(replay, key=StoredFailure.sort_key), stale)

    # -- writing -------------------------------------------------------------
    def save(self, schedule: str, error: BaseException) -> StoredFailure:
        """Store a failing schedule (idempotent)."""
        parsed = Schedule.parse(schedule)
        entry = StoredFailure(parsed.encode(), parsed.fingerprint, parsed.model, error_line(error))
        with self._locked(parsed.target):
            entries = [e for e in self._load(parsed.target) if e.schedule != entry.schedule]
            self._write(parsed.target, [*entries, entry])
        return entry

    def discard(self, schedule: str) -> None:
        """Forget a stored schedule (it passes now, or cannot replay)."""
        target = Schedule.parse(schedule).target
        if not self._exists(target):
            return
        with self._locked(target):
            entries = self._load(target)
            kept = [e for e in entries if e.schedule != schedule]
            if len(kept) != len(entries):
                self._write(target, kept)

    # -- the file, under the lock ---------------------------------------------
    def _exists(self, target: str) -> bool:
        """Whether there is anything to read: reading nothing needs no lock (nor a lock file).
        A writer creating the file meanwhile is as if it had come a moment later."""
        return os.path.lexists(self.path_for(target))

    def _load(self, target: str) -> list[StoredFailure]:
        """The file's valid entries; a bad file is moved aside and its valid entries written back."""
        path = self.path_for(target)
        contents = _read(path, target)
        if contents.problem is None:
            return contents.entries
        aside = _set_aside(path)
        if aside is None:
            self._note(f"failure database file {path} {contents.problem}, and it cannot be moved aside: "
                       "ignoring it; remove it by hand")
            return contents.entries
        kept = f"; its {len(contents.entries)} valid failure(s) were kept" if contents.entries else ""
        self._note(f"failure database file {path} {contents.problem}: moved it to {aside.name}{kept}")
        if contents.entries:
            self._write(target, contents.entries)
        return contents.entries

    def _write(self, target: str, entries: list[StoredFailure]) -> None:
        """Write a target's file atomically; a disk that refuses is noted, never fatal."""
        path = self.path_for(target)
        kept = _capped(sorted(entries, key=StoredFailure.sort_key))
        document = {"format": FORMAT, "target": target, "failures": [e.as_dict() for e in kept]}
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        try:
            if not entries:
                path.unlink(missing_ok=True)
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                             prefix=".tmp-", suffix=".json") as handle:
                handle.write(text)
            os.replace(handle.name, path)
        except OSError as exc:
            self._note(f"cannot write the failure database at {path}: {exc}")

    @contextlib.contextmanager
    def _locked(self, target: str) -> Iterator[None]:
        """Hold ``<file>.lock`` exclusively; without a lock file (read-only disk) go on unlocked."""
        fd = _open_lock(self.path_for(target))
        if fd is None:
            yield
            return
        try:
            if not _flock(fd, LOCK_TIMEOUT):
                self._note(f"the failure database lock {self.path_for(target)}.lock was held for more than "
                           f"{LOCK_TIMEOUT:g} s; went on without it")
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)


# -- reading a file without trusting it ----------------------------------------------
def _read(path: Path, target: str) -> _Contents:
    """The valid entries of ``path`` and what, if anything, was wrong with it."""
    raw, problem = _read_bytes(path)
    if raw is None:
        return _Contents([], problem)
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _Contents([], "is not UTF-8 text")
    except RecursionError:
        return _Contents([], "nests JSON too deeply to be a failure database file")
    except ValueError as exc:
        return _Contents([], f"is not valid JSON ({exc})")
    return _document(document, target)


def _read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    """The file's bytes, or None and why not (no problem when there is no file).

    Opened non-blocking and checked with ``fstat`` before reading: a FIFO in
    the file's place would otherwise block the open until a writer came."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, f"is not a regular file (it is {_kind(info.st_mode)})"
        if info.st_size > MAX_FILE_BYTES:
            return None, f"is {info.st_size} bytes, larger than a failure database file ({MAX_FILE_BYTES})"
        return _read_all(fd), None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_FILE_BYTES:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "not a file")


def _document(document: object, target: str) -> _Contents:
    """The valid entries of a parsed file, whatever its JSON shape."""
    if not isinstance(document, dict):
        return _Contents([], f"holds a JSON {_json_type(document)}, not an object with 'failures'")
    if document.get("target") != target:
        return _Contents([], f"is for target {str(document.get('target'))[:80]!r}, not {target!r}")
    failures = document.get("failures")
    if not isinstance(failures, list):
        return _Contents([], f"has 'failures' {_json_type(failures)}, not a list")
    entries = [entry for entry in map(_entry, failures) if entry is not None and _of(entry, target)]
    bad = len(failures) - len(entries)
    if bad:
        return _Contents(entries, f"has {bad} unreadable entr{'y' if bad == 1 else 'ies'} of {len(failures)}")
    return _Contents(entries)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _entry(raw: object) -> StoredFailure | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("schedule"), str):
        return None
    try:
        parsed = Schedule.parse(raw["schedule"])
    except InvalidSchedule:
        return None
    error = raw.get("error", "")
    return StoredFailure(parsed.encode(), parsed.fingerprint, parsed.model,
                         error[:300] if isinstance(error, str) else "")


def _of(entry: StoredFailure, target: str) -> bool:
    return Schedule.parse(entry.schedule).target == target


def _set_aside(path: Path) -> Path | None:
    """Rename a bad file to the first free ``<name>.corrupt-<n>``; None if it cannot be moved."""
    for number in range(1, 1000):
        aside = path.with_name(f"{path.name}.corrupt-{number}")
        if os.path.lexists(aside):
            continue
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                continue
            return None
        return aside
    return None


# -- the lock -----------------------------------------------------------------------
def _open_lock(path: Path) -> int | None:
    """An fd on ``<file>.lock`` (created, with its directory), or None when the disk refuses."""
    lock = path.with_name(path.name + ".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        return os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError:
        return None


def _flock(fd: int, timeout: float) -> bool:
    """Take the exclusive lock, waiting at most ``timeout`` seconds (a stopped process may hold it)."""
    deadline = _real_time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if _real_time.monotonic() >= deadline:
                return False
            _real_time.sleep(0.002)
        except OSError:  # a lock file flock does not support: go on unlocked
            return True


def _capped(entries: list[StoredFailure]) -> list[StoredFailure]:
    """At most MAX_PER_KEY per (fingerprint, model): the ones with fewest preemptions."""
    counts: dict[tuple[str, str], int] = {}
    out: list[StoredFailure] = []
    for entry in entries:
        key = (entry.fingerprint, entry.model)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= MAX_PER_KEY:
            out.append(entry)
    return out
