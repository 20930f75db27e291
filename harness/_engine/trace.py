"""The events of one run, in the order they happened, on the virtual clock.

A trace is what makes a schedule readable: which greenthread ran, why the
previous one stopped (the label of its switch point), what it sent.  Two runs
of the same schedule on the same code must give byte-identical traces; the
determinism tests compare ``Trace.lines()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness._engine.clock import EPOCH
from harness._engine.kinds import EventKind


@dataclass(frozen=True)
class Event:
    """One thing that happened; ``kind`` is an ``EventKind`` (or a ``harness.note`` kind)."""

    step: int
    time: float
    thread: str
    kind: EventKind | str
    detail: str

    def line(self) -> str:
        offset = self.time - EPOCH
        return f"{self.step:>6}  t=+{offset:<11.6f} {self.thread:<5} {self.kind:<7} {self.detail}"


@dataclass
class Trace:
    """An append-only list of events with the greenthread names seen in the run."""

    events: list[Event] = field(default_factory=list)
    threads: dict[str, str] = field(default_factory=dict)

    def add(self, step: int, time: float, thread: str, kind: EventKind | str, detail: str) -> None:
        self.events.append(Event(step, time, thread, kind, detail))

    def lines(self) -> list[str]:
        return [event.line() for event in self.events]

    def text(self, limit: int | None = None) -> str:
        """The readable listing; with ``limit``, the last ``limit`` events only."""
        lines = self.lines()
        if limit is not None and len(lines) > limit:
            dropped = len(lines) - limit
            lines = [f"  ... {dropped} earlier events ...", *lines[-limit:]]
        header = "  step  time         gt    event   detail"
        return "\n".join([header, *lines])

    def of_kind(self, kind: EventKind | str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def __len__(self) -> int:
        return len(self.events)
