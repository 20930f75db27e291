"""Contract tests: each route's answer shape, status codes, errors and paging.

These pin what the fake answers to ONTAP's documented shapes, so a client
that works against the fake works against the shapes a cluster sends.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from race_harness.fakes.ontap import FakeOntap

VOLUME_LOOKUP = {  # what cinder's _get_volume_by_args sends for a junction path
    "type": "rw",
    "style": "flex*",
    "is_svm_root": "false",
    "error_state.is_inconsistent": "false",
    "state": "online",
    "fields": "name,style",
    "nas.path": "/nfs_volume_ds02",
    "max_records": "10000",
}


def _names(response: requests.Response) -> list[str]:
    return [r["name"] for r in response.json()["records"]]


def _error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


# -- /api/cluster ----------------------------------------------------------------


def test_cluster_version_as_cinder_asks_for_it(call: Any) -> None:
    response = call.get("/api//cluster/", params={"fields": "version", "max_records": "10000"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/hal+json"
    assert response.json() == {
        "version": {
            "full": "NetApp Release 9.14.1: Mon Jan 01 00:00:00 UTC 2024",
            "generation": 9,
            "major": 14,
            "minor": 1,
        },
        "_links": {"self": {"href": "/api/cluster"}},
    }


def test_cluster_without_fields_returns_the_whole_record(call: Any, fake: FakeOntap) -> None:
    body = call.get("/api/cluster").json()
    assert body["name"] == "ontap-fake" and body["uuid"] == fake.state.cluster.uuid
    assert body["version"]["generation"] == 9


@pytest.mark.parametrize("svm", ["svm_data_001", "cluster_admin_svm"])
def test_cluster_answers_when_tunneled(call: Any, svm: str) -> None:
    response = call.get("/api/cluster", params={"fields": "version"}, svm=svm)
    assert response.status_code == 200 and response.json()["version"]["major"] == 14


@pytest.mark.parametrize("path", ["/api/cluster", "/api/cluster/", "/api//cluster/", "//api///cluster"])
def test_doubled_and_trailing_slashes_are_accepted(call: Any, path: str) -> None:
    assert call.get(path, params={"fields": "name"}).json()["name"] == "ontap-fake"


def test_paths_are_case_sensitive(call: Any) -> None:
    assert call.get("/api/Cluster").status_code == 404


# -- /api/cluster/nodes -------------------------------------------------------------


def test_nodes_with_the_fields_cinder_reads(call: Any) -> None:
    fields = "model,name,is_all_flash_optimized,is_all_flash_select_optimized"
    (record,) = call.get("/api/cluster/nodes", params={"fields": fields}).json()["records"]
    assert set(record) == {
        "uuid",
        "name",
        "model",
        "is_all_flash_optimized",
        "is_all_flash_select_optimized",
        "_links",
    }


def test_nodes_refused_inside_a_data_svm(call: Any) -> None:
    response = call.get("/api/cluster/nodes", svm="svm_data_001")
    assert response.status_code == 403 and _error(response)["code"] == "6"


# -- /api/svm/svms ------------------------------------------------------------------


def test_svms_cluster_scope_lists_data_svms_only(call: Any, fake: FakeOntap) -> None:
    body = call.get("/api/svm/svms").json()
    uuid = fake.state.svms["svm_data_001"].uuid
    assert body == {
        "records": [
            {
                "uuid": uuid,
                "name": "svm_data_001",
                "_links": {"self": {"href": f"/api/svm/svms/{uuid}"}},
            }
        ],
        "num_records": 1,
        "_links": {"self": {"href": "/api/svm/svms"}},
    }


def test_svms_scoped(call: Any) -> None:
    assert _names(call.get("/api/svm/svms", svm="svm_data_001")) == ["svm_data_001"]
    assert _names(call.get("/api/svm/svms", svm="cluster_admin_svm")) == []


def test_svm_by_uuid_and_filter(call: Any, fake: FakeOntap) -> None:
    uuid = fake.state.svms["svm_data_001"].uuid
    params = {"name": "svm_data_001", "fields": "uuid,name", "return_timeout": "30"}
    assert _names(call.get("/api/svm/svms", params=params)) == ["svm_data_001"]
    record = call.get(f"/api/svm/svms/{uuid}", params={"fields": "state"}).json()
    assert record["state"] == "running"
    assert call.get("/api/svm/svms/no-such-uuid").status_code == 404


# -- /api/storage/volumes: filters and fields --------------------------------------------


def test_volume_lookup_by_junction_path_in_the_data_svm(call: Any, fake: FakeOntap) -> None:
    body = call.get("/api/storage/volumes/", params=VOLUME_LOOKUP, svm="svm_data_001").json()
    uuid = fake.state.volume("nfs_volume_ds02", "svm_data_001").uuid  # type: ignore[union-attr]
    assert body["num_records"] == 1
    (record,) = body["records"]
    assert record["uuid"] == uuid and record["name"] == "nfs_volume_ds02"
    assert record["style"] == "flexvol" and record["nas"] == {"path": "/nfs_volume_ds02"}
    assert record["_links"] == {"self": {"href": f"/api/storage/volumes/{uuid}"}}
    assert "space" not in record  # not asked for


def test_admin_svm_sees_no_volumes_the_production_error(call: Any) -> None:
    """The answer behind ``Could not find unique volume. Volumes found: []``."""
    response = call.get("/api/storage/volumes/", params=VOLUME_LOOKUP, svm="cluster_admin_svm")
    assert response.status_code == 200
    assert response.json()["records"] == [] and response.json()["num_records"] == 0


def test_cluster_scope_sees_every_svms_volumes(caller_for: Any) -> None:
    call = caller_for(FakeOntap.with_svms({"svm_a": ["va"], "svm_b": ["vb"]}, oracle="collect"))
    assert _names(call.get("/api/storage/volumes", params={"is_svm_root": "false"})) == ["va", "vb"]
    assert _names(call.get("/api/storage/volumes", params={"is_svm_root": "false"}, svm="svm_b")) == ["vb"]
    assert _names(call.get("/api/storage/volumes", params={"svm.name": "svm_a"}, svm="svm_b")) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "nfs_volume_ds01"}, ["nfs_volume_ds01"]),
        ({"name": "nfs_volume_ds01|nfs_volume_ds02"}, ["nfs_volume_ds01", "nfs_volume_ds02"]),
        ({"name": "nfs_*"}, ["nfs_volume_ds01", "nfs_volume_ds02"]),
        ({"name": "!nfs_volume_ds01"}, ["svm_data_001_root", "nfs_volume_ds02"]),
        ({"nas.path": "/nfs_volume_ds01"}, ["nfs_volume_ds01"]),
        ({"nas.path": "/"}, ["svm_data_001_root"]),
        ({"svm.name": "svm_data_001", "is_svm_root": "true"}, ["svm_data_001_root"]),
        ({"is_svm_root": "false", "type": "rw", "style": "flex*"}, ["nfs_volume_ds01", "nfs_volume_ds02"]),
        ({"style": "flexgroup"}, []),
        ({"space.size": ">1073741824"}, ["nfs_volume_ds01", "nfs_volume_ds02"]),
        ({"aggregates.name": "aggr1", "name": "nfs_volume_ds02"}, ["nfs_volume_ds02"]),
        ({"name": "NFS_VOLUME_DS01"}, []),
    ],
)
def test_volume_filters(call: Any, params: dict[str, str], expected: list[str]) -> None:
    assert _names(call.get("/api/storage/volumes", params=params)) == expected


def test_queried_and_requested_fields_are_returned(call: Any) -> None:
    params = {"name": "nfs_volume_ds02", "fields": "space.afs_total,space.available,svm.name"}
    (record,) = call.get("/api/storage/volumes", params=params).json()["records"]
    assert set(record) == {"uuid", "name", "space", "svm", "_links"}
    assert set(record["space"]) == {"afs_total", "available"}
    assert record["svm"] == {"name": "svm_data_001"}


def test_fields_for_cinder_get_flexvol(call: Any) -> None:
    fields = (
        "aggregates.name,name,svm.name,nas.path,type,guarantee.honored,guarantee.type,"
        "space.snapshot.reserve_percent,space.size,qos.policy.name,snapshot_policy,language,style"
    )
    params = {"nas.path": "/nfs_volume_ds02", "fields": fields}
    (record,) = call.get("/api/storage/volumes", params=params).json()["records"]
    assert record["aggregates"] == [{"name": "aggr1"}]
    assert record["guarantee"] == {"type": "none", "honored": True}
    assert record["space"] == {"size": 100 * 1024**3, "snapshot": {"reserve_percent": 5}}
    assert record["snapshot_policy"] == {"name": "default"}
    assert "qos" not in record  # no policy set: ONTAP leaves it out


def test_star_fields_return_everything(call: Any) -> None:
    (record,) = call.get("/api/storage/volumes", params={"name": "nfs_volume_ds01", "fields": "*"}).json()[
        "records"
    ]
    assert {"space", "svm", "aggregates", "nas", "guarantee", "encryption"} <= set(record)


def test_return_records_false_counts_only(call: Any) -> None:
    params = {"name": "nfs_volume_ds01", "return_records": "false"}
    body = call.get("/api/storage/volumes/", params=params).json()
    assert body == {"num_records": 1, "_links": body["_links"]}


def test_return_records_false_glued_by_cinders_second_question_mark(call: Any) -> None:
    response = call.get("/api//storage/aggregates?return_records=false?max_records=10000")
    assert response.status_code == 200 and response.json()["num_records"] == 1


def test_volume_by_uuid_is_scoped(call: Any, fake: FakeOntap) -> None:
    uuid = fake.state.volume("nfs_volume_ds01", "svm_data_001").uuid  # type: ignore[union-attr]
    ok = call.get(f"/api/storage/volumes/{uuid}", params={"fields": "nas.path"})
    assert ok.json() == {
        "nas": {"path": "/nfs_volume_ds01"},
        "_links": {"self": {"href": f"/api/storage/volumes/{uuid}"}},
    }
    hidden = call.get(f"/api/storage/volumes/{uuid}", svm="cluster_admin_svm")
    assert hidden.status_code == 404 and _error(hidden) == {
        "message": "entry doesn't exist",
        "code": "4",
        "target": "uuid",
    }


# -- /api/storage/volumes/{uuid}/files -------------------------------------------------------


def _files_fake(caller_for: Any) -> tuple[Any, str]:
    fake = FakeOntap.default(oracle="collect")
    fake.state.add_file("svm_data_001", "nfs_volume_ds02", "volume-a", 1024**3)
    fake.state.add_file("svm_data_001", "nfs_volume_ds02", "volume-b", 2 * 1024**3)
    return caller_for(fake), fake.state.volume("nfs_volume_ds02", "svm_data_001").uuid  # type: ignore[union-attr]


def test_files_listing_as_cinder_asks(caller_for: Any) -> None:
    call, uuid = _files_fake(caller_for)
    path = f"/api//storage/volumes/{uuid}/files"
    body = call.get(path, params={"type": "file", "fields": "size,name"}, svm="svm_data_001").json()
    assert [(r["name"], r["size"], r["type"]) for r in body["records"]] == [
        ("volume-a", 1024**3, "file"),
        ("volume-b", 2 * 1024**3, "file"),
    ]
    everything = call.get(path, svm="svm_data_001").json()["records"]
    assert [r["name"] for r in everything] == [".", "..", "volume-a", "volume-b"]
    assert set(everything[2]) == {"path", "name", "_links"}


def test_files_by_path_and_missing_file(caller_for: Any) -> None:
    call, uuid = _files_fake(caller_for)
    root = call.get(f"/api/storage/volumes/{uuid}/files/%2F", svm="svm_data_001").json()
    assert root["num_records"] == 4
    one = call.get(f"/api/storage/volumes/{uuid}/files/volume-b", params={"fields": "size"})
    assert [r["size"] for r in one.json()["records"]] == [2 * 1024**3]
    missing = call.get(f"/api/storage/volumes/{uuid}/files/nope")
    assert missing.status_code == 404 and _error(missing)["code"] == "6684674"


def test_files_are_scoped_and_paged(caller_for: Any) -> None:
    call, uuid = _files_fake(caller_for)
    hidden = call.get(f"/api/storage/volumes/{uuid}/files", svm="cluster_admin_svm")
    assert hidden.status_code == 404 and _error(hidden)["code"] == "4"
    url, names = f"/api/storage/volumes/{uuid}/files?max_records=3", []
    while url:
        body = call.get(url).json()
        names += [r["name"] for r in body["records"]]
        href = body["_links"].get("next", {}).get("href")
        url = href and "/api/" + href[4:]
        assert href is None or "start.name=" in href
    assert names == [".", "..", "volume-a", "volume-b"]


# -- pagination -------------------------------------------------------------------------


def test_pagination_follows_links_next(caller_for: Any) -> None:
    fake = FakeOntap.with_svms({"svm_a": [f"vol_{i}" for i in range(7)]}, oracle="collect")
    call = caller_for(fake)
    url, seen, pages = "/api//storage/volumes?fields=name&is_svm_root=false&max_records=3", [], 0
    while url:
        body = call.get(url).json()
        assert body["num_records"] == len(body["records"]) <= 3
        seen += [r["name"] for r in body["records"]]
        pages += 1
        href = body["_links"].get("next", {}).get("href")
        url = "/api/" + href[4:] if href else None  # as cinder joins it: /api//storage/...
        if href:
            assert href.startswith("/api/storage/volumes?") and "start.uuid=" in href
            assert "is_svm_root=false" in href and "fields=name" in href
    assert seen == [f"vol_{i}" for i in range(7)] and pages == 3


def test_last_page_has_no_next_link(call: Any) -> None:
    body = call.get("/api/storage/volumes", params={"max_records": "3"}).json()
    assert body["num_records"] == 3 and "next" not in body["_links"]


# -- /api/storage/aggregates ------------------------------------------------------------------


def test_aggregates_fields_cinder_reads(call: Any) -> None:
    fields = "name,block_storage.primary.raid_type,block_storage.storage_type,home_node.name"
    (record,) = call.get("/api/storage/aggregates", params={"name": "aggr1", "fields": fields}).json()[
        "records"
    ]
    assert record["block_storage"] == {"primary": {"raid_type": "raid_dp"}, "storage_type": "hdd"}
    assert record["home_node"] == {"name": "ontap-fake-01"}
    space = call.get(
        "/api/storage/aggregates",
        params={"fields": "space.block_storage.size,space.block_storage.used,space.block_storage.available"},
    ).json()["records"][0]["space"]
    assert (
        space["block_storage"]["available"] == space["block_storage"]["size"] - space["block_storage"]["used"]
    )


def test_aggregates_scope(call: Any) -> None:
    assert call.get("/api/storage/aggregates", svm="cluster_admin_svm").status_code == 200
    refused = call.get("/api/storage/aggregates", svm="svm_data_001")
    assert refused.status_code == 403 and _error(refused)["code"] == "6"


# -- writes: volumes (202 + job) and EMS -------------------------------------------------------------


def _new_volume(name: str = "vol_new", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "size": 1024**3,
        "aggregates": [{"name": "aggr1"}],
        "nas": {"path": f"/{name}"},
        **extra,
    }


def test_volume_create_answers_202_with_a_job(call: Any, fake: FakeOntap) -> None:
    response = call.post("/api/storage/volumes/", json=_new_volume(), svm="svm_data_001")
    assert response.status_code == 202
    job = response.json()["job"]
    assert job["_links"]["self"]["href"] == f"/api/cluster/jobs/{job['uuid']}"
    record = call.get(job["_links"]["self"]["href"]).json()
    assert record["state"] == "success" and record["svm"] == {"name": "svm_data_001"}
    assert fake.state.volume("vol_new", "svm_data_001") is not None
    assert _names(call.get("/api/storage/volumes", params={"nas.path": "/vol_new"})) == ["vol_new"]


def test_job_can_stay_running_for_some_polls(call: Any, fake: FakeOntap) -> None:
    fake.state.job_running_polls = 2
    href = call.post("/api/storage/volumes", json=_new_volume(), svm="svm_data_001").json()["job"]["_links"][
        "self"
    ]["href"]
    states = [call.get(href).json()["state"] for _ in range(3)]
    assert states == ["running", "running", "success"]


def test_jobs_are_scoped(call: Any) -> None:
    href = call.post("/api/storage/volumes", json=_new_volume(), svm="svm_data_001").json()["job"]["_links"][
        "self"
    ]["href"]
    assert call.get(href, svm="svm_data_001").status_code == 200
    assert call.get(href, svm="cluster_admin_svm").status_code == 404
    assert call.get("/api/cluster/jobs").json()["num_records"] == 1
    assert call.get("/api/cluster/job/x").status_code == 404


@pytest.mark.parametrize(
    ("svm", "body", "status", "code"),
    [
        ("svm_data_001", _new_volume("nfs_volume_ds01"), 409, "1"),
        (None, _new_volume(), 400, "2"),  # cluster scope, no svm.name
        ("cluster_admin_svm", _new_volume(), 400, "2"),
        ("svm_data_001", _new_volume(svm={"name": "other"}), 400, "2"),
        ("svm_data_001", _new_volume("9bad-name"), 400, "262197"),
        ("svm_data_001", _new_volume(color="red"), 400, "262179"),
        ("svm_data_001", _new_volume(aggregates=[{"name": "nope"}]), 400, "262197"),
        ("svm_data_001", _new_volume(size=-1), 400, "262197"),
    ],
)
def test_volume_create_refusals(
    call: Any, fake: FakeOntap, svm: str | None, body: dict[str, Any], status: int, code: str
) -> None:
    before = len(fake.state.volumes)
    response = call.post("/api/storage/volumes", json=body, svm=svm)
    assert response.status_code == status and _error(response)["code"] == code
    assert len(fake.state.volumes) == before and fake.state.jobs == {}


def test_volume_create_in_cluster_scope_names_the_svm(call: Any, fake: FakeOntap) -> None:
    response = call.post("/api/storage/volumes", json=_new_volume(svm={"name": "svm_data_001"}))
    assert response.status_code == 202 and fake.state.volume("vol_new", "svm_data_001")


EMS = {
    "computer_name": "cinder-host",
    "event_source": "Cinder driver NetApp_NFS_Cluster_direct",
    "app_version": "29.0.0",
    "category": "provisioning",
    "severity": "notice",
    "autosupport_required": False,
    "event_id": "0",
    "event_description": "OpenStack Cinder connected",
}


def test_ems_log_is_recorded_with_its_svm(call: Any, fake: FakeOntap) -> None:
    response = call.post("/api/support/ems/application-logs", json=EMS, svm="cluster_admin_svm")
    assert response.status_code == 201 and response.json() == {}
    (log,) = fake.state.ems_logs
    assert log.svm == "cluster_admin_svm" and log.user == "admin"
    assert log.fields["event_id"] == 0 and log.fields["computer_name"] == "cinder-host"
    call.post("/api/support/ems/application-logs", json=EMS)
    assert [log.svm for log in fake.state.ems_logs] == ["cluster_admin_svm", None]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"severity": "loud"}, "262197"),
        ({"event_id": "zero"}, "262197"),
        ({"autosupport_required": "no"}, "262197"),
        ({"extra": 1}, "262179"),
        ({"computer_name": None}, "2"),
    ],
)
def test_ems_refusals(call: Any, fake: FakeOntap, change: dict[str, Any], code: str) -> None:
    body = {k: v for k, v in {**EMS, **change}.items() if v is not None}
    response = call.post("/api/support/ems/application-logs", json=body)
    assert response.status_code == 400 and _error(response)["code"] == code
    assert fake.state.ems_logs == []


# -- errors -----------------------------------------------------------------------------------


def test_unknown_svm_gets_an_ontap_error(call: Any) -> None:
    response = call.get("/api/storage/volumes", svm="svm_ghost")
    assert response.status_code == 400
    assert _error(response) == {
        "message": 'SVM "svm_ghost" does not exist.',
        "code": "2",
        "target": "X-Dot-SVM-Name",
    }


@pytest.mark.parametrize(
    "auth",
    [("admin", "wrong"), ("root", "netapp123"), None],
    ids=["bad-password", "bad-user", "no-auth"],
)
def test_bad_basic_auth_gets_401(call: Any, auth: tuple[str, str] | None) -> None:
    call.session.auth = auth
    response = call.get("/api/cluster")
    assert response.status_code == 401 and _error(response)["code"] == "6"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("value", ["Bearer abc", "Basic !!!notbase64", "Basic " + "YWRtaW4="])
def test_malformed_authorization_gets_401(call: Any, value: str) -> None:
    call.session.auth = None
    assert call.get("/api/cluster", headers={"Authorization": value}).status_code == 401


def test_unknown_endpoint_gets_api_not_found(call: Any) -> None:
    response = call.get("/api/storage/luns")
    assert response.status_code == 404 and _error(response) == {"message": "API not found", "code": "3"}
    assert call.get("/not-api").status_code == 404


def test_wrong_method_gets_405(call: Any) -> None:
    assert call("DELETE", "/api/cluster").status_code == 405
    assert call("PATCH", "/api/storage/volumes/some-uuid").status_code == 405


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        (
            {"colour": "red"},
            400,
            {"message": 'Unexpected argument "colour".', "code": "262179", "target": "colour"},
        ),
        (
            {"fields": "name,warp"},
            400,
            {
                "message": 'The value "warp" is invalid for field "fields"',
                "code": "262197",
                "target": "fields",
            },
        ),
        ({"max_records": "0"}, 400, None),
        ({"max_records": "many"}, 400, None),
        ({"return_records": "maybe"}, 400, None),
        ({"start.name": "x"}, 400, None),
    ],
)
def test_bad_query_arguments(
    call: Any, params: dict[str, str], status: int, error: dict[str, str] | None
) -> None:
    response = call.get("/api/storage/volumes", params=params)
    assert response.status_code == status
    if error is not None:
        assert _error(response) == error


def test_object_get_refuses_filters(call: Any) -> None:
    response = call.get("/api/cluster", params={"name": "x"})
    assert response.status_code == 400 and _error(response)["code"] == "262179"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"name": "v"}', "text/plain"),
        (b'{"name": "v"}', None),
        (b"[" * 200_000, "application/json"),  # nesting the parser recurses into, level by level
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b'{"name": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001, "application/json"),
    ],
    ids=["broken", "array", "not-utf8", "text-plain", "no-type", "open-nesting", "closed-nesting",
         "deep-object"],
)
def test_malformed_bodies_get_400(call: Any, fake: FakeOntap, data: bytes, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = call.post("/api/storage/volumes", data=data, headers=headers, svm="svm_data_001")
    assert response.status_code == 400 and _error(response)["code"] == "2"
    assert fake.state.jobs == {}


def test_too_deeply_nested_json_says_so(call: Any) -> None:
    response = call.post("/api/support/ems/application-logs", data=b"[" * 200_000,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert _error(response) == {
        "message": "The request body is not valid JSON: it nests arrays or objects too deeply.", "code": "2"}


def test_huge_body_gets_413(call: Any) -> None:
    response = call.post(
        "/api/support/ems/application-logs",
        data=b"x" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and _error(response)["code"] == "2"


def test_mixed_case_names_survive_the_adapter(caller_for: Any) -> None:
    """requests-mock lowercases unless case_sensitive: the fake must not."""
    fake = FakeOntap.with_svms({"SVM_Mixed": ["Vol_Mixed"]}, oracle="collect")
    call = caller_for(fake)
    response = call.get("/api/storage/volumes", params={"nas.path": "/Vol_Mixed"}, svm="SVM_Mixed")
    assert _names(response) == ["Vol_Mixed"]
    assert fake.journal.entries[-1].path == "/api/storage/volumes"
    assert fake.journal.entries[-1].svm_header == "SVM_Mixed"
