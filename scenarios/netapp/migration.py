"""The downstream fork's cross-vCenter migration path, where the incident surfaced.

A VMware volume lives on an NFS datastore that is a NetApp FlexVol.  To
migrate it across vCenters the fork asks the NetApp volume service for the
file sizes under that FlexVol; to address that service it first needs the
NetApp cinder host, which ``get_netapp_cinder_host`` finds by looking the
datastore's export up in the scheduler's cached ``get_pools()`` answer.  When
the pool is missing it returns ``None`` and ``get_file_sizes_by_dir(host=None)``
fails inside ``extract_host(None)`` before any RPC: the 0 ms
``InvalidVolume: volume is not assigned to a host`` of the incident.

``RetryingMigrationModel`` is the defense-in-depth option: one retry with a
refreshed pool list when the first lookup finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import eventlet

from harness import io_point
from race_harness.scenarios.netapp.errors import extract_host
from race_harness.scenarios.netapp.service import SchedulerCacheModel, VolumeManagerModel


@dataclass
class VmwareVolume:
    """A VMware volume and the NFS export of the datastore it lives on."""

    name: str
    datastore_export: str

    @property
    def flexvol_name(self) -> str:
        return self.datastore_export.rsplit(":/", 1)[1]


class VolumeRpcModel:
    """volume rpcapi: the target service is derived from ``host`` before sending."""

    def __init__(self, services: dict[str, VolumeManagerModel]) -> None:
        self.services = services

    def get_file_sizes_by_dir(self, host: str | None, dir_path: str) -> list[dict[str, Any]]:
        backend = extract_host(host)  # InvalidVolume for None, before any RPC
        io_point("rpc call get_file_sizes_by_dir")
        return self.services[backend].get_file_sizes_by_dir(dir_path)

    def publish_service_capabilities(self, backend: str) -> None:
        """Ask one volume service for a fresh capability report (an RPC cast)."""
        io_point("rpc cast publish_service_capabilities")
        self.services[backend].publish_service_capabilities()


class CrossVcenterMigrationModel:
    """The fork's VMware-side create and migrate, timed on the virtual clock."""

    create_seconds = 2.0
    relocate_seconds = 5.0

    def __init__(
        self,
        scheduler: SchedulerCacheModel,
        rpc: VolumeRpcModel,
        netapp_backend: str,
    ) -> None:
        self.scheduler = scheduler
        self.rpc = rpc
        self.netapp_backend = netapp_backend

    def create_volume(self, name: str, datastore_export: str) -> VmwareVolume:
        """A vCenter clone/create: seconds of vCenter I/O, no NetApp request."""
        eventlet.sleep(self.create_seconds)
        return VmwareVolume(name, datastore_export)

    def migrate_volume(self, volume: VmwareVolume) -> str:
        host = self.get_netapp_cinder_host(volume)
        self.rpc.get_file_sizes_by_dir(host, volume.flexvol_name)
        eventlet.sleep(self.relocate_seconds)  # the cross-vCenter relocate
        return "success"

    def get_netapp_cinder_host(self, volume: VmwareVolume) -> str | None:
        """``backend#pool`` of the volume's datastore from the cached pools, or None."""
        return _host_of(self._get_all_pools(), volume.datastore_export)

    def _get_all_pools(self, refresh: bool = False) -> list[dict[str, Any]]:
        if refresh:
            self.rpc.publish_service_capabilities(self.netapp_backend)
        return self.scheduler.get_pools()


class RetryingMigrationModel(CrossVcenterMigrationModel):
    """Defense in depth: retry once with ``_get_all_pools(refresh=True)``."""

    def get_netapp_cinder_host(self, volume: VmwareVolume) -> str | None:
        host = super().get_netapp_cinder_host(volume)
        if host is None:
            host = _host_of(self._get_all_pools(refresh=True), volume.datastore_export)
        return host


def _host_of(pools: list[dict[str, Any]], export: str) -> str | None:
    for pool in pools:
        if pool["capabilities"]["pool_name"] == export:
            return str(pool["name"])
    return None
