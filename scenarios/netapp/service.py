"""The cinder services around the NetApp driver: volume manager and scheduler cache.

The volume manager's ``init_host`` sets the driver up (which starts its
looping tasks, the EMS first among them at ``initial_delay=0``) and then
publishes the start-up capability report; a periodic task re-publishes every
``report_interval`` seconds.  The scheduler keeps the last report of each
backend: ``get_pools()`` answers from that cache, so a pool missing from one
report is missing from ``get_pools()`` until the next report brings it back.
"""

from __future__ import annotations

from typing import Any

from race_harness.scenarios.netapp.driver import NfsDriverModel
from race_harness.scenarios.netapp.looping import FixedIntervalLoopingCall

REPORT_INTERVAL = 60.0


class SchedulerCacheModel:
    """The scheduler host manager's view: the latest capabilities per backend."""

    def __init__(self) -> None:
        self._capabilities: dict[str, dict[str, Any]] = {}
        self.history: list[tuple[str, list[str]]] = []

    def update_service_capabilities(self, backend: str, capabilities: dict[str, Any]) -> None:
        self._capabilities[backend] = capabilities
        self.history.append((backend, [p["pool_name"] for p in capabilities.get("pools", [])]))

    def get_pools(self) -> list[dict[str, Any]]:
        """Every cached pool as ``{'name': 'backend#pool', 'capabilities': {...}}``."""
        pools = []
        for backend, capabilities in self._capabilities.items():
            for pool in capabilities.get("pools", []):
                pools.append({"name": f"{backend}#{pool['pool_name']}", "capabilities": pool})
        return pools


class VolumeManagerModel:
    """cinder-volume for one NetApp backend."""

    def __init__(
        self,
        host: str,
        driver: NfsDriverModel,
        scheduler: SchedulerCacheModel,
        report_interval: float = REPORT_INTERVAL,
    ) -> None:
        self.host = host
        self.driver = driver
        self.scheduler = scheduler
        self.report_interval = report_interval
        self.reporter = FixedIntervalLoopingCall(self.publish_service_capabilities, "report")
        self.log: list[str] = []
        self.errors: list[BaseException] = []

    def init_host(self, periodic_reports: bool = True) -> None:
        """Driver set-up (starts its tasks), then the start-up report."""
        self.driver.check_for_setup_error()
        self.publish_service_capabilities()
        if periodic_reports:
            self.reporter.start(self.report_interval, self.report_interval)

    def publish_service_capabilities(self) -> None:
        self._report_driver_status()

    def _report_driver_status(self) -> None:
        """A report that raises publishes nothing: the scheduler keeps the last one."""
        try:
            stats = self.driver.get_volume_stats(refresh=True)
        except Exception as exc:  # noqa: BLE001 - the periodic task runner logs and goes on
            self.log.append("Error during VolumeManager._report_driver_status")
            self.errors.append(exc)
            return
        self.scheduler.update_service_capabilities(self.host, dict(stats))

    def stop(self) -> None:
        self.reporter.stop()
        self.driver.loopingcalls.stop_tasks()

    # -- RPC endpoint --------------------------------------------------------
    def get_file_sizes_by_dir(self, dir_path: str) -> list[dict[str, Any]]:
        return self.driver.get_file_sizes_by_dir(dir_path)
