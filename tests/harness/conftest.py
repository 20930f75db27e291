"""Engine tests: every exploration starts from nothing.

The failure database would replay yesterday's failures first and write new
ones into the working directory; engine tests assert what one exploration
does on its own, so it is off for all of them.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_failure_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACE_DATABASE", "off")
