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
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING

from fakes.ontap.routes import MAX_BODY_BYTES

if TYPE_CHECKING:
    from fakes.ontap.fake import FakeOntap

LOOPBACK = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeOntap


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

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the fake's journal is the log."""


class LoopbackServer:
    """Serve a :class:`FakeOntap` on ``http://127.0.0.1:<port>`` (port 0: ephemeral)."""

    def __init__(self, fake: FakeOntap, port: int = 0):
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
