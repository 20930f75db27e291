"""The NetApp models against the fake ONTAP, outside any harness run.

Outside a run the fake's switch points are no-ops, so these tests pin what
each model *does* (requests, headers, shared-state mutations) in the plain
sequential order, independent of any scheduling.
"""

from __future__ import annotations

import inspect

import pytest

from race_harness.fakes.ontap import FakeOntap
from race_harness.scenarios.netapp.backend import ADMIN_SVM, DATA_SVM, SHARES, make_backend, make_client
from race_harness.scenarios.netapp.client import RestClientModel
from race_harness.scenarios.netapp.connection import LocalSessionRestNaServer, RestNaServerModel
from race_harness.scenarios.netapp.errors import InvalidVolume, NetAppDriverException, extract_host
from race_harness.scenarios.netapp.variants import (
    VARIANTS,
    DeepcopyEmsClient,
    EmsLockClient,
    PatchedClient,
    SessionFixClient,
    VserverParamClient,
)

EMS = {
    "computer-name": "cinder-volume",
    "event-source": "Cinder driver NetApp_NFS_Cluster_direct",
    "app-version": "29.0.0",
    "category": "openstack",
    "auto-support": "false",
    "event-id": "0",
    "event-description": "OpenStack Cinder",
}


@pytest.fixture
def fake() -> FakeOntap:
    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        yield fake


def test_constructor_asks_the_cluster_version_tunneled(fake: FakeOntap) -> None:
    client = make_client(fake, RestClientModel)
    first = fake.journal.entries[0]
    assert (first.method, first.path, first.svm_header) == ("GET", "/api/cluster", DATA_SVM)
    assert first.params["fields"] == "version"
    assert client.connection.get_ontap_version() == fake.state.cluster.version


def test_capacity_lookup_is_a_tunneled_volume_query(fake: FakeOntap) -> None:
    client = make_client(fake, RestClientModel)
    with fake.journal.intent(DATA_SVM):
        capacity = client.get_flexvol_capacity(flexvol_path="/nfs_volume_ds02")
    entry = fake.journal.entries[-1]
    assert entry.svm_header == DATA_SVM and entry.params["nas.path"] == "/nfs_volume_ds02"
    assert capacity["size-total"] > 0 and not fake.journal.violations()


def test_lookup_in_the_admin_svm_raises_the_production_errors(fake: FakeOntap) -> None:
    client = make_client(fake, RestClientModel)
    client.connection.set_vserver(ADMIN_SVM)
    with pytest.raises(NetAppDriverException, match=r"^Volume /nfs_volume_ds02 not found\.$") as info:
        client.get_flexvol_capacity(flexvol_path="/nfs_volume_ds02")
    assert "Could not find unique volume. Volumes found: []." in str(info.value.__cause__)


def test_old_ems_restores_the_vserver_and_swaps_in_a_shallow_copy(fake: FakeOntap) -> None:
    client = make_client(fake, RestClientModel)
    before = client.connection
    with fake.journal.intent(ADMIN_SVM):
        client.send_ems_log_message(EMS)
    post = fake.journal.entries[-1]
    assert (post.method, post.svm_header) == ("POST", ADMIN_SVM)
    assert client.connection is not before and client.connection.get_vserver() == DATA_SVM
    assert before.get_vserver() == DATA_SVM


@pytest.mark.parametrize("client_class", [DeepcopyEmsClient, VserverParamClient, PatchedClient])
def test_fixed_ems_never_touches_the_shared_connection(
    fake: FakeOntap, client_class: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(fake, client_class)
    shared = client.connection
    assigned: list[tuple[object, object]] = []
    original = RestNaServerModel.set_vserver

    def spy(self: RestNaServerModel, vserver: str | None) -> None:
        assigned.append((self, vserver))
        original(self, vserver)

    monkeypatch.setattr(RestNaServerModel, "set_vserver", spy)
    with fake.journal.intent(ADMIN_SVM):
        client.send_ems_log_message(EMS)
    assert client.connection is shared and [v for c, v in assigned if c is shared] == []
    assert fake.journal.entries[-1].svm_header == ADMIN_SVM and not fake.journal.violations()


def test_session_fix_keeps_no_session_on_the_connection(fake: FakeOntap) -> None:
    old = make_client(fake, RestClientModel)
    fixed = make_client(fake, SessionFixClient)
    assert "_session" in vars(old.connection)
    assert "_session" not in vars(fixed.connection)
    assert isinstance(fixed.connection, LocalSessionRestNaServer)


def test_each_fix_overrides_only_what_it_changes() -> None:
    """A reader sees each fix as a diff: the overridden names are the fix."""

    def own(cls: type) -> set[str]:
        return {n for n in vars(cls) if not n.startswith("__")}

    assert own(SessionFixClient) == {"connection_class"}
    assert own(DeepcopyEmsClient) == {"send_ems_log_message"}
    assert own(EmsLockClient) == {"send_ems_log_message"}
    assert own(VserverParamClient) == {"connection_class", "send_request", "send_ems_log_message"}
    assert own(PatchedClient) == {"connection_class"} and issubclass(PatchedClient, DeepcopyEmsClient)
    assert own(LocalSessionRestNaServer) == {"_build_session", "send_http_request"}
    assert "self._session" not in inspect.getsource(LocalSessionRestNaServer)
    assert VARIANTS["fix_a_delay"].client_class is RestClientModel
    assert VARIANTS["fix_a_delay"].ems_initial_delay == 60.0


def test_old_build_session_touches_the_shared_session_five_times() -> None:
    """The preemptive model needs a switch between creating and configuring it."""
    source = inspect.getsource(RestNaServerModel._build_session)
    code = [line for line in source.splitlines() if line.startswith("        self.")]
    assert sum(line.count("self._session") for line in code) == 5


def test_startup_report_lists_every_pool_when_nothing_races(fake: FakeOntap) -> None:
    backend = make_backend(fake, VARIANTS["old"])
    backend.driver.ssc = backend.driver._get_flexvol_to_pool_map()
    backend.manager.publish_service_capabilities()
    assert [p["capabilities"]["pool_name"] for p in backend.scheduler.get_pools()] == list(SHARES)


def test_a_pool_whose_capacity_lookup_fails_vanishes_from_the_report(fake: FakeOntap) -> None:
    backend = make_backend(fake, VARIANTS["old"])
    backend.driver.ssc = backend.driver._get_flexvol_to_pool_map()
    fake.state.volume("nfs_volume_ds02", DATA_SVM).state = "offline"  # its lookup finds nothing
    backend.manager.publish_service_capabilities()
    assert [p["capabilities"]["pool_name"] for p in backend.scheduler.get_pools()] == [SHARES[0]]
    assert backend.driver.log == ["Failed to get capacity of pool nfs_volume_ds02."]


def test_extract_host_refuses_none_like_cinder() -> None:
    with pytest.raises(InvalidVolume, match="volume is not assigned to a host"):
        extract_host(None)
    assert extract_host("cinder-volume@netapp#10.0.0.10:/nfs_volume_ds01") == "cinder-volume@netapp"
