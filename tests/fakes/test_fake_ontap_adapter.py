"""The adapter transport: mount on one session, or install for every session."""

from __future__ import annotations

import threading

import pytest
import requests
from requests.adapters import HTTPAdapter

from race_harness.fakes.ontap import FakeOntap
from race_harness.fakes.ontap.adapter import FakeAdapter, is_installed, url_prefixes


def _cinder_like_session() -> requests.Session:
    """What cinder's _build_session makes: a new session with its own HTTPAdapter."""
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=5))
    session.auth = ("admin", "netapp123")
    return session


def test_installed_routes_every_new_session_to_the_fake() -> None:
    fake = FakeOntap.default(oracle="collect")
    original = requests.Session.get_adapter
    with fake.installed():
        response = _cinder_like_session().get("https://ontap.fake.test:443/api//cluster/?fields=version")
        assert response.status_code == 200 and response.json()["version"]["major"] == 14
        assert isinstance(_cinder_like_session().get_adapter("https://ontap.fake.test/api"), FakeAdapter)
    assert requests.Session.get_adapter is original
    assert not is_installed()
    assert len(fake.journal) == 1


def test_installed_leaves_other_hosts_alone() -> None:
    with FakeOntap.default().installed():
        session = _cinder_like_session()
        for url in [
            "https://example.com/api",
            "https://ontap.fake.test.evil.example/api",
            "http://ontap.fake.test/api",
        ]:
            assert isinstance(session.get_adapter(url), HTTPAdapter)


def test_installations_nest_innermost_wins_and_unwind_on_error() -> None:
    outer = FakeOntap.default(oracle="collect")
    inner = FakeOntap.with_svms({"svm_other": []}, oracle="collect")
    original = requests.Session.get_adapter
    with outer.installed():
        with pytest.raises(KeyError), inner.installed():
            names = [
                r["name"]
                for r in _cinder_like_session().get("https://ontap.fake.test/api/svm/svms").json()["records"]
            ]
            assert names == ["svm_other"]
            raise KeyError("boom")
        names = [
            r["name"]
            for r in _cinder_like_session().get("https://ontap.fake.test/api/svm/svms").json()["records"]
        ]
        assert names == ["svm_data_001"]
        assert requests.Session.get_adapter is not original
    assert requests.Session.get_adapter is original
    assert (len(outer.journal), len(inner.journal)) == (1, 1)


def test_mount_affects_only_that_session() -> None:
    fake = FakeOntap.default(oracle="collect")
    mounted = fake.mount(requests.Session())
    assert isinstance(mounted.get_adapter("https://ontap.fake.test/api/cluster"), FakeAdapter)
    assert isinstance(mounted.get_adapter("https://ontap.fake.test:443/api/cluster"), FakeAdapter)
    assert isinstance(requests.Session().get_adapter("https://ontap.fake.test/api"), HTTPAdapter)


def test_url_prefixes() -> None:
    assert url_prefixes("https://Ontap.Fake.Test") == (
        "https://ontap.fake.test/",
        "https://ontap.fake.test:443/",
    )
    assert url_prefixes("http://127.0.0.1:8080/") == ("http://127.0.0.1:8080/",)


def test_adapter_keeps_no_request_history(call: object, fake: FakeOntap) -> None:
    for _ in range(3):
        requests_session = fake.mount(requests.Session())
        requests_session.get(fake.base_url + "/api/cluster", auth=(fake.username, fake.password))
    assert fake.adapter.request_history == [] and len(fake.journal) == 3


def test_adapter_serves_concurrent_threads_without_a_global_lock() -> None:
    """No requests_mock.Mocker: concurrent senders never wait on a process-wide lock."""
    fake = FakeOntap.default(oracle="collect")
    inside = threading.Barrier(4, timeout=10)
    original_handle = fake.handle

    def handle(*args: object, **kwargs: object) -> tuple[int, dict[str, str], bytes]:
        inside.wait()  # all four senders must be inside the fake at the same time
        return original_handle(*args, **kwargs)  # type: ignore[arg-type]

    fake.handle = handle  # type: ignore[method-assign]
    statuses: list[int] = []
    with fake.installed():
        threads = [
            threading.Thread(
                target=lambda: statuses.append(
                    _cinder_like_session().get("https://ontap.fake.test/api/cluster").status_code
                )
            )
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
    assert statuses == [200] * 4


def test_a_stale_entry_does_not_keep_a_later_install_from_patching() -> None:
    """An install interrupted after registering (a Ctrl-C in the code under test) leaves an
    entry behind; once something restores ``get_adapter``, the next install must patch
    again, or every later request goes to the real network."""
    from race_harness.fakes.ontap import adapter as adapter_module

    real = requests.Session.get_adapter
    stale = (("https://stale.invalid/",), object())
    adapter_module._installed = (*adapter_module._installed, stale)  # type: ignore[assignment]
    try:
        fake = FakeOntap.default()
        with fake.installed():
            assert requests.Session.get_adapter is adapter_module._get_adapter
            session = requests.Session()
            answer = session.get(f"{fake.base_url}/api/cluster", auth=(fake.username, fake.password))
            assert answer.status_code == 200
        assert requests.Session.get_adapter is adapter_module._get_adapter  # the stale entry holds it
    finally:
        adapter_module._installed = tuple(e for e in adapter_module._installed if e is not stale)
        requests.Session.get_adapter = real  # type: ignore[method-assign]
