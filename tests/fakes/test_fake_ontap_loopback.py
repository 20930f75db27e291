"""The loopback server: same answers as the adapter, 127.0.0.1 only, shut down cleanly."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from race_harness.fakes.ontap import FakeOntap, LoopbackServer

EMS = {
    "computer_name": "h",
    "event_source": "cinder",
    "app_version": "29",
    "category": "c",
    "severity": "notice",
    "autosupport_required": False,
    "event_id": 1,
    "event_description": "d",
}

DS02_UUID = "f1e70000-0000-4000-8000-000000000003"  # deterministic: the default cluster's 3rd volume

# (method, path with query, svm header, json body or raw bytes, auth)
REQUESTS: list[tuple[str, str, str | None, Any, bool]] = [
    ("GET", "/api//cluster/?fields=version&max_records=10000", "svm_data_001", None, True),
    ("GET", "/api/cluster", None, None, True),
    ("GET", "/api/cluster/nodes?fields=model,name", None, None, True),
    ("GET", "/api/svm/svms?fields=uuid,name", None, None, True),
    (
        "GET",
        "/api//storage/volumes/?nas.path=/nfs_volume_ds02&fields=name,style&max_records=10000",
        "svm_data_001",
        None,
        True,
    ),
    (
        "GET",
        "/api//storage/volumes/?nas.path=/nfs_volume_ds02&fields=name,style",
        "cluster_admin_svm",
        None,
        True,
    ),
    ("GET", "/api/storage/volumes?max_records=2&fields=*", None, None, True),
    ("GET", "/api/storage/aggregates?return_records=false?max_records=10000", None, None, True),
    ("GET", "/api/storage/aggregates", "svm_data_001", None, True),
    ("GET", f"/api/storage/volumes/{DS02_UUID}/files?fields=size", "svm_data_001", None, True),
    ("GET", "/api/storage/volumes", "svm_ghost", None, True),
    ("GET", "/api/storage/volumes?colour=red", None, None, True),
    ("GET", "/api/no/such/api", None, None, True),
    ("DELETE", "/api/cluster", None, None, True),
    ("GET", "/api/cluster", None, None, False),
    ("POST", "/api/support/ems/application-logs", "cluster_admin_svm", EMS, True),
    ("POST", "/api/storage/volumes", "svm_data_001", {"name": "v_new", "size": 1073741824}, True),
    ("GET", "/api/cluster/jobs?fields=state,svm.name", None, None, True),
    ("POST", "/api/storage/volumes", "svm_data_001", b"{broken", True),
    ("POST", "/api/support/ems/application-logs", None, b"x" * (1024 * 1024 + 10), True),
]


def _send(
    session: requests.Session, base: str, request: tuple[str, str, str | None, Any, bool]
) -> requests.Response:
    method, path, svm, body, auth = request
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if svm:
        headers["X-Dot-SVM-Name"] = svm
    data = body if isinstance(body, bytes) else json.dumps(body) if body is not None else None
    return session.request(
        method, base + path, headers=headers, data=data, auth=("admin", "netapp123") if auth else None
    )


def _answer(response: requests.Response) -> tuple[int, str | None, Any]:
    body = response.json() if response.content else None
    return response.status_code, response.headers.get("Content-Type"), body


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    with LoopbackServer(FakeOntap.default(oracle="collect")) as server:
        yield server
    assert not server.running


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


AUTH = b"Authorization: Basic YWRtaW46bmV0YXBwMTIz\r\n"  # admin:netapp123


def _plain_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment between us and 127.0.0.1
    return session


@pytest.mark.parametrize("index", range(len(REQUESTS)), ids=[f"{m} {p[:60]}" for m, p, *_ in REQUESTS])
def test_loopback_answers_like_the_adapter(index: int) -> None:
    """Fresh fakes both sides, the same request sequence up to ``index``: same answers."""
    via_adapter = FakeOntap.default(oracle="collect")
    adapter_session = via_adapter.mount(_plain_session())
    via_loopback = FakeOntap.default(oracle="collect")
    with LoopbackServer(via_loopback) as server:
        loop_session = _plain_session()
        for request in REQUESTS[: index + 1]:
            expected = _answer(_send(adapter_session, via_adapter.base_url, request))
            got = _answer(_send(loop_session, server.url, request))
            assert got == expected, request
    assert via_adapter.internal_errors == via_loopback.internal_errors == []
    assert [(e.method, e.path, e.svm_header, e.status) for e in via_loopback.journal.entries] == [
        (e.method, e.path, e.svm_header, e.status) for e in via_adapter.journal.entries
    ]


def test_binds_loopback_only_on_an_ephemeral_port(loopback: LoopbackServer) -> None:
    assert loopback.host == "127.0.0.1"
    assert loopback._server is not None
    assert loopback._server.server_address[0] == "127.0.0.1"
    assert loopback.port > 0 and loopback.url == f"http://127.0.0.1:{loopback.port}"
    response = _plain_session().get(loopback.url + "/api/cluster", auth=("admin", "netapp123"))
    assert response.status_code == 200


def test_stop_closes_the_port() -> None:
    server = LoopbackServer(FakeOntap.default()).start()
    port = server.port
    server.stop()
    server.stop()  # twice is fine
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_context_manager_stops_on_error() -> None:
    with pytest.raises(ZeroDivisionError), LoopbackServer(FakeOntap.default()) as server:
        port = server.port
        _ = 1 / 0
    assert not server.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_fixed_port_and_double_start(loopback: LoopbackServer) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        loopback.start()
    with pytest.raises(OSError):
        LoopbackServer(FakeOntap.default(), port=loopback.port).start()


@pytest.mark.parametrize("port", [-1, 65536, 70000])
def test_a_port_out_of_range_is_refused_before_binding(port: int) -> None:
    with pytest.raises(ValueError, match=f"port must be 0-65535 \\(0: any free port\\), not {port}"):
        LoopbackServer(FakeOntap.default(), port=port)


def test_bad_content_length_is_refused_and_server_survives(loopback: LoopbackServer) -> None:
    with socket.create_connection(("127.0.0.1", loopback.port), timeout=5) as sock:
        sock.sendall(b"POST /api/cluster HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n")
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 400") and b'"error"' in reply
    assert _plain_session().get(loopback.url + "/api/cluster", auth=("admin", "netapp123")).ok


def test_huge_declared_body_is_not_read_in_full(loopback: LoopbackServer) -> None:
    with socket.create_connection(("127.0.0.1", loopback.port), timeout=5) as sock:
        head = (
            b"POST /api/support/ems/application-logs HTTP/1.1\r\n"
            b"Host: x\r\nContent-Type: application/json\r\n"
        )
        sock.sendall(head + AUTH + b"Content-Length: 10000000000\r\n\r\n" + b"x" * (1024 * 1024 + 1))
        reply = _read_all(sock)  # the server answers and closes without waiting for 10 GB
    assert reply.startswith(b"HTTP/1.1 413") and b"Connection: close" in reply
    assert _plain_session().get(loopback.url + "/api/cluster", auth=("admin", "netapp123")).ok


def test_an_exception_in_the_fake_becomes_a_500(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(loopback.fake, "handle", explode)
    response = _plain_session().get(loopback.url + "/api/cluster")
    assert response.status_code == 500 and "kaboom" in response.json()["error"]["message"]
    monkeypatch.undo()
    assert _plain_session().get(loopback.url + "/api/cluster", auth=("admin", "netapp123")).ok


def test_request_list_names_a_real_volume() -> None:
    volume = FakeOntap.default().state.volume("nfs_volume_ds02", "svm_data_001")
    assert volume is not None and volume.uuid == DS02_UUID
