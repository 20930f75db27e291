"""The real cinder NetApp REST client under the harness: the measured verdicts hold.

Needs cinder 29.0.0 (``pip install -e '.[cinder]'``); skipped cleanly without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "cinder.volume.drivers.netapp.dataontap.client.client_cmode_rest",
    reason="needs the real cinder client: pip install -e '.[cinder]'",
)

import eventlet.patcher

import harness
from harness._frontends.matrix import planned_strategy
from race_harness.scenarios import cinder_support, cinder_upstream
from race_harness.scenarios.cinder_support import ADMIN_SVM, DATA_SVM, VARIANTS

pytestmark = pytest.mark.cinder

TARGETS = {t.name: t for t in cinder_upstream.targets()}
CELLS = [(name, exp) for name, t in TARGETS.items() for exp in t.expectations]
SESSION_UPSTREAM = TARGETS["cinder_session_overwrite:upstream"]


def _explore(target: harness.Target, exp: harness.Expectation) -> harness.Exploration:
    """The matrix's plan for the cell (a bounded cell is bounded DFS without reduction)."""
    return harness.explore(target, strategy=planned_strategy(exp), schedules=exp.schedules,
                           preemption=exp.model, seed=exp.seed)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_failure_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each verdict is measured from nothing, not replayed from .race-harness/."""
    monkeypatch.setenv("RACE_DATABASE", "off")


@pytest.fixture(scope="module")
def session_failure() -> harness.Failure:
    result = harness.explore(
        SESSION_UPSTREAM, strategy="dfs", preemption="preemptive", schedules=2000, database="off"
    )
    assert result.failure is not None, result.verdict()
    return result.failure


def test_installed_cinder_is_the_pinned_version() -> None:
    assert cinder_support.installed_version() == cinder_support.CINDER_VERSION


def test_every_target_declares_both_models() -> None:
    """Except the automatic-point twins: cooperatively their instrumentation is not even
    entered, so their cooperative cell would repeat the hand-named target's."""
    for target in TARGETS.values():
        models = {e.model for e in target.expectations}
        if target.preempt_modules:
            assert models == {"preemptive"} and target.instrument is None, target.name
        else:
            assert models == {"cooperative", "preemptive"}, target.name


@pytest.mark.parametrize(("name", "exp"), CELLS, ids=[f"{n}-{e.model}" for n, e in CELLS])
def test_measured_verdict(name: str, exp: harness.Expectation) -> None:
    result = _explore(TARGETS[name], exp)
    assert result.decisions > 0, f"{name}: nothing interleaved, so nothing was decided"
    if exp.verdict == "fail":
        assert result.failure is not None, f"{name} {exp.model}: expected a failure, {result.verdict()}"
    else:
        assert result.failure is None, result.failure.describe() if result.failure else ""
        if exp.strategy == "bounded":  # a proof within its bound, and said so
            assert "every schedule within the bound run" in result.verdict(), result.verdict()
        else:
            assert result.exhausted, f"{name} {exp.model}: pass is not a proof: {result.verdict()}"


def test_session_race_is_a_header_swap_on_cinders_own_session(session_failure: harness.Failure) -> None:
    error = session_failure.error
    assert type(error).__name__ == "WrongSvmRequest"
    assert error.entry.thread == "gt1" and error.entry.intent == DATA_SVM  # type: ignore[attr-defined]
    assert error.entry.svm_header is None  # type: ignore[attr-defined]
    assert session_failure.preemptions == 1


def test_failing_upstream_schedule_replays_to_the_same_failure(session_failure: harness.Failure) -> None:
    first = harness.replay(SESSION_UPSTREAM, session_failure.schedule)
    second = harness.replay(SESSION_UPSTREAM, session_failure.schedule)
    assert first.failure is not None
    assert str(first.failure.error) == str(session_failure.error)
    assert first.trace.lines() == second.trace.lines() == session_failure.trace.lines()


def test_failure_trace_shows_cinders_attributes_and_functions(session_failure: harness.Failure) -> None:
    runs = [e.detail for e in session_failure.trace.of_kind("run")]
    assert any("RestNaServer._session set" in d for d in runs)
    assert any("RestNaServer._session get" in d for d in runs)
    assert any("[option 1 of 2]" in d for d in runs)  # the one preemption
    assert any("RestClient.connection get" in d for d in runs)
    stack = session_failure.traceback
    assert "dataontap/client/api.py" in stack and "in send_http_request" in stack
    assert "client_cmode_rest.py" in stack and "in get_flexvol_capacity" in stack


def test_cooperative_session_proof_covers_the_whole_space() -> None:
    result = harness.explore(SESSION_UPSTREAM, strategy="dfs", preemption="cooperative", schedules=5000)
    assert result.passed and result.exhausted and result.max_decisions > 0


