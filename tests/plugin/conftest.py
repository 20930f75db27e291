"""Plugin tests: pytester runs of small race test files, in process where possible."""

from __future__ import annotations

import os

import pytest
from plugin_helpers import RACY


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs see no RACE_* knobs from the outer environment and no randomly."""
    for name in list(os.environ):
        if name.startswith("RACE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RACE_DATABASE", "off")


@pytest.fixture
def racy(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_racy=RACY)
    return pytester
