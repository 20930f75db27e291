"""The cluster the fake pretends to be: plain data, no HTTP.

Keeping the model apart from the routes lets a test build a cluster in one
line (:meth:`ClusterState.build`), let the client run against it, and then
check the end state (volumes created, EMS records posted, jobs run) without
parsing any JSON.  Every identifier is deterministic (a per-kind counter
formatted as a UUID), so two runs of the same schedule see the same UUIDs and
collections sort in creation order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GiB = 1024**3

DEFAULT_ADMIN_SVM = "cluster_admin_svm"
DEFAULT_VERSION = (9, 14, 1)

_UUID_PREFIX = {
    "cluster": "c1a55e70",
    "node": "40de0000",
    "aggregate": "a9940000",
    "svm": "5f300000",
    "volume": "f1e70000",
    "job": "10b00000",
}


@dataclass
class Cluster:
    name: str
    uuid: str
    version: tuple[int, int, int]

    @property
    def version_full(self) -> str:
        g, ma, mi = self.version
        return f"NetApp Release {g}.{ma}.{mi}: Mon Jan 01 00:00:00 UTC 2024"


@dataclass
class Node:
    name: str
    uuid: str
    model: str = "FAS8300"
    is_all_flash_optimized: bool = False
    is_all_flash_select_optimized: bool = False


@dataclass
class Aggregate:
    name: str
    uuid: str
    node: Node
    size: int = 10_000 * GiB
    used: int = 1_000 * GiB
    raid_type: str = "raid_dp"
    storage_type: str = "hdd"

    @property
    def available(self) -> int:
        return self.size - self.used


@dataclass
class Svm:
    """A storage VM.  The cluster admin SVM exists but owns no FlexVols."""

    name: str
    uuid: str
    is_admin: bool = False
    state: str = "running"


@dataclass
class FlexVol:
    name: str
    uuid: str
    svm: Svm
    aggregates: list[Aggregate]
    junction_path: str | None
    size: int = 100 * GiB
    used: int = 10 * GiB
    style: str = "flexvol"
    type: str = "rw"
    is_svm_root: bool = False
    state: str = "online"
    language: str = "c.utf_8"
    snapshot_policy: str = "default"
    snapshot_reserve_percent: int = 5
    guarantee_type: str = "none"
    qos_policy: str | None = None
    encrypted: bool = False
    files: dict[str, int] = field(default_factory=dict)  # root directory: name -> size

    @property
    def available(self) -> int:
        return self.afs_total - self.used

    @property
    def afs_total(self) -> int:
        """Size usable by the file system: the size minus the snapshot reserve."""
        return self.size - self.size * self.snapshot_reserve_percent // 100


@dataclass(frozen=True)
class EmsLog:
    """One POST /api/support/ems/application-logs, as the cluster recorded it."""

    seq: int
    time: float
    svm: str | None
    user: str | None
    fields: Mapping[str, Any]


@dataclass
class Job:
    uuid: str
    description: str
    svm: str | None
    start_time: float
    state: str = "success"
    message: str = "success"
    code: int = 0
    running_polls: int = 0


@dataclass
class ClusterState:
    """Everything the fake cluster holds; routes read and change it."""

    cluster: Cluster
    admin_svm: str
    svms: dict[str, Svm] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    volumes: list[FlexVol] = field(default_factory=list)
    ems_logs: list[EmsLog] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    job_running_polls: int = 0
    _counters: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)

    def new_uuid(self, kind: str) -> str:
        counter = self._counters.setdefault(kind, itertools.count(1))
        return f"{_UUID_PREFIX[kind]}-0000-4000-8000-{next(counter):012x}"

    # -- lookups ------------------------------------------------------------

    def svm(self, name: str) -> Svm | None:
        return self.svms.get(name)

    def data_svms(self) -> list[Svm]:
        return [s for s in self.svms.values() if not s.is_admin]

    def volumes_of(self, svm: str | None) -> list[FlexVol]:
        """Volumes visible from a scope: all of them (None) or one SVM's."""
        if svm is None:
            return list(self.volumes)
        return [v for v in self.volumes if v.svm.name == svm]

    def volume(self, name: str, svm: str) -> FlexVol | None:
        return next((v for v in self.volumes if v.name == name and v.svm.name == svm), None)

    def aggregate(self, name: str) -> Aggregate | None:
        return next((a for a in self.aggregates if a.name == name), None)

    # -- changes ------------------------------------------------------------

    def add_svm(self, name: str, *, is_admin: bool = False) -> Svm:
        if name in self.svms:
            raise ValueError(f"SVM {name!r} already exists")
        svm = Svm(name, self.new_uuid("svm"), is_admin=is_admin)
        self.svms[name] = svm
        return svm

    def add_volume(self, svm_name: str, name: str, **attrs: Any) -> FlexVol:
        """Create a FlexVol; the junction path defaults to ``/<name>``."""
        svm = self.svms.get(svm_name)
        if svm is None:
            raise ValueError(f"no SVM {svm_name!r}")
        if svm.is_admin:
            raise ValueError(f"the cluster admin SVM {svm_name!r} cannot own FlexVols")
        if self.volume(name, svm_name) is not None:
            raise ValueError(f"volume {name!r} already exists in {svm_name!r}")
        attrs.setdefault("junction_path", f"/{name}")
        attrs.setdefault("aggregates", [self.aggregates[0]])
        vol = FlexVol(name=name, uuid=self.new_uuid("volume"), svm=svm, **attrs)
        self.volumes.append(vol)
        return vol

    def add_file(self, svm_name: str, volume_name: str, name: str, size: int) -> None:
        """Put a file in a FlexVol's root directory (what NFS clients would write)."""
        vol = self.volume(volume_name, svm_name)
        if vol is None:
            raise ValueError(f"no volume {volume_name!r} in SVM {svm_name!r}")
        vol.files[name] = size

    def add_job(self, description: str, svm: str | None, now: float) -> Job:
        job = Job(self.new_uuid("job"), description, svm, now, running_polls=self.job_running_polls)
        self.jobs[job.uuid] = job
        return job

    def add_ems_log(self, fields: Mapping[str, Any], svm: str | None, user: str | None, now: float) -> EmsLog:
        log = EmsLog(len(self.ems_logs), now, svm, user, dict(fields))
        self.ems_logs.append(log)
        return log

    # -- construction -------------------------------------------------------

    @classmethod
    def build(
        cls,
        svms: Mapping[str, Iterable[str]],
        *,
        admin_svm: str = DEFAULT_ADMIN_SVM,
        cluster_name: str = "ontap-fake",
        version: tuple[int, int, int] = DEFAULT_VERSION,
        svm_root_volumes: bool = True,
    ) -> ClusterState:
        """A one-node cluster with one aggregate, the admin SVM and ``svms``.

        Each data SVM gets a root volume ``<svm>_root`` (``is_svm_root``,
        junction ``/``) as on a real cluster, unless ``svm_root_volumes`` is
        False; the named FlexVols are junctioned at ``/<name>``.
        """
        state = cls(Cluster(cluster_name, "", version), admin_svm)
        state.cluster.uuid = state.new_uuid("cluster")
        node = Node(f"{cluster_name}-01", state.new_uuid("node"))
        state.nodes.append(node)
        state.aggregates.append(Aggregate("aggr1", state.new_uuid("aggregate"), node))
        state.add_svm(admin_svm, is_admin=True)
        for svm_name, volume_names in svms.items():
            state.add_svm(svm_name)
            if svm_root_volumes:
                state.add_volume(
                    svm_name,
                    f"{svm_name}_root",
                    junction_path="/",
                    is_svm_root=True,
                    size=GiB,
                    used=GiB // 20,
                )
            for volume_name in volume_names:
                state.add_volume(svm_name, volume_name)
        return state
