"""Reliability tests: every exploration starts from nothing and leaves nothing.

The failure database would replay earlier failures first and write into the
working directory; these tests judge one exploration on its own, so it is
off.  CI's ``CI=true`` would turn the determinism guard on by default; the
tests that want it say so, the others must not depend on where they run.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACE_DATABASE", "off")
    for name in ("CI", "RACE_VERIFY_DETERMINISM", "RACE_UNCONTROLLED", "RACE_SCHEDULES", "RACE_SEED",
                 "RACE_STRATEGY", "RACE_PREEMPTION", "RACE_MAX_STEPS"):
        monkeypatch.delenv(name, raising=False)
