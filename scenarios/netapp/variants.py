"""The client versions judged by the verdict matrix, each a diff against ``old``.

Every fix is a subclass that overrides only the method(s) the fix changes, so
reading a class here is reading the fix.  ``VARIANTS`` maps a variant name to
the client class and the EMS task's initial delay (fix A changes the driver's
scheduling, not the client).
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass
from typing import Any

import eventlet.semaphore

from race_harness.scenarios.netapp.client import EMS_PATH, RestClientModel, ems_body
from race_harness.scenarios.netapp.connection import (
    Body,
    LocalSessionRestNaServer,
    Query,
    RestNaServerModel,
    VserverParamRestNaServer,
)
from race_harness.scenarios.netapp.errors import NaApiError


class SessionFixClient(RestClientModel):
    """Race-1 fix only: the connection keeps no session between requests."""

    connection_class: type[RestNaServerModel] = LocalSessionRestNaServer


class DeepcopyEmsClient(RestClientModel):
    """Fix B: EMS goes through a private deep copy; the shared one is never touched."""

    def send_ems_log_message(self, message_dict: dict[str, str]) -> None:
        body = ems_body(message_dict)
        ems_client = copy.copy(self)
        ems_client.connection = copy.deepcopy(self.connection)
        try:
            ems_client.connection.set_vserver(self._get_ems_log_destination_vserver())
            ems_client.send_request(EMS_PATH, "post", body=body)
        except NaApiError:
            pass  # production: LOG.warning('Failed to invoke EMS. %s', e)


class EmsLockClient(RestClientModel):
    """Fix C: a lock around the EMS mutation.  Readers never take it, so a
    lookup that builds its headers inside the EMS window still reads the admin
    SVM: the lock serialises EMS against EMS only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._ems_lock = eventlet.semaphore.Semaphore(1)
        super().__init__(*args, **kwargs)

    def send_ems_log_message(self, message_dict: dict[str, str]) -> None:
        with self._ems_lock:
            super().send_ems_log_message(message_dict)


class VserverParamClient(RestClientModel):
    """Fix D: ``send_request`` takes an explicit SVM; EMS names the admin SVM
    per request instead of mutating the shared connection."""

    connection_class: type[RestNaServerModel] = VserverParamRestNaServer

    def send_request(
        self,
        action_url: str,
        method: str,
        body: Body = None,
        query: Query | None = None,
        enable_tunneling: bool = True,
        max_page_length: int = 10000,
        vserver: str | None = None,
    ) -> dict[str, Any]:
        if method == "get":
            return self.get_records(action_url, query, enable_tunneling, max_page_length)
        connection: Any = self.connection
        response: dict[str, Any]
        code, response = connection.invoke_successfully(
            action_url,
            method,
            body=body,
            query=query,
            enable_tunneling=enable_tunneling,
            vserver=vserver,
        )
        if code == 202:
            response = self._wait_job_result(response)
        return response

    def send_ems_log_message(self, message_dict: dict[str, str]) -> None:
        body = ems_body(message_dict)
        with contextlib.suppress(NaApiError):  # production: LOG.warning('Failed to invoke EMS')
            self.send_request(EMS_PATH, "post", body=body, vserver=self._get_ems_log_destination_vserver())


class PatchedClient(DeepcopyEmsClient):
    """What shipped: the session fix plus fix B."""

    connection_class: type[RestNaServerModel] = LocalSessionRestNaServer


@dataclass(frozen=True)
class ClientVariant:
    """A named client version and the EMS task delay that goes with it."""

    name: str
    client_class: type[RestClientModel]
    ems_initial_delay: float = 0.0
    summary: str = ""


VARIANTS: dict[str, ClientVariant] = {
    v.name: v
    for v in (
        ClientVariant("old", RestClientModel, summary="both races (cinder 29 + the fork's EMS)"),
        ClientVariant("session_fix_only", SessionFixClient, summary="_build_session returns a local"),
        ClientVariant("fix_a_delay", RestClientModel, 60.0, summary="EMS initial_delay 60 s"),
        ClientVariant("fix_b_deepcopy", DeepcopyEmsClient, summary="EMS via copy.deepcopy"),
        ClientVariant("fix_c_ems_lock", EmsLockClient, summary="lock inside EMS only"),
        ClientVariant("fix_d_vserver_param", VserverParamClient, summary="explicit SVM per request"),
        ClientVariant("patched", PatchedClient, summary="session fix + fix B"),
    )
}
