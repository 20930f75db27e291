"""The real cinder NetApp REST client (29.0.0) against the fake, unchanged.

The client is built from its configuration kwargs only.  Its constructor asks
the cluster for its version (tunneled, with ``fields=version``), then for the
nodes; it also builds an SSH pool object (no connection is made), which needs
``ssh_hosts_key_file`` under a writable ``state_path``.  Importing cinder does
not monkey-patch eventlet, so no patching is needed for these tests.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

REASON = "needs the real cinder client: pip install -e '.[cinder]'"
rest = pytest.importorskip("cinder.volume.drivers.netapp.dataontap.client.client_cmode_rest", reason=REASON)
netapp_api = pytest.importorskip("cinder.volume.drivers.netapp.dataontap.client.api", reason=REASON)
cinder_exception = pytest.importorskip("cinder.exception", reason=REASON)
na_utils = pytest.importorskip("cinder.volume.drivers.netapp.utils", reason=REASON)
oslo_cfg = pytest.importorskip("oslo_config.cfg", reason=REASON)

from race_harness.fakes.ontap import FakeOntap, WrongSvmRequest  # noqa: E402
from race_harness.fakes.ontap import oracle as oracle_module  # noqa: E402

pytestmark = pytest.mark.cinder


@pytest.fixture(autouse=True)
def _cinder_state_path() -> Iterator[None]:
    with tempfile.TemporaryDirectory() as path:
        oslo_cfg.CONF.set_override("state_path", path)
        try:
            yield
        finally:
            oslo_cfg.CONF.clear_override("state_path")


def make_client(fake: FakeOntap, vserver: str = "svm_data_001") -> Any:
    return rest.RestClient(
        hostname=fake.host,
        port=443,
        transport_type="https",
        username=fake.username,
        password=fake.password,
        vserver=vserver,
        api_trace_pattern="(.*)",
        ssl_cert_path=None,
        private_key_file=None,
        certificate_file=None,
        ca_certificate_file=None,
        certificate_host_validation=None,
        zapi_fallback_enabled=False,
    )


@pytest.fixture
def fake() -> Iterator[FakeOntap]:
    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        yield fake
    assert fake.internal_errors == []


def test_client_asks_for_the_cluster_version_on_start(fake: FakeOntap) -> None:
    client = make_client(fake)
    assert client.get_ontap_version(cached=False) == (9, 14, 1)
    first = fake.journal.entries[0]
    assert (first.method, first.path, first.svm_header, first.status) == (
        "GET",
        "/api/cluster",
        "svm_data_001",
        200,
    )
    assert first.params == {"fields": "version", "max_records": "10000"}


def test_lookup_by_junction_path_tunneled_into_the_data_svm(fake: FakeOntap) -> None:
    client = make_client(fake)
    flexvol = client.get_flexvol(flexvol_path="/nfs_volume_ds02")
    assert flexvol["name"] == "nfs_volume_ds02" and flexvol["vserver"] == "svm_data_001"
    assert flexvol["junction-path"] == "/nfs_volume_ds02" and flexvol["aggregate"] == ["aggr1"]
    assert flexvol["style-extended"] == "flexvol" and flexvol["size"] == str(100 * 1024**3)
    capacity = client.get_flexvol_capacity(flexvol_path="/nfs_volume_ds02")
    assert capacity["size-available"] < capacity["size-total"]
    lookup = fake.journal.entries[-1]
    assert lookup.path == "/api/storage/volumes" and lookup.svm_header == "svm_data_001"
    assert lookup.params["nas.path"] == "/nfs_volume_ds02"


def test_tunneled_into_the_admin_svm_gives_the_production_error(fake: FakeOntap) -> None:
    client = make_client(fake)
    client.connection.set_vserver("cluster_admin_svm")  # what the EMS task leaves behind
    with pytest.raises(
        cinder_exception.VolumeBackendAPIException,
        match=r"Could not find unique volume\. Volumes found: \[\]",
    ):
        client.get_flexvol(flexvol_path="/nfs_volume_ds02")
    with pytest.raises(na_utils.NetAppDriverException, match="Volume /nfs_volume_ds02 not found"):
        client.get_flexvol_capacity(flexvol_path="/nfs_volume_ds02")
    assert fake.journal.entries[-1].svm_header == "cluster_admin_svm"


def test_oracle_sees_through_cinders_exception_wrapping(monkeypatch: pytest.MonkeyPatch) -> None:
    """cinder wraps any send error in NaApiError; record_failure still fails the run."""
    failures: list[BaseException] = []
    monkeypatch.setattr(oracle_module, "record_failure", failures.append)
    fake = FakeOntap.default(oracle="raise")
    with fake.installed():
        client = make_client(fake)
        client.connection.set_vserver("cluster_admin_svm")
        with fake.journal.intent("svm_data_001"), pytest.raises(netapp_api.NaApiError) as info:
            client.get_flexvol(flexvol_path="/nfs_volume_ds02")
    assert isinstance(info.value.message, WrongSvmRequest)
    assert len(failures) == 1 and isinstance(failures[0], WrongSvmRequest)
    assert "X-Dot-SVM-Name: cluster_admin_svm" in str(failures[0])
    assert [e.svm_header for e in fake.journal.violations()] == ["cluster_admin_svm"]


def test_ems_message_lands_in_the_svm_it_was_tunneled_to(fake: FakeOntap) -> None:
    client = make_client(fake)
    client.connection.set_vserver("cluster_admin_svm")
    client.send_ems_log_message(
        {
            "computer-name": "cinder-host",
            "event-source": "Cinder driver NetApp",
            "app-version": "29.0.0",
            "category": "provisioning",
            "auto-support": "false",
            "event-id": "0",
            "event-description": "OpenStack Cinder connected to cluster node",
        }
    )
    (log,) = fake.state.ems_logs
    assert log.svm == "cluster_admin_svm" and log.fields["event_id"] == 0
    assert log.fields["autosupport_required"] is False


def test_create_flexvol_runs_through_a_job(fake: FakeOntap) -> None:
    client = make_client(fake)
    job = client.create_flexvol("cinder_new", "aggr1", 2)
    assert job["jobid"] in fake.state.jobs
    vol = fake.state.volume("cinder_new", "svm_data_001")
    assert vol is not None and vol.size == 2 * 1024**3 and vol.junction_path == "/cinder_new"
    assert client.flexvol_exists("cinder_new")
    assert client._wait_job_result(f"/cluster/jobs/{job['jobid']}")["state"] == "success"


def test_pagination_through_the_real_client(fake: FakeOntap) -> None:
    client = make_client(fake)
    response = client.get_records("/storage/volumes/", query={"fields": "name"}, max_page_length=1)
    assert [r["name"] for r in response["records"]] == [
        "svm_data_001_root",
        "nfs_volume_ds01",
        "nfs_volume_ds02",
    ]
    assert response["num_records"] == 3
    pages = [e for e in fake.journal.entries if e.path == "/api/storage/volumes"]
    assert len(pages) == 3 and all(e.status == 200 for e in pages)


def test_ssc_helpers_and_permissions(fake: FakeOntap) -> None:
    client = make_client(fake)
    assert client.list_flexvols() == ["nfs_volume_ds01", "nfs_volume_ds02"]
    assert client.get_aggregate("aggr1")["node-name"] == "ontap-fake-01"
    assert client.get_aggregate_capacities(["aggr1"])["aggr1"]["percent-used"] == 10
    assert client.get_cluster_name() == "ontap-fake"
    assert client.get_svm_uuid_by_name() == fake.state.svms["svm_data_001"].uuid
    assert client.check_api_permissions() == []


def test_rest_na_server_directly(fake: FakeOntap) -> None:
    server = netapp_api.RestNaServer(fake.host, username=fake.username, password=fake.password)
    server.set_vserver("svm_data_001")
    code, body = server.invoke_successfully(
        "/storage/volumes/", "get", query={"name": "nfs_volume_ds01"}, enable_tunneling=True
    )
    assert code == 200 and [r["name"] for r in body["records"]] == ["nfs_volume_ds01"]
    server.set_vserver("svm_nowhere")
    with pytest.raises(netapp_api.NaApiError) as info:
        server.invoke_successfully("/storage/volumes/", "get", enable_tunneling=True)
    assert info.value.code == "2" and "svm_nowhere" in info.value.message
    bad = netapp_api.RestNaServer(fake.host, username="admin", password="nope")
    with pytest.raises(netapp_api.NaApiError) as info:
        bad.invoke_successfully("/cluster", "get")
    assert info.value.code == "6"


def test_file_sizes_by_dir(fake: FakeOntap) -> None:
    """The call whose host=None failure is the migration cascade's symptom."""
    fake.state.add_file("svm_data_001", "nfs_volume_ds02", "volume-1234", 5 * 1024**3)
    client = make_client(fake)
    assert client.get_file_sizes_by_dir("nfs_volume_ds02") == [
        {"name": "volume-1234", "file-size": float(5 * 1024**3)}
    ]
    client.connection.set_vserver("cluster_admin_svm")
    with pytest.raises(cinder_exception.VolumeBackendAPIException, match="Volumes found: \\[\\]"):
        client.get_file_sizes_by_dir("nfs_volume_ds02")
