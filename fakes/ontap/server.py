"""The same fake over real HTTP, on 127.0.0.1 only.

For stress baselines (what a real socket costs next to the adapter) and for
manual use (curl, a cinder-volume pointed at it).  It has no routes of its
own: every request goes to :meth:`FakeOntap.handle`, the handler the adapter
uses, so the two transports cannot drift apart.  Requests arrive on server
threads, not on the sender's greenthread, so they are journaled with the
server thread's name and no declared intent.

Bodies larger than the fake accepts are not read in full: the server reads
one byte past the limit (enough for the fake to refuse it with 413) and
closes the connection.

Load: one thread per connection, and a listen queue of :data:`BACKLOG`
(1024) connections, so a burst of up to 1,000 clients connecting at the same
instant is queued, not reset (tested with 500; the kernel may cap the queue
lower: Linux's ``net.core.somaxconn``, 4096 by default since 5.4).  Requests
are answered one at a time under the fake's lock.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING

from race_harness.fakes.ontap.routes import MAX_BODY_BYTES

if TYPE_CHECKING:
    from race_harness.fakes.ontap.fake import FakeOntap

LOOPBACK = "127.0.0.1"
# Connections the kernel queues before the server accepts them.  socketserver's 5
# resets tens of clients connecting at once; 128 overflowed with 500 (12-114 reset).
BACKLOG = 1024
_DRAIN_LIMIT = 16 * MAX_BODY_BYTES


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = BACKLOG
    fake: FakeOntap

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        """Close gently: when the answer came before the whole request was read (a body
        over the limit, an over-long request line), read the rest away first.  Closing
        with unread input sends a reset, which can destroy the answer in flight."""
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(1.0)
            drained = 0
            while drained < _DRAIN_LIMIT and (chunk := request.recv(65536)):
                drained += len(chunk)
        except OSError:
            pass
        self.close_request(request)


def _error_body(message: str) -> bytes:
    """An ONTAP-shaped error for what the server refuses before the fake sees it."""
    return json.dumps({"error": {"message": message, "code": "2"}}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave as separate writes
    timeout = 30

    def _read_body(self) -> bytes | None:
        """The body, truncated one byte past the limit; None if unreadable."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0:
            return None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self.rfile.read(MAX_BODY_BYTES + 1)
        return self.rfile.read(length)

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._reply(
                400, {"Content-Type": "application/hal+json"}, _error_body("Invalid Content-Length header.")
            )
            return
        url = f"http://{LOOPBACK}:{self.server.server_address[1]}{self.path}"
        try:
            status, headers, payload = self.server.fake.handle(
                self.command, url, dict(self.headers.items()), body
            )
        except Exception as exc:  # noqa: BLE001 - e.g. the oracle raising: never kill the server
            status, headers = 500, {"Content-Type": "application/hal+json"}
            payload = _error_body(f"{type(exc).__name__}: {exc}")
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the HTTP layer refuses (not HTTP, a request line too long, an unknown
        method or version) is answered like the rest: an ONTAP error body, in HTTP/1.1."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # a garbage request line: still answer with a status line
            self.request_version = "HTTP/1.1"
        reason = self.responses.get(code, ("Error",))[0]
        self._reply(code, {"Content-Type": "application/hal+json"}, _error_body(message or reason))

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the fake's journal is the log."""


class LoopbackServer:
    """Serve a :class:`FakeOntap` on ``http://127.0.0.1:<port>`` (port 0: ephemeral).

    Loopback only, by design: the fake's one account has a well-known
    password and it answers anything, so ``host`` accepts nothing but
    ``127.0.0.1`` (``localhost``); ``0.0.0.0`` or a real interface is refused.
    """

    def __init__(self, fake: FakeOntap, port: int = 0, host: str = LOOPBACK):
        if host not in (LOOPBACK, "localhost"):
            raise ValueError(
                f"the fake ONTAP serves on {LOOPBACK} only, not {host!r}: it would expose a server "
                "with a well-known password to the network"
            )
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0-65535 (0: any free port), not {port}")
        self.fake = fake
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the loopback server is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LoopbackServer:
        if self._server is not None:
            raise RuntimeError("the loopback server is already running")
        server = _Server((LOOPBACK, self._requested_port), _Handler)
        server.fake = self.fake
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-ontap-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
