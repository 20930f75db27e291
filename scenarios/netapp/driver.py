"""A model of the NetApp NFS driver (``nfs_base.py`` + ``nfs_cmode.py``).

What it keeps from cinder 29.0.0, because the races live there:

* ``check_for_setup_error`` runs ``_update_ssc`` inline once (upstream's own
  guard against racing the first stats update), registers the looping tasks
  (hourly SSC refresh, first run an hour later; hourly EMS, first run after
  ``ems_initial_delay`` = 0 upstream) and starts them;
* ``_update_ssc`` looks every FlexVol up through the shared client (tunneled
  to the data SVM);
* ``_update_volume_stats`` builds one pool per SSC FlexVol, asking
  ``get_flexvol_capacity`` for each (tunneled).  As observed in production, a
  pool whose capacity lookup fails is left out of the report, so it vanishes
  from the scheduler's ``get_pools()`` cache until a later report succeeds;
* ``_handle_ems_logging`` sends two EMS messages through the client.

Swallowed errors (cinder logs them) are kept in ``self.log`` so a scenario can
show the production log lines behind a failure.  ``intent`` is how the
scenario declares, around each operation, which SVM the code means to talk
to; the driver itself knows nothing about the fake.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from race_harness.scenarios.netapp.client import RestClientModel
from race_harness.scenarios.netapp.errors import NetAppDriverException
from race_harness.scenarios.netapp.looping import ONE_HOUR, LoopingCalls

Intent = Callable[[str | None], contextlib.AbstractContextManager[object]]
GIB = 1024.0**3


def _no_intent(_svm: str | None) -> contextlib.AbstractContextManager[object]:
    return contextlib.nullcontext()


class NfsDriverModel:
    """One NetApp NFS backend: its client, SSC, pool stats and looping tasks."""

    driver_name = "NetApp_NFS_Cluster_direct"
    app_version = "29.0.0"

    def __init__(
        self,
        client: RestClientModel,
        shares: list[str],
        ems_initial_delay: float = 0.0,
        intent: Intent = _no_intent,
    ) -> None:
        self.zapi_client = client
        self.vserver = client.vserver
        self.shares = list(shares)
        self.ems_initial_delay = ems_initial_delay
        self.intent = intent
        self.loopingcalls = LoopingCalls()
        self.ssc: dict[str, dict[str, Any]] = {}
        self.log: list[str] = []
        self.errors: list[BaseException] = []
        self._stats: dict[str, Any] = {}

    # -- start-up and looping tasks -------------------------------------------
    def check_for_setup_error(self) -> None:
        self._add_looping_tasks()
        self.loopingcalls.start_tasks()

    def _add_looping_tasks(self) -> None:
        """Inline SSC first (upstream's guard), then the hourly tasks."""
        self._update_ssc()
        self.loopingcalls.add_task(self._update_ssc, ONE_HOUR, ONE_HOUR)
        self.loopingcalls.add_task(self._handle_ems_logging, ONE_HOUR, self.ems_initial_delay)

    # -- storage service catalog ------------------------------------------------
    def _update_ssc(self) -> None:
        """Refresh the catalog: one tunneled FlexVol lookup per mounted share."""
        self.ssc = self._get_flexvol_to_pool_map()

    def _get_flexvol_to_pool_map(self) -> dict[str, dict[str, Any]]:
        pools: dict[str, dict[str, Any]] = {}
        for share in self.shares:
            junction_path = share.rsplit(":", 1)[1]
            try:
                with self.intent(self.vserver):
                    self.zapi_client.get_flexvol_capacity(flexvol_path=junction_path)
            except NetAppDriverException as exc:
                self._logged(exc, f"Flexvol not found for NFS share {share}.")
                continue
            pools[junction_path.lstrip("/")] = {"pool_name": share}
        return pools

    # -- capability report --------------------------------------------------------
    def get_volume_stats(self, refresh: bool = False) -> dict[str, Any]:
        if refresh:
            self._update_volume_stats()
        return self._stats

    def _update_volume_stats(self) -> None:
        self._stats = {
            "volume_backend_name": self.driver_name,
            "vendor_name": "NetApp",
            "storage_protocol": "nfs",
            "pools": self._get_pool_stats(),
        }

    def _get_pool_stats(self) -> list[dict[str, Any]]:
        """One pool per SSC FlexVol; a pool whose capacity lookup fails is dropped."""
        pools = []
        for flexvol_name, ssc_vol_info in self.ssc.items():
            pool = dict(ssc_vol_info)
            try:
                pool.update(self._get_share_capacity_info(ssc_vol_info["pool_name"]))
            except NetAppDriverException as exc:
                self._logged(exc, f"Failed to get capacity of pool {flexvol_name}.")
                continue
            pools.append(pool)
        return pools

    def _get_share_capacity_info(self, nfs_share: str) -> dict[str, float]:
        total, available = self._get_capacity_info(nfs_share)
        return {"total_capacity_gb": total / GIB, "free_capacity_gb": available / GIB}

    def _get_capacity_info(self, nfs_share: str) -> tuple[float, float]:
        export_path = nfs_share.rsplit(":", 1)[1]
        with self.intent(self.vserver):
            capacity = self.zapi_client.get_flexvol_capacity(flexvol_path=export_path)
        return capacity["size-total"], capacity["size-available"]

    # -- EMS ----------------------------------------------------------------------
    def _handle_ems_logging(self) -> None:
        """Two EMS messages per run: the driver banner and the pool list."""
        with self.intent(self.zapi_client.admin_vserver):
            self.zapi_client.send_ems_log_message(self._ems_message(0, "OpenStack Cinder"))
            self.zapi_client.send_ems_log_message(self._ems_message(1, ",".join(self.ssc)))

    def _ems_message(self, event_id: int, description: str) -> dict[str, str]:
        return {
            "computer-name": "cinder-volume",
            "event-source": f"Cinder driver {self.driver_name}",
            "app-version": self.app_version,
            "category": "provisioning" if event_id else "openstack",
            "auto-support": "false",
            "event-id": str(event_id),
            "event-description": description,
        }

    # -- RPC handlers the migration path uses --------------------------------------
    def get_file_sizes_by_dir(self, dir_path: str) -> list[dict[str, Any]]:
        with self.intent(self.vserver):
            return self.zapi_client.get_file_sizes_by_dir(dir_path)

    def _logged(self, exc: BaseException, line: str) -> None:
        """Where cinder calls LOG.exception: keep the line and the exception."""
        self.log.append(line)
        self.errors.append(exc)
