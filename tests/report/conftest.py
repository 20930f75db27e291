"""Report tests: the proof bundle of ``racy_app`` (a tiny EMS-style race of our own)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # ``racy_app`` imports the same way whatever the import mode
    sys.path.insert(0, str(HERE))


@pytest.fixture(autouse=True)
def _app_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """``racy_app:buggy`` resolves by import in subprocesses too; no failure database."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("RACE_DATABASE", "off")


@pytest.fixture(scope="session")
def buggy_schedule() -> str:
    """The first failing schedule DFS finds for ``racy_app:buggy`` (needs one preemption)."""
    import racy_app

    import harness

    outcome = harness.explore(racy_app.buggy, strategy="dfs", schedules=200, database="off")
    assert outcome.failure is not None, outcome.verdict()
    return outcome.failure.schedule


@pytest.fixture
def no_registered_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip loading the scenario plug-ins (seconds of cinder imports) where only
    importable ``module:callable`` targets are used."""
    from harness import _targets as targets

    monkeypatch.setattr(targets, "load_registry", targets.Registry)
