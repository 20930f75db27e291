"""How ONTAP renders each model object as JSON, and which fields exist.

Each ``*_record`` function returns the *full* record (every field ONTAP
would return for ``fields=*``); :mod:`race_harness.fakes.ontap.query` then trims it to what
the request asked for.  The field catalogues are derived from sample records,
so a field added to a renderer is immediately queryable and selectable, and
an unknown one is refused exactly as ONTAP refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from race_harness.fakes.ontap.state import Aggregate, Cluster, FlexVol, Job, Node, Svm

Record = dict[str, Any]


def _links(href: str) -> Record:
    return {"self": {"href": href}}


def iso_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cluster_record(c: Cluster) -> Record:
    generation, major, minor = c.version
    return {
        "name": c.name,
        "uuid": c.uuid,
        "version": {
            "full": c.version_full,
            "generation": generation,
            "major": major,
            "minor": minor,
        },
        "_links": _links("/api/cluster"),
    }


def node_record(n: Node) -> Record:
    return {
        "uuid": n.uuid,
        "name": n.name,
        "model": n.model,
        "is_all_flash_optimized": n.is_all_flash_optimized,
        "is_all_flash_select_optimized": n.is_all_flash_select_optimized,
        "_links": _links(f"/api/cluster/nodes/{n.uuid}"),
    }


def aggregate_record(a: Aggregate) -> Record:
    node = {"name": a.node.name, "uuid": a.node.uuid}
    return {
        "uuid": a.uuid,
        "name": a.name,
        "state": "online",
        "home_node": dict(node),
        "node": dict(node),
        "block_storage": {"primary": {"raid_type": a.raid_type}, "storage_type": a.storage_type},
        "space": {"block_storage": {"size": a.size, "available": a.available, "used": a.used}},
        "_links": _links(f"/api/storage/aggregates/{a.uuid}"),
    }


def svm_record(s: Svm) -> Record:
    return {
        "uuid": s.uuid,
        "name": s.name,
        "state": s.state,
        "subtype": "default",
        "_links": _links(f"/api/svm/svms/{s.uuid}"),
    }


def volume_record(v: FlexVol) -> Record:
    record: Record = {
        "uuid": v.uuid,
        "name": v.name,
        "type": v.type,
        "style": v.style,
        "is_svm_root": v.is_svm_root,
        "state": v.state,
        "language": v.language,
        "svm": {"name": v.svm.name, "uuid": v.svm.uuid},
        "aggregates": [{"name": a.name, "uuid": a.uuid} for a in v.aggregates],
        "space": {
            "size": v.size,
            "available": v.available,
            "used": v.used,
            "afs_total": v.afs_total,
            "snapshot": {"reserve_percent": v.snapshot_reserve_percent},
        },
        "guarantee": {"type": v.guarantee_type, "honored": True},
        "snapshot_policy": {"name": v.snapshot_policy},
        "encryption": {"enabled": v.encrypted},
        "error_state": {"is_inconsistent": False},
    }
    if v.junction_path is not None:
        record["nas"] = {"path": v.junction_path}
    if v.qos_policy is not None:
        record["qos"] = {"policy": {"name": v.qos_policy}}
    record["_links"] = _links(f"/api/storage/volumes/{v.uuid}")
    return record


def job_record(j: Job) -> Record:
    record: Record = {
        "uuid": j.uuid,
        "description": j.description,
        "state": j.state,
        "message": j.message,
        "code": j.code,
        "start_time": iso_time(j.start_time),
    }
    if j.state in ("success", "failure"):
        record["end_time"] = iso_time(j.start_time)
    if j.svm is not None:
        record["svm"] = {"name": j.svm}
    record["_links"] = _links(f"/api/cluster/jobs/{j.uuid}")
    return record


@dataclass(frozen=True)
class FileEntry:
    """One entry of a FlexVol's root directory listing ("." and ".." included)."""

    volume: FlexVol
    name: str
    type: str
    size: int


def file_entries(volume: FlexVol) -> list[FileEntry]:
    entries = [FileEntry(volume, ".", "directory", 4096), FileEntry(volume, "..", "directory", 4096)]
    entries += [FileEntry(volume, n, "file", size) for n, size in sorted(volume.files.items())]
    return entries


def file_record(f: FileEntry) -> Record:
    path = f.name  # relative to the directory listed (the volume root)
    href = f"/api/storage/volumes/{f.volume.uuid}/files/{quote(path, safe='')}"
    return {
        "path": path,
        "name": f.name,
        "type": f.type,
        "size": f.size,
        "volume": {"name": f.volume.name, "uuid": f.volume.uuid},
        "_links": _links(href),
    }


def field_paths(record: Record, prefix: str = "") -> frozenset[str]:
    """Every selectable dotted path of a record, intermediate objects included."""
    paths: set[str] = set()
    for key, value in record.items():
        if key == "_links":
            continue
        path = f"{prefix}{key}"
        paths.add(path)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0]
        if isinstance(value, dict):
            paths |= field_paths(value, f"{path}.")
    return frozenset(paths)


@dataclass(frozen=True)
class Kind:
    """What a collection needs to answer queries: its fields and its key."""

    name: str
    fields: frozenset[str]
    defaults: tuple[str, ...]
    render: Callable[[Any], Record]
    key: str = "uuid"  # records sort by it; ``start.<key>`` is the paging cursor

    @property
    def cursor(self) -> str:
        return f"start.{self.key}"


def _sample_kinds() -> dict[str, Kind]:
    from race_harness.fakes.ontap.state import ClusterState

    state = ClusterState.build({"svm": ["vol"]})
    vol = state.volumes[-1]
    vol.qos_policy = "sample"
    job = state.add_job("sample", "svm", 0.0)
    samples: list[tuple[str, Any, tuple[str, ...], Callable[[Any], Record]]] = [
        ("cluster", state.cluster, (), cluster_record),
        ("node", state.nodes[0], ("uuid", "name"), node_record),
        ("aggregate", state.aggregates[0], ("uuid", "name"), aggregate_record),
        ("svm", state.svms["svm"], ("uuid", "name"), svm_record),
        ("volume", vol, ("uuid", "name"), volume_record),
        ("job", job, ("uuid",), job_record),
    ]
    kinds = {name: Kind(name, field_paths(render(obj)), dflt, render) for name, obj, dflt, render in samples}
    sample_file = FileEntry(vol, "f", "file", 1)
    kinds["file"] = Kind("file", field_paths(file_record(sample_file)), ("path", "name"), file_record, "name")
    return kinds


KINDS: dict[str, Kind] = _sample_kinds()
