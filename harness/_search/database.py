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
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness._errors import InvalidSchedule
from harness._schedule import Schedule

DEFAULT_ROOT = ".race-harness"
DISABLED = ("off", "none", "no", "false", "0", "")
FORMAT = 1
MAX_PER_KEY = 8  # schedules kept per (fingerprint, model)
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


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


def error_line(error: BaseException) -> str:
    """``Type: first line of the message``, object addresses masked (stable across runs)."""
    text = f"{type(error).__name__}: {error}".splitlines()[0][:300]
    return _ADDRESS.sub("0x?", text)


class FailureDatabase:
    """Failing schedules of every target, under one directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.error: str | None = None  # the last write that failed (read-only disk ...)

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
        """Every stored failure of ``target`` (unreadable files count as empty)."""
        path = self.path_for(target)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(data, dict) or data.get("target") != target:
            return []
        out: list[StoredFailure] = []
        for raw in data.get("failures", []):
            entry = _entry(raw)
            if entry is not None:
                out.append(entry)
        return out

    def pending(self, target: str, fingerprint: str, model: str) -> Pending:
        """The schedules to replay for this code and model; stale ones are dropped from disk."""
        entries = self.entries(target)
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
        entries = [e for e in self.entries(parsed.target) if e.schedule != entry.schedule]
        self._write(parsed.target, [*entries, entry])
        return entry

    def discard(self, schedule: str) -> None:
        """Forget a stored schedule (it passes now, or cannot replay)."""
        target = Schedule.parse(schedule).target
        entries = self.entries(target)
        kept = [e for e in entries if e.schedule != schedule]
        if len(kept) != len(entries):
            self._write(target, kept)

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
            self.error = f"cannot write the failure database at {path}: {exc}"


def _entry(raw: object) -> StoredFailure | None:
    if not isinstance(raw, dict):
        return None
    try:
        parsed = Schedule.parse(str(raw["schedule"]))
    except (KeyError, InvalidSchedule):
        return None
    return StoredFailure(parsed.encode(), parsed.fingerprint, parsed.model, str(raw.get("error", "")))


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
