"""``test_regression_<target>.py``: a standalone pytest file that keeps a race fixed.

It replays the failing schedule and asserts that the failure does not
happen, so it fails while the race is in the code and passes once it is
fixed.  Fixed code often no longer offers the recorded choices; the test then
explores from the schedule's prefix (``harness._search.recheck``) rather than passing
by accident.  It is parametrised by target name: point it at a fixed variant
with ``RACE_REGRESSION_TARGETS=scenario:patched``.

Every value is written with ``repr``, so nothing from the run can break out of
a string literal.
"""

from __future__ import annotations

import re

from harness._report.model import ProofReport
from harness._search.recheck import DEFAULT_BUDGET

_TARGET_TEMPLATE = '''"""Regression test for a race in {target_doc}, written by race-harness.

It replays the schedule that made the target fail and asserts that the
failure does not happen: it fails while the race is in the code and passes
once the race is fixed.  If the fixed code no longer offers the recorded
choices, it explores {budget} schedules from the recorded prefix instead.

Run it:                   pytest {filename}
Against a fixed variant:  RACE_REGRESSION_TARGETS=<scenario:variant> pytest {filename}
"""

from __future__ import annotations

import os

import pytest

from harness._search.recheck import recheck

SCHEDULE = {schedule!r}
ERROR = {error!r}
BUDGET = {budget!r}
TARGETS = [
    name.strip()
    for name in os.environ.get("RACE_REGRESSION_TARGETS", {targets!r}).split(",")
    if name.strip()
]


@pytest.mark.parametrize("target", TARGETS)
def test_race_does_not_happen(target: str) -> None:
    outcome = recheck(target, SCHEDULE, budget=BUDGET, retarget=True)
    assert not outcome.failed, f"the race is back (first seen as {{ERROR}}):\\n{{outcome.describe()}}"
    assert outcome.verdict != "refused", f"no verdict, the run was refused:\\n{{outcome.describe()}}"
'''

_PYTEST_TEMPLATE = '''"""Regression test for the race test {nodeid_doc}, written by race-harness.

It replays the failing schedule through pytest (--race-replay) and asserts
that the test passes: it fails while the race is in the code and passes once
the race is fixed.  Run it from the project's root directory, or set
RACE_REGRESSION_ROOTDIR.
"""

from __future__ import annotations

import os
import subprocess
import sys

NODEID = {nodeid!r}
SCHEDULE = {schedule!r}
ERROR = {error!r}
ROOTDIR = os.environ.get("RACE_REGRESSION_ROOTDIR", {rootdir!r})


def test_race_does_not_happen() -> None:
    command = [sys.executable, "-m", "pytest", NODEID, "--race-replay=" + SCHEDULE,
               "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    done = subprocess.run(command, cwd=ROOTDIR, capture_output=True, text=True, check=False)
    assert done.returncode == 0, (
        f"the race is back (first seen as {{ERROR}}):\\n{{done.stdout}}\\n{{done.stderr}}"
    )
'''


def regression_filename(target: str) -> str:
    """``ems_vserver:old`` -> ``test_regression_ems_vserver_old.py``."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", target).strip("_").lower() or "target"
    return f"test_regression_{slug}.py"


def render_regression(report: ProofReport, targets: list[str] | None = None,
                      budget: int = DEFAULT_BUDGET) -> str:
    """The test file for a registered or importable target."""
    chosen = targets or [report.target]
    return _TARGET_TEMPLATE.format(
        target_doc=_doc(report.target), filename=regression_filename(report.target),
        schedule=report.schedule, error=_error(report), budget=budget, targets=",".join(chosen),
    )


def render_pytest_regression(report: ProofReport, nodeid: str, rootdir: str) -> str:
    """The test file for a race found by a pytest race test (replayed through pytest)."""
    return _PYTEST_TEMPLATE.format(
        nodeid_doc=_doc(nodeid), nodeid=nodeid, schedule=report.schedule, error=_error(report),
        rootdir=rootdir,
    )


def _error(report: ProofReport) -> str:
    if report.error is None:
        return "no failure (the schedule passed when the report was made)"
    first = report.error.message.splitlines()[0] if report.error.message else ""
    return f"{report.error.type}: {first}"[:300]


def _doc(text: str) -> str:
    """Text safe inside a triple-quoted docstring."""
    return re.sub(r"[^A-Za-z0-9_.:/\-\[\] ]", "_", text)
