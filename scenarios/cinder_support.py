"""Wiring for racing the real cinder NetApp REST client (``cinder==29.0.0``).

Nothing here edits cinder.  What it does:

* ``load()`` imports the two cinder modules under test once, outside any
  harness run (importing ~1,700 modules inside a run would execute module
  code on the deterministic hub, and ``from time import time`` in
  ``client_cmode_rest`` would bind the harness's virtual clock for good);
* ``make_client`` builds cinder's own ``RestClient`` (and through it cinder's
  own ``RestNaServer``) with the configuration its constructor needs and no
  running service: basic auth against the fake, ``zapi_fallback_enabled=False``
  (``netapp_allow_zapi_fallback=False``: the fake speaks REST, not ZAPI) and a
  scoped ``ssh_hosts_key_file`` override (the constructor builds an
  ``SSHPool``, which insists that file exists; the default lives under
  ``/var/lib/cinder``).  The constructor's own requests (``GET /cluster/``
  tunneled, ``GET /cluster/nodes`` not) go to the fake, undeclared;
* the ``patched`` connection is a subclass, ``LocalSessionRestNaServer``,
  swapped in for the duration of the constructor only, never by editing
  site-packages;
* the ``fork_ems`` client is a subclass carrying the downstream fork's
  ``send_ems_log_message`` from the incident (not upstream code);
* ``instrumentation`` is the preemptive model: switch points at every access
  of ``RestNaServer._session`` / ``._vserver`` and ``RestClient.connection``,
  installed on cinder's classes and removed after the exploration;
* ``observe_ems`` runs one EMS call alone and reports what it did to the
  shared connection (the plain fact behind the EMS verdicts).

Import side effects of cinder 29.0.0, measured (``python -c "import ...api"``):
no eventlet monkey patching (``eventlet.patcher.is_monkey_patched`` is False
for os, select, socket, thread, time); but ``cinder/__init__`` sets
``EVENTLET_NO_GREENDNS=yes`` in ``os.environ``, ``os_brick.utils`` replaces
``time.sleep`` process-wide with a Python wrapper around the real one, and
``oslo_log.register_options`` (via ``cinder.common.config``) adds a stderr
``StreamHandler`` to the root logger.  The import takes about 1.4 s.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

from race_harness.scenarios.netapp.client import ems_body

CINDER_VERSION = "29.0.0"
INSTALL_HINT = "pip install -e '.[cinder]'"
DATA_SVM = "svm_data_001"
ADMIN_SVM = "cluster_admin_svm"
EMS_PATH = "/support/ems/application-logs"
EMS_MESSAGE = {
    "computer-name": "cinder-volume",
    "event-source": "Cinder driver NetApp_NFS_Cluster_direct",
    "app-version": CINDER_VERSION,
    "category": "provisioning",
    "auto-support": "false",
    "event-id": "0",
    "event-description": "OpenStack Cinder",
}


def installed_version() -> str | None:
    """The installed cinder's version, without importing it (None: not installed)."""
    if importlib.util.find_spec("cinder") is None:
        return None
    try:
        return metadata.version("cinder")
    except metadata.PackageNotFoundError:
        return None


@dataclass
class Cinder:
    """The imported cinder modules and the classes built on them."""

    api: ModuleType
    rest: ModuleType
    local_session_connection: type
    fork_ems_client: type
    version: str


_loaded: Cinder | None = None


def load() -> Cinder:
    """Import cinder's NetApp REST client once; ImportError says how to install it."""
    global _loaded
    if _loaded is not None:
        return _loaded
    version = installed_version()
    if version is None:
        raise ImportError(f"cinder is not installed; install it with: {INSTALL_HINT}")
    from cinder.volume.drivers.netapp.dataontap.client import api, client_cmode_rest

    _loaded = Cinder(api, client_cmode_rest, _local_session_class(api),
                     _fork_ems_class(api, client_cmode_rest), version)  # fmt: skip
    return _loaded


# -- the patched connection: race-1 fix as a subclass ----------------------------


