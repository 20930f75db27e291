"""Proof bundles: build a report from a target and a schedule, and write its files.

``make_report`` replays the schedule (shrunk first, under the options it was
found with: a ``RunSpec``) and ``write_bundle`` writes ``report.md``,
``report.json``, ``timeline.html``, ``timeline.svg`` and the regression test
into one directory: everything a bug report needs to carry its proof.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness._errors import StaleSchedule
from harness._report.htmlpage import render_html
from harness._report.jsonreport import render_json
from harness._report.markdown import render_markdown
from harness._report.model import ProofReport, Section, build_report
from harness._report.regression import regression_filename, render_pytest_regression, render_regression
from harness._report.svg import render_svg
from harness._schedule import Schedule
from harness._search.explore import TargetSpec, replay
from harness._search.failures import failure_of
from harness._search.session import RunSpec
from harness._settings import Settings
from harness._targets import Target, resolve_target


@dataclass(frozen=True)
class Shrunk:
    """The schedule to report, the one it came from, and what shrinking did."""

    schedule: str
    original: str | None
    status: str


def shrink_schedule(target: Target, schedule: str, spec: RunSpec | None = None) -> Shrunk:
    """Shrink ``schedule`` under ``spec``; a shrinking problem leaves the schedule as it is
    and says so: a report is never lost to it."""
    from harness._search.shrink import shrink

    try:
        text = shrink(target, schedule, spec=spec).shrunk.encode()
    except Exception as exc:  # noqa: BLE001 - the unshrunk schedule still proves the race
        return Shrunk(schedule, None, f"failed ({type(exc).__name__}: {exc}); showing the schedule as found")
    if text == schedule:
        return Shrunk(schedule, None, "already minimal")
    before, after = Schedule.parse(schedule), Schedule.parse(text)
    return Shrunk(text, schedule, f"shrunk from {len(before.choices)} decisions / {before.preemptions} "
                                  f"preemptions to {len(after.choices)} / {after.preemptions}")


def make_report(
    target: TargetSpec,
    schedule: str | Schedule,
    *,
    shrink: bool = True,
    counts: dict[str, int | str | bool | None] | None = None,
    sections: Iterable[Section] = (),
    secrets: Iterable[str] = (),
    pytest_command: str | None = None,
    spec: RunSpec | None = None,
) -> ProofReport:
    """Replay ``schedule`` on ``target`` under ``spec`` (shrunk first if it fails) and
    build its report, whose replay command spells the spec's options.

    Raises ``ScheduleDivergence`` when the schedule does not fit the code.
    """
    resolved = resolve_target(target)
    parsed = schedule if isinstance(schedule, Schedule) else Schedule.parse(schedule)
    text = parsed.encode()
    spec = (spec or RunSpec.of(resolved, Settings.from_env())).with_overrides(model=parsed.model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleSchedule)
        result = replay(resolved, text, spec=spec)
    shrunk = Shrunk(text, None, "not attempted")
    if shrink and failure_of(resolved, spec, result) is not None:
        shrunk = shrink_schedule(resolved, text, spec)
        if shrunk.schedule != text:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StaleSchedule)
                result = replay(resolved, shrunk.schedule, spec=spec)
    return build_report(
        resolved, shrunk.schedule, result, original_schedule=shrunk.original, shrink_status=shrunk.status,
        pytest_command=pytest_command, counts=counts, sections=sections, secrets=secrets, spec=spec,
    )


def write_bundle(
    report: ProofReport,
    out: str | Path,
    *,
    regression_targets: list[str] | None = None,
    pytest_nodeid: str | None = None,
    rootdir: str | None = None,
) -> dict[str, Path]:
    """Write the bundle's files into ``out`` (created if needed); return them by role."""
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    if pytest_nodeid is not None:
        regression = render_pytest_regression(report, pytest_nodeid, rootdir or str(Path.cwd()))
    else:
        regression = render_regression(report, regression_targets)
    files = {
        "markdown": ("report.md", render_markdown(report)),
        "json": ("report.json", render_json(report)),
        "html": ("timeline.html", render_html(report)),
        "svg": ("timeline.svg", render_svg(report)),
        "regression": (regression_filename(report.target), regression),
    }
    written: dict[str, Path] = {}
    for role, (name, text) in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written[role] = path
    return written
