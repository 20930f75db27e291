"""What a proof report says, independent of how it is rendered.

``ProofReport`` is built once from a run (its trace, its failure, the
schedule) and then rendered as Markdown, JSON, HTML and SVG.  Everything in
it is already redacted, so no renderer can leak a credential.

Notes with these kinds get special treatment (the convention the fakes and
targets follow; any other kind is shown as a plain note in its greenthread's
lane):

* ``request``  a request the code sent to a server: an arrow to the server lane;
* ``response`` an answer coming back: an arrow from the server lane;
* ``violation`` what an oracle found wrong, noted right after the request it
  is about: that request is highlighted, and the violation is listed in the
  report's violations table.  A violation with no request before it on the
  same greenthread is drawn on its own.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata

from harness._engine.clock import EPOCH
from harness._engine.labels import is_internal
from harness._engine.results import RunResult
from harness._engine.trace import Event
from harness._report.redact import Redactor
from harness._schedule import Schedule
from harness._search.session import RunSpec
from harness._targets import Target

REQUEST, RESPONSE, VIOLATION = "request", "response", "violation"
SERVER_KINDS = (REQUEST, RESPONSE, VIOLATION)
SERVER_LANE = "server"
FORMAT = "race-harness-report"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Section:
    """An extra titled block of text a target or a test attaches to its report."""

    title: str
    text: str


@dataclass(frozen=True)
class ErrorInfo:
    """The first failure of the run."""

    type: str
    message: str
    thread: str
    traceback: str


@dataclass(frozen=True)
class Violation:
    """A violation note and the request it is about (if one was noted before it)."""

    event: Event
    request: Event | None


@dataclass
class ProofReport:
    """Everything a bug report needs to prove a race, already redacted."""

    target: str
    fingerprint: str
    code_fingerprint: str
    model: str
    schedule: str
    events: list[Event]
    error: ErrorInfo | None
    replay_command: str
    description: str = ""
    original_schedule: str | None = None
    shrink_status: str = "not attempted"
    pytest_command: str | None = None
    counts: dict[str, int | str | bool | None] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    steps: int = 0
    redactor: Redactor = field(default_factory=Redactor, repr=False, compare=False)

    def add_section(self, title: str, text: str) -> None:
        """Attach a titled block of text, redacted like everything else (append to
        ``sections`` directly only with text that is already redacted)."""
        self.sections.append(Section(self.redactor.text(title), self.redactor.text(text)))

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def stale(self) -> bool:
        return self.fingerprint != self.code_fingerprint

    @property
    def choices(self) -> int:
        return len(Schedule.parse(self.schedule).choices)

    @property
    def preemptions(self) -> int:
        return Schedule.parse(self.schedule).preemptions

    @property
    def race(self) -> str | None:
        """What raced: the run's conflicting accesses (the trace's race event), if it has them."""
        found = self.notes("race")
        return found[-1].detail if found else None

    def notes(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def violations(self) -> list[Violation]:
        """Each violation note with the request noted before it on the same greenthread."""
        last_request: dict[str, Event] = {}
        found: list[Violation] = []
        for event in self.events:
            if event.kind == REQUEST:
                last_request[event.thread] = event
            elif event.kind == VIOLATION:
                found.append(Violation(event, last_request.pop(event.thread, None)))
        return found

    def threads(self) -> list[str]:
        """Greenthread names in id order (``gt0``, ``gt1``, ... ``gt10``), then ``hub`` if used."""
        names = {e.thread for e in self.events if not _is_root_spawn(e)}
        ordered = sorted((n for n in names if n != "hub"), key=_thread_key)
        return [*ordered, "hub"] if "hub" in names else ordered

    def has_server(self) -> bool:
        return any(e.kind in SERVER_KINDS for e in self.events)


def build_report(
    target: Target,
    schedule: str | Schedule,
    result: RunResult,
    *,
    original_schedule: str | None = None,
    shrink_status: str = "not attempted",
    pytest_command: str | None = None,
    counts: dict[str, int | str | bool | None] | None = None,
    sections: Iterable[Section] = (),
    secrets: Iterable[str] = (),
    spec: RunSpec | None = None,
) -> ProofReport:
    """A redacted report of one run of ``target`` under ``schedule``.

    ``pytest_command`` is for targets made from pytest race tests: the replay
    command is then that one (the CLI cannot set up the test's fixtures).
    ``spec`` holds the options the run was made with: the replay command spells
    each that differs from its default.
    """
    parsed = schedule if isinstance(schedule, Schedule) else Schedule.parse(schedule)
    redactor = Redactor(secrets)
    redact = redactor.text
    events = [Event(e.step, e.time, e.thread, e.kind, redact(e.detail)) for e in result.trace.events]
    first = result.failure
    error = None
    if first is not None:
        error = ErrorInfo(type(first.error).__name__, redact(str(first.error)), first.thread,
                          redact(user_traceback(first.traceback)))
    text = parsed.encode()
    return ProofReport(
        target=target.name, fingerprint=parsed.fingerprint, code_fingerprint=target.fingerprint,
        model=parsed.model, schedule=text, events=events, error=error,
        replay_command=redact(pytest_command) if pytest_command else
        " ".join([f"race-harness replay {shell_quote(target.name)} {shell_quote(text)}",
                  *(spec.options() if spec is not None else [])]),
        description=redact(target.description), original_schedule=original_schedule,
        shrink_status=shrink_status, pytest_command=pytest_command and redact(pytest_command),
        counts=dict(counts or {}), sections=[Section(redact(s.title), redact(s.text)) for s in sections],
        versions=versions(), steps=result.steps, redactor=redactor,
    )


_FRAME_RE = re.compile(r'^  File "(?P<file>[^"]+)", line \d+')


def user_traceback(text: str) -> str:
    """``text`` without the frames of eventlet and the harness (the run loop, the hub).

    What is left reads like the code under test; a note says how many frames went.
    """
    out: list[str] = []
    dropped = 0
    skipping = False
    for line in text.splitlines():
        match = _FRAME_RE.match(line)
        if match is not None:
            skipping = is_internal(match.group("file"))
            dropped += skipping
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            out.append(line)
    if dropped and out and out[0].startswith("Traceback"):
        out[0] += f"  ({dropped} harness/eventlet frames hidden)"
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def versions() -> dict[str, str]:
    """The versions a replay depends on."""
    found = {"python": platform.python_version(), "implementation": sys.implementation.name,
             "platform": platform.platform(terse=True)}
    for name in ("race-harness", "eventlet", "greenlet"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def shell_quote(text: str) -> str:
    """Single-quote ``text`` for a POSIX shell (always, so commands look alike)."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def offset(event: Event) -> float:
    """Seconds since the start of the virtual clock."""
    return event.time - EPOCH


def _is_root_spawn(event: Event) -> bool:
    return event.thread == "hub" and event.kind == "spawn" and event.detail.startswith("gt0 ")


def _thread_key(name: str) -> tuple[int, str]:
    digits = name[2:] if name.startswith("gt") else ""
    return (int(digits), name) if digits.isdigit() else (sys.maxsize, name)
