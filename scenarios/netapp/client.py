"""A model of cinder's ``RestClient`` (NetApp ``client_cmode_rest.py``), old.

One client owns one connection (``self.connection``) shared by every
greenthread of the volume service: the start-up SSC update, the periodic
capability report, the EMS task and RPC handlers all call it.  The methods
keep cinder 29.0.0's structure (names, the order of shared-state reads and of
requests); ``send_ems_log_message`` is the downstream fork's version from the
incident, which points the shared connection at the cluster admin SVM for the
duration of the POST.  The fixed clients live in ``variants.py``.
"""

from __future__ import annotations

import copy
from typing import Any

import eventlet

from race_harness.scenarios.netapp.connection import Body, Query, RestNaServerModel
from race_harness.scenarios.netapp.errors import NaApiError, NetAppDriverException, VolumeBackendAPIException

HTTP_ACCEPTED = 202
DEFAULT_MAX_PAGE_LENGTH = 10000
EMS_PATH = "/support/ems/application-logs"


class RestClientModel:
    """The old client: EMS mutates the shared connection's vserver."""

    connection_class: type[RestNaServerModel] = RestNaServerModel

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        vserver: str,
        admin_vserver: str,
        port: str | int | None = None,
        transport_type: str = "https",
    ) -> None:
        self.connection = self.connection_class(
            hostname, username, password, transport_type=transport_type, port=port
        )
        self.vserver = vserver
        self.admin_vserver = admin_vserver
        self.connection.set_vserver(self.vserver)
        ontap_version = self.get_ontap_version(cached=False)
        if ontap_version is None or ontap_version < (9, 11, 1):
            raise NetAppDriverException("REST Client can be used only with ONTAP 9.11.1 or upper.")
        self.connection.set_ontap_version(ontap_version)

    # -- transport ---------------------------------------------------------
    def send_request(
        self,
        action_url: str,
        method: str,
        body: Body = None,
        query: Query | None = None,
        enable_tunneling: bool = True,
        max_page_length: int = DEFAULT_MAX_PAGE_LENGTH,
    ) -> dict[str, Any]:
        """GETs page through ``get_records``; anything else is one request."""
        if method == "get":
            return self.get_records(action_url, query, enable_tunneling, max_page_length)
        code, response = self.connection.invoke_successfully(
            action_url, method, body=body, query=query, enable_tunneling=enable_tunneling
        )
        if code == HTTP_ACCEPTED:
            response = self._wait_job_result(response)
        return response

    def get_records(
        self,
        action_url: str,
        query: Query | None = None,
        enable_tunneling: bool = True,
        max_page_length: int = DEFAULT_MAX_PAGE_LENGTH,
    ) -> dict[str, Any]:
        """First page, then follow ``_links.next`` (each page re-reads the SVM)."""
        query = query if query else {}
        query["max_records"] = max_page_length
        _, response = self.connection.invoke_successfully(
            action_url, "get", query=query, enable_tunneling=enable_tunneling
        )
        next_url = _next_link(response)
        while next_url:
            _, page = self.connection.invoke_successfully(
                next_url, "get", query=None, enable_tunneling=enable_tunneling
            )
            response["num_records"] = response.get("num_records", 0) + page.get("num_records", 0)
            response.setdefault("records", []).extend(page.get("records", []))
            next_url = _next_link(page)
        return response

    def _wait_job_result(self, response: dict[str, Any]) -> dict[str, Any]:
        """Poll the job a 202 answer names until it is no longer running."""
        job_url = response["job"]["_links"]["self"]["href"][4:]  # drop '/api'
        while True:
            job = self.send_request(job_url, "get", enable_tunneling=False)
            if job.get("state") not in ("queued", "running", "paused"):
                return job
            eventlet.sleep(1)

    # -- cluster and volumes -------------------------------------------------
    def get_ontap_version(self, cached: bool = True) -> tuple[int, int, int] | None:
        """The constructor's first request: GET /cluster/ with fields=version."""
        if cached:
            return self.connection.get_ontap_version()
        response = self.send_request("/cluster/", "get", query={"fields": "version"})
        version = response["version"]
        return (version["generation"], version["major"], version["minor"])

    def get_cluster_name(self) -> str:
        """A cluster-scoped read: no tunneling, so no SVM header is meant."""
        response = self.send_request("/cluster", "get", query={"fields": "name"}, enable_tunneling=False)
        return str(response["name"])

    def _get_unique_volume(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Exactly one record, or the error the incident's logs show."""
        if len(records) != 1:
            raise VolumeBackendAPIException(data=f"Could not find unique volume. Volumes found: {records}.")
        return records[0]

    def _get_volume_by_args(
        self,
        vol_name: str | None = None,
        vol_path: str | None = None,
        vserver: str | None = None,
        fields: str | None = None,
    ) -> dict[str, Any]:
        """A tunneled volume query: scoped to whatever SVM the header names."""
        query: Query = {
            "type": "rw",
            "style": "flex*",
            "is_svm_root": "false",
            "error_state.is_inconsistent": "false",
            "state": "online",
            "fields": "name,style",
        }
        if vol_name:
            query["name"] = vol_name
        if vol_path:
            query["nas.path"] = vol_path
        if vserver:
            query["svm.name"] = vserver
        if fields:
            query["fields"] = fields
        response = self.send_request("/storage/volumes/", "get", query=query)
        return self._get_unique_volume(response.get("records", []))

    def get_flexvol_capacity(
        self, flexvol_path: str | None = None, flexvol_name: str | None = None
    ) -> dict[str, float]:
        """Total and available bytes; a failed lookup becomes 'Volume X not found'."""
        fields = "name,space.available,space.afs_total"
        try:
            volume = self._get_volume_by_args(vol_name=flexvol_name, vol_path=flexvol_path, fields=fields)
            return {
                "size-total": float(volume["space"]["afs_total"]),
                "size-available": float(volume["space"]["available"]),
            }
        except VolumeBackendAPIException as exc:
            raise NetAppDriverException(f"Volume {flexvol_path or flexvol_name} not found.") from exc

    def get_file_sizes_by_dir(self, dir_path: str) -> list[dict[str, Any]]:
        """Files of a FlexVol (by name) and their sizes: lookup, then the files GET."""
        volume = self._get_volume_by_args(vol_name=dir_path, fields="name,uuid")
        query: Query = {"type": "file", "fields": "size,name"}
        response = self.send_request(f"/storage/volumes/{volume['uuid']}/files", "get", query=query)
        return [
            {"name": item.get("name", ""), "file-size": float(item.get("size", 0))}
            for item in response.get("records", [])
        ]

    # -- EMS -----------------------------------------------------------------
    def _get_ems_log_destination_vserver(self) -> str:
        """EMS application logs go to the cluster admin SVM."""
        return self.admin_vserver

    def send_ems_log_message(self, message_dict: dict[str, str]) -> None:
        """The fork's EMS: point the *shared* connection at the admin SVM, POST,
        restore in ``finally`` and swap in a shallow copy of the connection.

        Every tunneled request whose headers are built between the
        ``set_vserver`` and the restore goes to the admin SVM (race 2).
        """
        body = ems_body(message_dict)
        backup_vserver = self.connection.get_vserver()
        try:
            self.connection.set_vserver(self._get_ems_log_destination_vserver())
            self.send_request(EMS_PATH, "post", body=body)
        except NaApiError:
            pass  # production: LOG.warning('Failed to invoke EMS. %s', e)
        finally:
            self.connection.set_vserver(backup_vserver)
            self.connection = copy.copy(self.connection)


def _next_link(response: dict[str, Any]) -> str | None:
    href = response.get("_links", {}).get("next", {}).get("href")
    return href[4:] if href else None  # drop '/api'


def ems_body(message_dict: dict[str, str]) -> dict[str, Any]:
    """The REST body of an EMS application log, from the ZAPI-style message."""
    return {
        "computer_name": message_dict["computer-name"],
        "event_source": message_dict["event-source"],
        "app_version": message_dict["app-version"],
        "category": message_dict["category"],
        "severity": "notice",
        "autosupport_required": message_dict["auto-support"] == "true",
        "event_id": message_dict["event-id"],
        "event_description": message_dict["event-description"],
    }