def _local_session_class(api: ModuleType) -> type:
    """``RestNaServer`` whose ``_build_session`` returns a local session.

    ``send_http_request`` is upstream's, line for line, except that it sends
    through the session it was handed instead of reading ``self._session``
    back; nothing per-request is stored on the shared connection.
    """
    import requests
    from oslo_serialization import jsonutils
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class LocalSessionRestNaServer(api.RestNaServer):  # type: ignore[misc,name-defined]
        def _build_session(self, headers: dict[str, str]) -> requests.Session:
            if self._private_key_file and self._certificate_file:
                raise NotImplementedError("the patched connection models basic auth only")
            session = requests.Session()
            max_retries = Retry(total=5, connect=5, read=2, backoff_factor=1)
            session.mount(f"{self._protocol}://", HTTPAdapter(max_retries=max_retries))
            session.auth = self._create_basic_auth_handler()
            session.verify = self._ssl_verify
            session.headers = headers  # type: ignore[assignment]
            return session

        def send_http_request(self, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
            data = jsonutils.dumps(body) if body else {}
            session = self._build_session(headers)
            request_method = self._get_request_method(method, session)
            try:
                if self._timeout is not None:
                    response = request_method(url, data=data, timeout=self._timeout)
                else:
                    response = request_method(url, data=data)
            except requests.HTTPError as e:
                raise api.NaApiError(e.errno, e.strerror) from e
            except requests.exceptions.SSLError as e:
                raise api.NaApiError(message="TLS verification failed") from e
            except Exception as e:
                raise api.NaApiError(message=e) from e
            code = response.status_code
            decoded = jsonutils.loads(response.content) if response.content else {}
            return code, decoded

    return LocalSessionRestNaServer


# -- the fork's EMS (the incident's code, not upstream's) -------------------------


def _fork_ems_class(api: ModuleType, rest: ModuleType) -> type:
    """``RestClient`` with the downstream fork's EMS (DESIGN.md section 1)."""

    class ForkEmsRestClient(rest.RestClient):  # type: ignore[misc,name-defined]
        ems_destination = ADMIN_SVM

        def _get_ems_log_destination_vserver(self) -> str:
            return self.ems_destination

        def send_ems_log_message(self, message_dict: dict[str, str]) -> None:
            body = ems_body(message_dict)
            client: Any = self  # cinder has no type information
            backup_vserver = client.connection.get_vserver()
            try:
                client.connection.set_vserver(client._get_ems_log_destination_vserver())
                client.send_request(EMS_PATH, "post", body=body)
            except api.NaApiError:
                pass  # the fork: LOG.warning('Failed to invoke EMS. %s', e)
            finally:
                client.connection.set_vserver(backup_vserver)
                client.connection = copy.copy(client.connection)

    return ForkEmsRestClient


# -- building the client -----------------------------------------------------------


def client_kwargs(fake: Any, vserver: str = DATA_SVM) -> dict[str, Any]:
    """What ``dot_utils.get_client_for_backend`` passes, for basic auth to the fake."""
    return {
        "hostname": fake.host,
        "username": fake.username,
        "password": fake.password,
        "transport_type": "https",
        "port": None,
        "ssl_cert_path": None,
        "ssl_cert_verify": True,
        "private_key_file": None,
        "certificate_file": None,
        "ca_certificate_file": None,
        "certificate_host_validation": False,
        "vserver": vserver,
        "api_trace_pattern": None,  # '(.*)' in cinder.conf; None leaves na_utils' global alone
        "async_rest_timeout": 60,
        "zapi_fallback_enabled": False,
    }


_known_hosts: str | None = None


def _known_hosts_file() -> str:
    global _known_hosts
    if _known_hosts is None or not os.path.exists(_known_hosts):
        handle, path = tempfile.mkstemp(prefix="race-harness-cinder-", suffix=".known_hosts")
        os.close(handle)
        atexit.register(_remove, path)
        _known_hosts = path
    return _known_hosts


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@contextlib.contextmanager
def ssh_config() -> Iterator[None]:
    """``ssh_hosts_key_file`` pointed at an existing empty file, for the constructor only."""
    from oslo_config import cfg

    cfg.CONF.set_override("ssh_hosts_key_file", _known_hosts_file())
    try:
        yield
    finally:
        cfg.CONF.clear_override("ssh_hosts_key_file")


@contextlib.contextmanager
def connection_class(api: ModuleType, cls: type | None) -> Iterator[None]:
    """Make ``RestClient.__init__`` build ``cls`` instead of ``RestNaServer`` (scoped)."""
    if cls is None:
        yield
        return
    original = getattr(api, "RestNaServer")  # noqa: B009 - a module typed as ModuleType
    setattr(api, "RestNaServer", cls)  # noqa: B010
    try:
        yield
    finally:
        setattr(api, "RestNaServer", original)  # noqa: B010


@dataclass(frozen=True)
class Variant:
    """A client version: which connection class and which client class."""

    name: str
    patched_session: bool = False
    fork_ems: bool = False
    summary: str = ""


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("upstream", summary="cinder 29.0.0 exactly as installed"),
        Variant("patched", patched_session=True,
                summary="upstream + local-session fix (subclass, swapped in at construction)"),
        Variant("fork_ems", fork_ems=True,
                summary="upstream + the downstream fork's EMS (the incident's code)"),
        Variant("fork_ems_session_fix", patched_session=True, fork_ems=True,
                summary="the fork's EMS + the local-session fix"),
    )
}  # fmt: skip


