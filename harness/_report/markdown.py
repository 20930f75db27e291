"""``report.md``: the proof of a race, for a human reading a bug tracker."""

from __future__ import annotations

import re

from harness._report.model import REQUEST, ProofReport, offset
from harness._report.timeline import text_timeline


def render_markdown(report: ProofReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    parts = [
        f"# Race report: `{_code(report.target)}`",
        _summary(report),
        *(["## What raced", _escape(report.race)] if report.race else []),
        "## How to replay",
        _fence(report.replay_command, "sh"),
    ]
    if report.pytest_command and report.pytest_command != report.replay_command:
        parts += ["From pytest:", _fence(report.pytest_command, "sh")]
    parts += [_schedule(report), "## Versions", _versions(report)]
    parts += ["## Violating requests", _violations(report)]
    requests = report.notes(REQUEST)
    if requests:
        parts += [f"## Requests ({len(requests)})", _requests(report)]
    parts += ["## Timeline", "One column per greenthread; `*>` marks a preemption (a non-default choice).",
              _fence(text_timeline(report, width=140, limit=None))]
    parts += ["## Trace", _fence("\n".join(e.line() for e in report.events))]
    if report.error is not None and report.error.traceback:
        parts += [f"## Traceback ({_escape(report.error.thread)})", _fence(report.error.traceback, "pytb")]
    for section in report.sections:
        parts += [f"## {_escape(section.title)}", _fence(section.text)]
    return "\n\n".join(parts) + "\n"


def _summary(report: ProofReport) -> str:
    if report.error is None:
        verdict = "**No failure**: this schedule ran to the end without failing on this code."
    else:
        verdict = (f"**{_escape(report.error.type)}** in greenthread `{_code(report.error.thread)}`:\n\n"
                   + _fence(report.error.message))
    rows = [("target", f"`{_code(report.target)}`"), ("preemption model", report.model),
            ("target fingerprint", f"`{report.code_fingerprint}`"),
            ("steps", str(report.steps))]
    if report.stale:
        rows.append(("schedule fingerprint", f"`{report.fingerprint}` (stale: recorded on other code)"))
    rows += [(k.replace("_", " "), _escape(str(v))) for k, v in report.counts.items() if v is not None]
    lines = [verdict, ""]
    if report.description:
        lines += [_escape(report.description.strip().splitlines()[0]), ""]
    lines += ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join(lines)


def _schedule(report: ProofReport) -> str:
    lines = ["## Schedule", _fence(report.schedule),
             f"{report.choices} decisions, {report.preemptions} preemption(s) "
             f"(non-default choices); shrinking: {_escape(report.shrink_status)}."]
    if report.original_schedule and report.original_schedule != report.schedule:
        lines += ["", "Schedule as first found (before shrinking):", _fence(report.original_schedule)]
    return "\n".join(lines)


def _versions(report: ProofReport) -> str:
    rows = [f"| {_escape(k)} | {_escape(v)} |" for k, v in report.versions.items()]
    return "\n".join(["| component | version |", "|---|---|", *rows])


def _violations(report: ProofReport) -> str:
    found = report.violations()
    if not found:
        return "No request was noted as a violation (notes of kind `violation`)."
    rows = ["| step | t+ (s) | greenthread | request | violation |", "|---|---|---|---|---|"]
    for v in found:
        request = _cell(v.request.detail) if v.request else ""
        rows.append(f"| {v.event.step} | {offset(v.event):.6f} | {v.event.thread} | {request} | "
                    f"{_cell(v.event.detail)} |")
    return "\n".join(rows)


def _requests(report: ProofReport) -> str:
    flagged = {id(v.request) for v in report.violations() if v.request is not None}
    rows = ["| step | t+ (s) | greenthread | request | |", "|---|---|---|---|---|"]
    for e in report.notes(REQUEST):
        mark = "**VIOLATION**" if id(e) in flagged else ""
        rows.append(f"| {e.step} | {offset(e):.6f} | {e.thread} | {_cell(e.detail)} | {mark} |")
    return "\n".join(rows)


def _fence(text: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def _escape(text: str) -> str:
    """Markdown-inert text: no HTML, no emphasis, no table breaks."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]|#])", r"\\\1", text).replace("\n", " ")


def _cell(text: str) -> str:
    return f"<code>{_escape(text)}</code>" if text else ""


def _code(text: str) -> str:
    return text.replace("`", "'")
