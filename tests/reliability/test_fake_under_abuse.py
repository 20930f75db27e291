"""The fake ONTAP over real HTTP, abused: it answers in ONTAP's shape, stays up, keeps its journal.

Malformed JSON (nested 200,000 deep too), wrong content types, huge and
truncated bodies, unknown routes, bad credentials and bytes that are not HTTP
at all; 500 clients connecting at the same instant; then (slow) a thousand
requests from fifty threads at once.  After all of it a normal
request still works, and the journal holds exactly the requests that reached
the fake, in strictly increasing ``seq`` order, each with its answer.
"""

from __future__ import annotations

import base64
import itertools
import json
import resource
import selectors
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import requests

from race_harness.fakes.ontap import FakeOntap, LoopbackServer
from race_harness.fakes.ontap.routes import MAX_BODY_BYTES
from race_harness.fakes.ontap.server import BACKLOG

USER, PASSWORD = "admin", "netapp123"
EMS = "/api/support/ems/application-logs"


@pytest.fixture
def fake() -> FakeOntap:
    return FakeOntap.default(oracle="collect")


@pytest.fixture
def server(fake: FakeOntap) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake) as running:
        yield running


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_ontap_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/hal+json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str)
    return body


def assert_consistent(fake: FakeOntap, expected: int) -> None:
    entries = fake.journal.entries
    assert len(entries) == expected
    seqs = [entry.seq for entry in entries]
    assert all(b > a for a, b in itertools.pairwise(seqs)), "seq not strictly increasing"
    assert all(entry.status is not None for entry in entries), "a request was never answered"
    assert fake.internal_errors == []


