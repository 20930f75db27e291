"""The cluster model: what a test builds in one line, and what it can check after."""

from __future__ import annotations

import pytest

from race_harness.fakes.ontap import ClusterState, FakeOntap


def test_default_cluster_is_the_incident_cluster() -> None:
    fake = FakeOntap.default()
    state = fake.state
    assert fake.host == "ontap.fake.test"
    assert fake.base_url == "https://ontap.fake.test"
    assert (fake.username, fake.password) == ("admin", "netapp123")
    assert state.admin_svm == "cluster_admin_svm"
    assert state.svms["cluster_admin_svm"].is_admin
    assert [s.name for s in state.data_svms()] == ["svm_data_001"]
    assert state.volumes_of("cluster_admin_svm") == []
    flexvols = {v.name: v.junction_path for v in state.volumes_of("svm_data_001")}
    assert flexvols == {
        "svm_data_001_root": "/",
        "nfs_volume_ds01": "/nfs_volume_ds01",
        "nfs_volume_ds02": "/nfs_volume_ds02",
    }
    assert state.cluster.version >= (9, 11, 1)  # the cinder REST client's minimum


def test_with_svms_builds_several_data_svms() -> None:
    fake = FakeOntap.with_svms({"svm_a": ["vol_a1"], "svm_b": ["vol_b1", "vol_b2"]}, admin_svm="adm")
    assert sorted(fake.state.svms) == ["adm", "svm_a", "svm_b"]
    assert [v.name for v in fake.state.volumes_of("svm_b") if not v.is_svm_root] == [
        "vol_b1",
        "vol_b2",
    ]
    assert fake.state.volumes_of("adm") == []


def test_flexvol_attributes() -> None:
    vol = FakeOntap.default().state.volume("nfs_volume_ds02", "svm_data_001")
    assert vol is not None
    assert (vol.style, vol.type, vol.is_svm_root, vol.state) == ("flexvol", "rw", False, "online")
    assert vol.aggregates[0].name == "aggr1"
    assert vol.afs_total == vol.size - vol.size * vol.snapshot_reserve_percent // 100
    assert vol.available == vol.afs_total - vol.used
    assert vol.used < vol.size


def test_root_volumes_can_be_left_out() -> None:
    state = ClusterState.build({"svm_a": ["v"]}, svm_root_volumes=False)
    assert [v.name for v in state.volumes] == ["v"]


def test_root_volume_is_marked() -> None:
    state = ClusterState.build({"svm_a": []})
    (root,) = state.volumes
    assert root.is_svm_root and root.junction_path == "/" and root.name == "svm_a_root"


def test_identifiers_are_deterministic_and_ordered() -> None:
    one = ClusterState.build({"svm_a": ["v1", "v2"]})
    two = ClusterState.build({"svm_a": ["v1", "v2"]})
    assert [v.uuid for v in one.volumes] == [v.uuid for v in two.volumes]
    assert [v.uuid for v in one.volumes] == sorted(v.uuid for v in one.volumes)
    assert len({v.uuid for v in one.volumes}) == 3


def test_admin_svm_cannot_own_flexvols() -> None:
    state = ClusterState.build({"svm_a": []})
    with pytest.raises(ValueError, match="admin SVM"):
        state.add_volume("cluster_admin_svm", "v")


def test_duplicate_names_are_refused() -> None:
    state = ClusterState.build({"svm_a": ["v"]})
    with pytest.raises(ValueError, match="already exists"):
        state.add_volume("svm_a", "v")
    with pytest.raises(ValueError, match="already exists"):
        state.add_svm("svm_a")


def test_files_live_in_a_flexvol() -> None:
    state = ClusterState.build({"svm_a": ["v"]})
    state.add_file("svm_a", "v", "volume-1", 42)
    assert state.volume("v", "svm_a").files == {"volume-1": 42}  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="no volume"):
        state.add_file("svm_a", "ghost", "f", 1)
