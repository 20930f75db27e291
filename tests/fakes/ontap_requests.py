"""Requests sent straight to a fake's handler, with their footprints (for the footprint tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from race_harness.fakes.ontap import FakeOntap
from race_harness.fakes.ontap.fake import Exchange

SVMS = {"svm_a": ["vol_a1", "vol_a2"], "svm_b": ["vol_b1"]}
ADMIN = "cluster_admin_svm"
VOLUMES = "/api/storage/volumes"
JOBS = "/api/cluster/jobs"
EMS_PATH = "/api/support/ems/application-logs"
EMS_BODY = {
    "computer_name": "host", "event_source": "cinder", "app_version": "1", "event_id": "0",
    "category": "provisioning", "event_description": "x", "severity": "notice",
    "autosupport_required": False,
}
AUTH = "Basic YWRtaW46bmV0YXBwMTIz"  # admin:netapp123


def cluster() -> FakeOntap:
    """Two data SVMs, a running job (polls count it down) and a finished one, a file."""
    fake = FakeOntap.with_svms(SVMS, oracle="collect")
    fake.state.job_running_polls = 2
    fake.state.add_job("running", "svm_a", 0.0)
    fake.state.job_running_polls = 1  # the jobs creates start: one poll to go
    fake.state.add_job("other", "svm_b", 0.0)
    fake.state.add_file("svm_a", "vol_a1", "f", 4096)
    return fake


@dataclass(frozen=True)
class Req:
    """One request: a JSON body as a dict, raw bytes as bytes; ``auth=False`` sends none."""

    method: str
    path: str
    svm: str | None = None
    body: Any = None
    auth: bool = True

    def send(self, fake: FakeOntap) -> Exchange:
        headers = {"Authorization": AUTH} if self.auth else {}
        if self.svm is not None:
            headers["X-Dot-SVM-Name"] = self.svm
        data = self.body
        if data is not None:
            headers["Content-Type"] = "application/json"
            data = data if isinstance(data, bytes) else json.dumps(data).encode()
        exchange = fake.exchange(self.method, fake.base_url + self.path, headers, data)
        assert fake.internal_errors == [], (self, fake.internal_errors)
        return exchange

    def __str__(self) -> str:
        scope = f" [{self.svm}]" if self.svm else ""
        body = f" {self.body!r}" if self.body is not None else ""
        return f"{self.method} {self.path}{scope}{body}{'' if self.auth else ' (no auth)'}"


def next_uuid(kind: str, skip: int = 0) -> str:
    """The uuid the ``skip + 1``-th object of ``kind`` created in :func:`cluster` gets."""
    state = cluster().state
    for _ in range(skip):
        state.new_uuid(kind)
    return state.new_uuid(kind)


def uuid_of(name: str, svm: str) -> str:
    vol = cluster().state.volume(name, svm)
    assert vol is not None
    return vol.uuid


def job_uuids() -> list[str]:
    return list(cluster().state.jobs)


def snapshot(fake: FakeOntap) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The whole cluster state as text (the uuid counters included); the journal is not
    state: its entries are appended in either order by contract."""
    counters = tuple(sorted((kind, repr(count)) for kind, count in fake.state._counters.items()))
    return repr(fake.state), counters
