"""``report.json``: the same proof, machine-readable.

The shape is documented by ``report.schema.json`` (JSON Schema 2020-12) next
to this module; ``format`` and ``format_version`` identify it, and any change
that is not a pure addition bumps ``format_version``.  The output carries no
wall-clock timestamps, so the same run gives the same bytes.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from harness._engine.trace import Event
from harness._report.model import FORMAT, FORMAT_VERSION, REQUEST, ProofReport, offset

SCHEMA_FILE = "report.schema.json"


def report_dict(report: ProofReport) -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    flagged = {id(v.request) for v in report.violations() if v.request is not None}
    error = report.error
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "target": {"name": report.target, "fingerprint": report.code_fingerprint,
                   "description": report.description},
        "failed": report.failed,
        "error": None if error is None else {"type": error.type, "message": error.message,
                                             "thread": error.thread, "traceback": error.traceback},
        "schedule": {"string": report.schedule, "model": report.model, "fingerprint": report.fingerprint,
                     "stale": report.stale, "decisions": report.choices, "preemptions": report.preemptions,
                     "original": report.original_schedule, "shrink": report.shrink_status},
        "replay": {"command": report.replay_command, "pytest": report.pytest_command},
        "race": report.race,
        "counts": dict(report.counts),
        "versions": dict(report.versions),
        "threads": report.threads(),
        "steps": report.steps,
        "violations": [{"event": _event(v.event), "request": _event(v.request) if v.request else None}
                       for v in report.violations()],
        "requests": [_event(e) | {"violating": id(e) in flagged} for e in report.notes(REQUEST)],
        "trace": [_event(e) for e in report.events],
        "sections": [{"title": s.title, "text": s.text} for s in report.sections],
    }


def render_json(report: ProofReport) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``report.json``."""
    text = resources.files("harness._report").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _event(event: Event) -> dict[str, Any]:
    return {"step": event.step, "offset": round(offset(event), 9), "thread": event.thread,
            "kind": event.kind, "detail": event.detail}