def make_client(fake: Any, variant: Variant) -> Any:
    """cinder's own RestClient for ``variant``, built against the installed ``fake``."""
    cinder = load()
    client_class = cinder.fork_ems_client if variant.fork_ems else cinder.rest.RestClient
    connection = cinder.local_session_connection if variant.patched_session else None
    with ssh_config(), connection_class(cinder.api, connection):
        return client_class(**client_kwargs(fake))


def ems_intent(variant: Variant) -> str:
    """The SVM the variant's EMS is *meant* to reach.

    Upstream's REST EMS is a plain tunneled POST through the shared connection:
    it means the client's own SVM.  The fork's EMS means the admin SVM.
    """
    return ADMIN_SVM if variant.fork_ems else DATA_SVM


@contextlib.contextmanager
def instrumentation() -> Iterator[None]:
    """The preemptive model on cinder's own classes: every access is a switch point."""
    from harness.instrument import shared_attributes

    cinder = load()
    with (
        shared_attributes(cinder.api.RestNaServer, "_session", "_vserver"),
        shared_attributes(cinder.rest.RestClient, "connection"),
    ):
        yield


# -- the plain fact about EMS ---------------------------------------------------------


@dataclass
class EmsObservation:
    """What one EMS call did to the shared connection, and where it was scoped.

    ``ems_scopes``: the SVM each EMS request went to (REST: its
    ``X-Dot-SVM-Name`` header; ZAPI: the sending connection's vserver, which
    ZAPI puts in the envelope's ``vfiler`` attribute).
    """

    variant: str
    set_vserver_calls: list[str | None] = field(default_factory=list)
    connection_replaced: bool = False
    vserver_after: str | None = None
    ems_scopes: list[str | None] = field(default_factory=list)

    @property
    def mutates(self) -> bool:
        return bool(self.set_vserver_calls) or self.connection_replaced


def observe_ems(variant: Variant) -> EmsObservation:
    """Run one EMS call alone (no harness) and record every ``set_vserver`` it makes."""
    from race_harness.fakes.ontap import FakeOntap

    cinder = load()
    fake = FakeOntap.default(oracle="collect")
    seen = EmsObservation(variant.name)
    original = cinder.api.RestNaServer.set_vserver

    def spy(self: Any, vserver: str | None) -> None:
        seen.set_vserver_calls.append(vserver)
        original(self, vserver)

    with fake.installed():
        client = make_client(fake, variant)
        before = client.connection
        cinder.api.RestNaServer.set_vserver = spy
        try:
            client.send_ems_log_message(dict(EMS_MESSAGE))
        finally:
            cinder.api.RestNaServer.set_vserver = original
    seen.connection_replaced = client.connection is not before
    seen.vserver_after = client.connection.get_vserver()
    seen.ems_scopes = [e.svm_header for e in fake.journal.entries if e.path.endswith("application-logs")]
    return seen


def observe_zapi_ems() -> EmsObservation:
    """What upstream's ZAPI ``client_cmode.Client.send_ems_log_message`` does to the
    shared connection, shown without a ZAPI server: the client is built without
    its constructor (which would call ZAPI), the destination lookup answers the
    admin SVM, and ``NaServer.send_request`` is replaced, for this call only, by
    a recorder of the vserver of the connection that sends.
    """
    from unittest import mock

    from cinder.volume.drivers.netapp.dataontap.client import client_cmode

    api = load().api
    shared = api.NaServer("ontap.fake.test", username="admin", password="unused")
    shared.set_vserver(DATA_SVM)
    client = object.__new__(client_cmode.Client)
    client.connection = shared
    client.vserver = DATA_SVM
    seen = EmsObservation("zapi")
    original = api.NaServer.set_vserver

    def spy(self: Any, vserver: str | None) -> None:
        if self is shared:
            seen.set_vserver_calls.append(vserver)
        original(self, vserver)

    def send(self: Any, api_name: str, api_args: Any = None, enable_tunneling: bool = True) -> None:
        seen.ems_scopes.append(self._vserver)

    with (
        mock.patch.object(client_cmode.Client, "_get_ems_log_destination_vserver", return_value=ADMIN_SVM),
        mock.patch.object(api.NaServer, "send_request", send),
        mock.patch.object(api.NaServer, "set_vserver", spy),
    ):
        client.send_ems_log_message(dict(EMS_MESSAGE))
    seen.connection_replaced = client.connection is not shared
    seen.vserver_after = shared._vserver
    return seen