ABUSE: dict[str, tuple[str, str, dict[str, str], bytes, int, str]] = {
    # name: (method, path, headers, body, status, ONTAP code)
    "malformed JSON": ("POST", EMS, {"Content-Type": "application/json"}, b'{"event_id": 1,', 400, "2"),
    "JSON that is not an object": ("POST", EMS, {"Content-Type": "application/json"}, b"[1, 2]", 400, "2"),
    "JSON nested 200,000 deep": ("POST", EMS, {"Content-Type": "application/json"}, b"[" * 200_000, 400, "2"),
    "an object nested 100,000 deep": ("POST", "/api/storage/volumes",
                                      {"Content-Type": "application/json", "X-Dot-SVM-Name": "svm_data_001"},
                                      b'{"name": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001, 400, "2"),
    "not UTF-8": ("POST", EMS, {"Content-Type": "application/json"}, b"\xff\xfe{}", 400, "2"),
    "text/plain": ("POST", EMS, {"Content-Type": "text/plain"}, b'{"event_id": 1}', 400, "2"),
    "form-encoded": ("POST", EMS, {"Content-Type": "application/x-www-form-urlencoded"}, b"a=b", 400, "2"),
    "no content type": ("POST", EMS, {}, b'{"event_id": 1}', 400, "2"),
    "unknown route": ("GET", "/api/no/such/thing", {}, b"", 404, "3"),
    "outside the API": ("GET", "/etc/passwd", {}, b"", 404, "3"),
    "path traversal": ("GET", "/api/../../etc/passwd", {}, b"", 404, "3"),
    "unknown SVM": ("GET", "/api/storage/volumes", {"X-Dot-SVM-Name": "svm_ghost"}, b"", 400, "2"),
    "wrong method": ("DELETE", "/api/cluster", {}, b"", 405, "3"),
}
CREDENTIALS: dict[str, dict[str, str]] = {
    "no credentials": {},
    "wrong password": {"Authorization": _basic(USER, "wrong")},
    "wrong user": {"Authorization": _basic("root", PASSWORD)},
    "not base64": {"Authorization": "Basic ***not-base64***"},
    "no colon": {"Authorization": "Basic " + base64.b64encode(PASSWORD.encode()).decode()},
    "bearer token": {"Authorization": "Bearer abc.def.ghi"},
    "empty": {"Authorization": ""},
}


def test_every_abuse_gets_an_ontap_error_and_the_server_stays_up(fake: FakeOntap,
                                                               server: LoopbackServer) -> None:
    session = requests.Session()
    sent = 0
    for name, (method, path, headers, body, status, code) in ABUSE.items():
        auth = {"Authorization": _basic(USER, PASSWORD)}
        response = session.request(method, server.url + path, headers={**auth, **headers}, data=body,
                                   timeout=10)
        sent += 1
        assert_ontap_error(response, status, code), name
    for name, headers in CREDENTIALS.items():
        response = session.get(server.url + "/api/cluster", headers=headers, timeout=10)
        sent += 1
        assert_ontap_error(response, 401, "6"), name
        assert response.headers.get("WWW-Authenticate", "").startswith("Basic")
    assert session.get(server.url + "/api/cluster", auth=(USER, PASSWORD), timeout=10).status_code == 200
    sent += 1
    assert_consistent(fake, sent)
    assert {entry.user for entry in fake.journal.entries} <= {USER, "root", None}


def test_a_huge_body_is_refused_without_reading_it_all(fake: FakeOntap, server: LoopbackServer) -> None:
    huge = b"{" + b" " * (MAX_BODY_BYTES * 4) + b"}"
    response = requests.post(server.url + EMS, data=huge, auth=(USER, PASSWORD), timeout=30,
                             headers={"Content-Type": "application/json"})
    assert_ontap_error(response, 413, "2")
    assert requests.get(server.url + "/api/cluster", auth=(USER, PASSWORD), timeout=10).status_code == 200
    assert_consistent(fake, 2)


def _raw(server: LoopbackServer, payload: bytes, *, read: bool = True) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as connection:
        connection.sendall(payload)
        connection.shutdown(socket.SHUT_WR)
        if not read:
            return b""
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.mark.parametrize("payload", [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),  # a TLS ClientHello
    b"GARBAGE\r\n\r\n",
    b"GET /api/cluster HTTP/9.9\r\n\r\n",
    b"GET " + b"/a" * 40000 + b" HTTP/1.1\r\n\r\n",  # request line longer than the server reads
    b"\x00" * 1000,
    b"",
], ids=["tls", "garbage", "bad-version", "long-line", "nul-bytes", "empty"])
def test_bytes_that_are_not_http_do_not_hurt_the_server(fake: FakeOntap, server: LoopbackServer,
                                                      payload: bytes) -> None:
    answer = _raw(server, payload)
    if payload:  # an empty connection is just closed; anything else gets an ONTAP error
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 4") or head.startswith(b"HTTP/1.1 5"), answer[:200]
        assert b"Content-Type: application/hal+json" in head
        assert set(json.loads(body)) == {"error"} and json.loads(body)["error"]["code"] == "2"
    else:
        assert answer == b""
    assert requests.get(server.url + "/api/cluster", auth=(USER, PASSWORD), timeout=10).status_code == 200
    assert_consistent(fake, 1)  # none of it reached the fake as a request


def test_a_body_shorter_than_announced_is_answered(fake: FakeOntap, server: LoopbackServer) -> None:
    head = (f"POST {EMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {_basic(USER, PASSWORD)}\r\n"
            "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n").encode()
    answer = _raw(server, head + b'{"event_id":')
    assert answer.startswith(b"HTTP/1.1 400")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "2"
    assert_consistent(fake, 1)


