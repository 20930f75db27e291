"""The trace as lanes: one per greenthread, plus one for the server.

``rows`` turns a report's events into rows that every view shares (the
terminal columns here, the SVG swimlanes, the HTML page): what each event
says in a few words, in which lane, whether it is a request to the server,
and whether an oracle flagged it.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from harness._engine.trace import Event
from harness._report.model import (
    REQUEST,
    RESPONSE,
    SERVER_LANE,
    VIOLATION,
    ProofReport,
    offset,
)

_RUN_RE = re.compile(r"^after (?P<label>.*?)(?: \[option (?P<option>\d+) of (?P<count>\d+)\])?$")


@dataclass(frozen=True)
class Row:
    """One event placed in a lane, with its short text and how to draw it."""

    event: Event
    lane: str
    text: str
    style: str
    violation: str | None = None
    choice: tuple[int, int] | None = None

    @property
    def to_server(self) -> bool:
        return self.style in ("request", "violation")

    @property
    def from_server(self) -> bool:
        return self.style == "response"


def rows(report: ProofReport) -> list[Row]:
    """The report's events as rows; a violation is folded into the request it is about."""
    flagged = {id(v.request): v.event.detail for v in report.violations() if v.request is not None}
    attached = {id(v.event) for v in report.violations() if v.request is not None}
    out: list[Row] = []
    for event in report.events:
        if id(event) in attached or _hidden(event):
            continue
        out.append(_row(event, flagged.get(id(event))))
    return out


def lanes(report: ProofReport) -> list[str]:
    """Lane names, left to right: greenthreads by id, ``hub`` if it did anything, the server."""
    names = report.threads()
    return [*names, SERVER_LANE] if report.has_server() else names


def window(all_rows: list[Row], limit: int | None) -> tuple[list[Row], int]:
    """At most ``limit`` rows: the first few, a ``gap`` row, then the end (where failures
    are); and how many rows the gap stands for."""
    if limit is None or len(all_rows) <= limit:
        return all_rows, 0
    head = min(10, limit // 4)
    tail = limit - head
    cut = len(all_rows) - limit
    first_hidden = all_rows[head].event
    gap = Row(first_hidden, "", f"... {cut} events not shown (the full trace is in report.json) ...", "gap")
    return [*all_rows[:head], gap, *all_rows[-tail:]], cut


def _hidden(event: Event) -> bool:
    return event.thread == "hub" and event.kind == "spawn" and event.detail.startswith("gt0 ")


def _row(event: Event, violation: str | None) -> Row:
    kind = event.kind
    if kind == "run":
        return _run_row(event)
    if kind == REQUEST:
        return Row(event, event.thread, event.detail, "violation" if violation else "request", violation)
    if kind == VIOLATION:
        return Row(event, event.thread, event.detail, "violation", event.detail)
    if kind == RESPONSE:
        return Row(event, event.thread, event.detail, "response")
    if kind == "spawn":
        return Row(event, event.thread, "spawn " + _short_qualname(event.detail), "spawn")
    if kind == "fail":
        return Row(event, event.thread, event.detail, "fail")
    if kind in ("exit", "stop", "io"):
        return Row(event, event.thread, f"{kind} {event.detail}", kind)
    return Row(event, event.thread, f"{kind}: {event.detail}", "note")


def _run_row(event: Event) -> Row:
    match = _RUN_RE.match(event.detail)
    if match is None:
        return Row(event, event.thread, "runs " + event.detail, "run")
    label = match.group("label")
    text = "starts" if label == "start" else f"after {label}"
    if match.group("option") is None:
        return Row(event, event.thread, text, "run")
    choice = (int(match.group("option")), int(match.group("count")))
    if choice[0] == 0:
        return Row(event, event.thread, text, "run", choice=choice)
    return Row(event, event.thread, f"{text} (choice {choice[0]} of {choice[1]})", "preempt", choice=choice)


def _short_qualname(detail: str) -> str:
    """``gt1 test_x.<locals>.worker`` -> ``gt1 worker``."""
    name, _, what = detail.partition(" ")
    return f"{name} {what.rsplit('.', 1)[-1]}".rstrip() if what else detail


# -- terminal columns -------------------------------------------------------------
_MARKS = {"run": "> ", "preempt": "*> ", "request": "-> ", "response": "<- ", "violation": "!! ",
          "fail": "XX "}


def text_timeline(report: ProofReport, width: int = 120, limit: int | None = 80) -> str:
    """The trace in columns, one per greenthread; ``*>`` marks a preemption, ``!!`` a violation."""
    names = report.threads()
    shown, _cut = window(rows(report), limit)
    gutter = 16
    column = max(18, (width - gutter) // max(1, len(names)) - 3)
    lines = [_header(names, column)]
    lines.append("-" * (gutter + (column + 3) * len(names)))
    for row in shown:
        if row.style == "gap":
            lines.append(f"{'':>{gutter}}{row.text}")
        else:
            lines.extend(_text_row(row, names, column, gutter))
    lines.append("")
    lines.append("> runs   *> runs by a preemption (a non-default choice)   -> request   "
                 "!! violating request   XX failure")
    return "\n".join(lines)


def _header(names: list[str], column: int) -> str:
    cells = " | ".join(f"{name:<{column}}" for name in names)
    return f"{'step':>6} {'t+(s)':>8} | {cells}".rstrip()


def _text_row(row: Row, names: list[str], column: int, gutter: int) -> list[str]:
    text = _MARKS.get(row.style, "") + row.text
    if row.violation and row.event.kind == REQUEST:
        text += f"  !! VIOLATION: {row.violation}"
    lane = names.index(row.lane) if row.lane in names else 0
    chunks = _wrap(text, column) if row.style in ("violation", "fail") else [_clip(text, column)]
    out = []
    for i, chunk in enumerate(chunks):
        cells = ["" for _ in names]
        cells[lane] = chunk
        prefix = f"{row.event.step:>6} {offset(row.event):>8.3f}" if i == 0 else " " * 15
        out.append(f"{prefix} | " + " | ".join(f"{c:<{column}}" for c in cells).rstrip())
    return out


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _wrap(text: str, width: int, max_lines: int = 4) -> list[str]:
    parts = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    if len(parts) > max_lines:
        parts = [*parts[: max_lines - 1], _clip(parts[max_lines - 1] + " ...", width)]
    return parts


def violations_text(report: ProofReport) -> str:
    """The violating requests as a plain-text list (for terminals and logs)."""
    lines = []
    for v in report.violations():
        where = f"step {v.event.step} t=+{offset(v.event):.6f} {v.event.thread}"
        if v.request is not None:
            lines.append(f"{where}: {v.request.detail}")
            lines.append(f"    violation: {v.event.detail}")
        else:
            lines.append(f"{where}: {v.event.detail}")
    return "\n".join(lines) or "no notes of kind 'violation'"