def test_upstream_ems_preemptive_failure_is_race_one_not_race_two() -> None:
    target = TARGETS["cinder_ems_vserver:upstream"]
    result = harness.explore(target, strategy="dfs", preemption="preemptive", schedules=5000)
    assert result.failure is not None
    runs = " ".join(e.detail for e in result.failure.trace.of_kind("run"))
    assert "RestNaServer._session" in runs and "RestNaServer._vserver set" not in runs
    assert f"X-Dot-SVM-Name: {ADMIN_SVM}" not in str(result.failure.error)


def test_fork_ems_reproduces_the_production_error_in_the_default_order() -> None:
    target = TARGETS["cinder_ems_vserver:fork_ems"]
    result = harness.explore(target, strategy="dfs", preemption="cooperative", schedules=10)
    assert result.failure is not None and result.first_failure_after == 1
    message = str(result.failure.error)
    assert "NetAppDriverException: Volume /nfs_volume_ds02 not found." in message
    assert f"X-Dot-SVM-Name: {ADMIN_SVM} (meant {DATA_SVM})" in message


def test_upstream_rest_ems_does_not_touch_the_shared_connection() -> None:
    seen = cinder_support.observe_ems(VARIANTS["upstream"])
    assert seen.set_vserver_calls == [] and not seen.connection_replaced
    assert seen.ems_scopes == [DATA_SVM] and seen.vserver_after == DATA_SVM


def test_zapi_ems_mutates_only_a_copy() -> None:
    seen = cinder_support.observe_zapi_ems()
    assert seen.set_vserver_calls == [] and not seen.connection_replaced
    assert seen.ems_scopes == [ADMIN_SVM] and seen.vserver_after == DATA_SVM


def test_fork_ems_mutates_and_replaces_the_connection() -> None:
    seen = cinder_support.observe_ems(VARIANTS["fork_ems"])
    assert seen.set_vserver_calls == [ADMIN_SVM, DATA_SVM] and seen.connection_replaced


def test_runs_leave_cinder_as_installed() -> None:
    api = cinder_support.load().api
    rest = cinder_support.load().rest
    original = api.RestNaServer
    harness.explore(TARGETS["cinder_session_overwrite:patched"], strategy="dfs",
                    preemption="preemptive", schedules=3)  # fmt: skip
    assert api.RestNaServer is original
    assert "_session" not in vars(api.RestNaServer) and "_vserver" not in vars(api.RestNaServer)
    assert "connection" not in vars(rest.RestClient)


def test_importing_cinder_does_not_monkey_patch_eventlet() -> None:
    for module in ("os", "select", "socket", "thread", "time"):
        assert not eventlet.patcher.is_monkey_patched(module), module


@pytest.mark.slow
def test_upstream_proof_bundle_regression_test_fails_on_upstream_and_passes_on_patched(
    session_failure: harness.Failure, tmp_path: Path
) -> None:
    """The bug-report artifact for the real client: its regression test tells the
    installed upstream code (race present) from the local-session fix (race gone)."""
    from harness._report import make_report, write_bundle

    out = tmp_path / "bundle"
    report = make_report("cinder_session_overwrite:upstream", session_failure.schedule, shrink=False)
    written = write_bundle(report, out, regression_targets=[
        "cinder_session_overwrite:upstream", "cinder_session_overwrite:patched"])
    assert "RestNaServer._session" in written["html"].read_text()
    assert "netapp123" not in "".join(p.read_text() for p in out.iterdir() if p.is_file())
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(written["regression"])],
        capture_output=True, text=True, cwd=out, timeout=600,
        env={**os.environ, "RACE_DATABASE": "off"},
    )
    assert "1 failed, 1 passed" in result.stdout, result.stdout[-2000:]
    assert "FAILED" in result.stdout and "cinder_session_overwrite:upstream" in result.stdout
    assert "PASSED" in result.stdout and "cinder_session_overwrite:patched" in result.stdout


def test_with_only_the_package_named_the_race_pair_is_cinders_session_lines() -> None:
    """No attribute named: the automatic points of cinder.volume.drivers.netapp find the
    session race, and the failure says which data raced, on cinder's own source lines."""
    from harness.strategies import BoundedDfsStrategy

    outcome = harness.explore(TARGETS["cinder_session_overwrite:upstream_auto"],
                              strategy=BoundedDfsStrategy(1, reduction=False), preemption="preemptive")
    failure = outcome.failure
    assert failure is not None, outcome.verdict()
    race = failure.race
    assert race is not None and "RestNaServer#" in race and "._session" in race and "api.py:" in race, race