@pytest.mark.slow
def test_a_thousand_requests_from_fifty_threads(fake: FakeOntap, server: LoopbackServer) -> None:
    threads, per_thread = 50, 20
    failures: list[str] = []
    counts = {"ok": 0, "refused": 0}
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def client(number: int) -> None:
        session = requests.Session()
        start.wait()
        for i in range(per_thread):
            try:
                if (number + i) % 4 == 0:  # one in four is abuse
                    response = session.post(server.url + EMS, data=b"{broken", auth=(USER, PASSWORD),
                                            headers={"Content-Type": "application/json"}, timeout=20)
                    ok = response.status_code == 400 and response.json()["error"]["code"] == "2"
                    key = "refused"
                else:
                    svm = "svm_data_001" if i % 2 else None
                    response = session.get(server.url + "/api/storage/volumes?fields=name",
                                           headers={"X-Dot-SVM-Name": svm} if svm else {},
                                           auth=(USER, PASSWORD), timeout=20)
                    ok = response.status_code == 200 and "records" in response.json()
                    key = "ok"
            except Exception as exc:  # noqa: BLE001 - counted and reported below
                ok, key = False, f"{type(exc).__name__}: {exc}"
            with lock:
                if ok:
                    counts[key] += 1
                else:
                    failures.append(key)

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=max(0.0, 30 - (time.monotonic() - started)))
    elapsed = time.monotonic() - started
    assert not any(worker.is_alive() for worker in workers), f"clients still running after {elapsed:.1f} s"
    assert failures == []
    assert counts == {"ok": 750, "refused": 250}
    assert elapsed < 30
    assert_consistent(fake, threads * per_thread)
    assert len({entry.thread for entry in fake.journal.entries}) > 1  # served concurrently


CLIENTS = 500
SYN_SENT = 2  # Linux's TCP_INFO tcpi_state of a connection whose handshake has not completed


@pytest.fixture
def many_fds() -> Iterator[None]:
    """Room for 500 client sockets and the server's 500 in one process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * CLIENTS + 256
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"needs {wanted} open files, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _exchange_all(clients: Sequence[socket.socket], request: bytes, deadline: float) -> list[bytes]:
    """Send ``request`` on every socket and read each answer to EOF, all from one thread
    (a selector), until ``deadline`` (time.monotonic); what was read by then.  A reset
    ends that client's answer with ``<ConnectionResetError>``."""
    answers = [b""] * len(clients)
    unsent = dict.fromkeys(range(len(clients)), request)
    with selectors.DefaultSelector() as selector:
        for index, client in enumerate(clients):
            selector.register(client, selectors.EVENT_WRITE, index)
        while selector.get_map() and time.monotonic() < deadline:
            for key, _events in selector.select(timeout=0.5):
                client, index = clients[key.data], key.data
                try:
                    if index in unsent:
                        unsent[index] = unsent[index][client.send(unsent[index]):]
                        if not unsent[index]:
                            del unsent[index]
                            selector.modify(client, selectors.EVENT_READ, index)
                        continue
                    chunk = client.recv(65536)
                    answers[index] += chunk
                except OSError as exc:
                    chunk, answers[index] = b"", answers[index] + f"<{type(exc).__name__}>".encode()
                if not chunk:
                    selector.unregister(client)
    return answers


def test_500_clients_connecting_at_once_are_queued_and_answered(fake: FakeOntap, server: LoopbackServer,
                                                                many_fds: None) -> None:
    """Connect 500 clients in a burst faster than the server accepts (it accepts in a
    Python thread; the kernel completes handshakes on its own while the listen queue has
    room), then let each send one request: every one is queued at once, every one answered."""
    request = (f"GET /api/cluster?fields=version HTTP/1.1\r\nHost: {server.host}\r\n"
               f"Authorization: {_basic(USER, PASSWORD)}\r\nConnection: close\r\n\r\n").encode()
    clients = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(CLIENTS)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex((server.host, server.port))
        if sys.platform.startswith("linux"):
            waiting = [c for c in clients
                       if c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] == SYN_SENT]
            assert waiting == [], (f"{len(waiting)} of {CLIENTS} connections were dropped by a full listen "
                                   f"queue (backlog {BACKLOG}) and wait for the kernel to retry")
        answers = _exchange_all(clients, request, deadline=time.monotonic() + 60)
    finally:
        for client in clients:
            client.close()
    statuses = sorted({answer.split(b"\r\n", 1)[0] for answer in answers})
    assert statuses == [b"HTTP/1.1 200 OK"], statuses
    assert all(json.loads(a.split(b"\r\n\r\n", 1)[1])["version"]["generation"] == 9 for a in answers)
    assert_consistent(fake, CLIENTS)
