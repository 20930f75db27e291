"""Each failing scenario shows the production symptom the incident report quotes."""

from __future__ import annotations

from scenario_support import registered, skip_without_files_route

import harness
from race_harness.fakes.ontap import WrongSvmRequest
from race_harness.scenarios.netapp.backend import ADMIN_SVM, DATA_SVM


def _first_failure(name: str, model: str, strategy: str = "dfs", schedules: int = 50) -> harness.Failure:
    target = registered().get(name)
    assert target is not None
    skip_without_files_route(target)
    outcome = harness.explore(target, strategy=strategy, schedules=schedules, preemption=model)
    assert outcome.failure is not None, outcome.verdict()
    return outcome.failure


def _in_order(text: str, *parts: str) -> bool:
    positions = [text.find(part) for part in parts]
    return -1 not in positions and positions == sorted(positions)


def test_ems_race_shows_the_lookup_to_the_admin_svm_then_the_driver_errors() -> None:
    message = str(_first_failure("ems_vserver:old", "cooperative").error)
    assert _in_order(
        message,
        f"GET /api/storage/volumes with X-Dot-SVM-Name: {ADMIN_SVM} (meant {DATA_SVM})",
        "VolumeBackendAPIException: Bad or unexpected response from the storage volume backend API: "
        "Could not find unique volume. Volumes found: [].",
        "NetAppDriverException: Volume /nfs_volume_ds02 not found.",
    ), message


def test_session_fix_alone_still_shows_the_ems_symptom() -> None:
    message = str(_first_failure("ems_vserver:session_fix_only", "cooperative").error)
    assert "Volume /nfs_volume_ds02 not found." in message


def test_migration_cascade_shows_invalid_volume_after_a_pool_vanished() -> None:
    message = str(_first_failure("migration_cascade:old", "cooperative").error)
    assert "InvalidVolume: Invalid volume: volume is not assigned to a host" in message
    assert "pools reported to the scheduler, in order: ['nfs_volume_ds01']" in message
    assert "Volume /nfs_volume_ds02 not found." in message


def test_session_overwrite_shows_the_request_sent_with_the_other_threads_header() -> None:
    failure = _first_failure("session_overwrite:old", "preemptive", strategy="random", schedules=50)
    assert isinstance(failure.error, WrongSvmRequest)
    entry = failure.error.entry
    # The two callers: a lookup meant for the data SVM and a cluster-scoped read.
    # The losing request carries exactly what the *other* caller meant.
    assert {entry.intent, entry.svm_header} == {DATA_SVM, None}
    assert "wrong SVM: greenthread" in str(failure.error)
