"""Schedules: the choices of one run, as a one-line string anyone can paste.

Format, version 1::

    rh1:<target>:<model>:<fingerprint>:<choices>

``target`` may itself contain colons (``ems_vserver:old``,
``package.module:func``); the last three fields never do.  ``model`` is ``c``
(cooperative) or ``p`` (preemptive).  ``choices`` is a dot-separated list of
run-length-compressed decisions: ``3`` is one choice of option 3, ``0x12`` is
twelve choices of option 0; ``-`` is the empty list.  Every character is
shell-safe, so the string can be pasted unquoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness._errors import InvalidSchedule

VERSION = "rh1"
MODEL_CODES = {"cooperative": "c", "preemptive": "p"}
MODEL_NAMES = {code: name for name, code in MODEL_CODES.items()}
# Always used with ``fullmatch``: ``$`` would also match before a trailing newline.
_TARGET_RE = re.compile(r"[A-Za-z0-9_.\-]+(:[A-Za-z0-9_.\-]+)*")
_FINGERPRINT_RE = re.compile(r"[0-9a-f]{1,64}")
_RUN_RE = re.compile(r"(0|[1-9][0-9]{0,5})(x([1-9][0-9]{0,8}))?")
MAX_CHOICES = 10_000_000
MAX_OPTION = 999_999  # the largest option index a run can encode


@dataclass(frozen=True)
class Schedule:
    """The decisions of one run of one target, identified by its code fingerprint."""

    target: str
    model: str
    fingerprint: str
    choices: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.model not in MODEL_CODES:
            raise InvalidSchedule(f"unknown preemption model {self.model!r}")
        if not _TARGET_RE.fullmatch(self.target):
            raise InvalidSchedule(f"target name {self.target!r} has characters a schedule cannot carry")
        if not _FINGERPRINT_RE.fullmatch(self.fingerprint):
            raise InvalidSchedule(f"fingerprint {self.fingerprint!r} is not lowercase hex")
        if any(not 0 <= c <= MAX_OPTION for c in self.choices):
            raise InvalidSchedule(f"choices must be option indices 0..{MAX_OPTION}")

    @property
    def preemptions(self) -> int:
        """Choices that depart from eventlet's default order (any non-zero choice)."""
        return sum(1 for c in self.choices if c)

    def encode(self) -> str:
        return ":".join(
            [VERSION, self.target, MODEL_CODES[self.model], self.fingerprint, encode_choices(self.choices)]
        )

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Parse a schedule string; raise InvalidSchedule naming the bad part."""
        if not isinstance(text, str):
            raise InvalidSchedule(f"a schedule is a string, not {type(text).__name__}")
        text = text.strip()
        parts = text.split(":")
        if len(parts) < 5:
            raise InvalidSchedule(
                f"schedule {_shorten(text)!r} has {len(parts)} ':'-separated fields; expected "
                "'rh1:<target>:<model>:<fingerprint>:<choices>' (was it truncated when copied?)"
            )
        version, *target_parts, model, fingerprint, choices = parts
        if version != VERSION:
            raise InvalidSchedule(
                f"schedule version {version!r} is not supported (this harness reads {VERSION!r}); "
                "record the schedule again with this version"
            )
        target = ":".join(target_parts)
        if not target or not _TARGET_RE.fullmatch(target):
            raise InvalidSchedule(f"bad target field {target!r} in schedule")
        if model not in MODEL_NAMES:
            raise InvalidSchedule(
                f"bad model field {model!r}: expected 'c' (cooperative) or 'p' (preemptive) "
                "(was the schedule truncated when copied?)"
            )
        if not _FINGERPRINT_RE.fullmatch(fingerprint):
            raise InvalidSchedule(f"bad fingerprint field {fingerprint!r}: expected lowercase hex")
        return cls(target, MODEL_NAMES[model], fingerprint, decode_choices(choices))


def encode_choices(choices: tuple[int, ...] | list[int]) -> str:
    """Run-length encode choices: ``[0, 0, 0, 2, 1, 1]`` -> ``0x3.2.1x2``."""
    if not choices:
        return "-"
    runs: list[str] = []
    i = 0
    n = len(choices)
    while i < n:
        value = choices[i]
        j = i
        while j < n and choices[j] == value:
            j += 1
        count = j - i
        runs.append(f"{value}x{count}" if count > 1 else str(value))
        i = j
    return ".".join(runs)


def decode_choices(text: str) -> tuple[int, ...]:
    """Inverse of encode_choices; raise InvalidSchedule naming the bad run."""
    if text == "-":
        return ()
    if not text:
        raise InvalidSchedule("empty choices field: expected '-' or runs like '0x3.2.1'")
    out: list[int] = []
    for position, run in enumerate(text.split("."), start=1):
        match = _RUN_RE.fullmatch(run)
        if match is None:
            raise InvalidSchedule(
                f"bad run {run!r} (run {position}) in choices: expected N or NxCOUNT, e.g. '0x12' or '3'"
            )
        count = int(match.group(3)) if match.group(3) else 1
        if len(out) + count > MAX_CHOICES:
            raise InvalidSchedule(f"choices expand past {MAX_CHOICES} decisions: not a real schedule")
        out.extend([int(match.group(1))] * count)
    return tuple(out)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
