"""FakeOntap: the fake cluster, its journal and oracle, behind one handler.

Every request, whichever transport brought it, goes through
:meth:`FakeOntap.handle`, in this order:

1. read the request (:mod:`race_harness.fakes.ontap.request`), never raising;
2. journal it with the virtual time, the sending greenthread and the intent
   that greenthread declared, and add a ``request`` event to the run's trace;
3. let the oracle judge it: in ``"raise"`` mode a wrong-SVM request fails the
   run and raises in the sender here, unanswered;
4. ``io_point("ontap send ...")``: the request is on the wire, other
   greenthreads may run;
5. answer it from the state (:mod:`race_harness.fakes.ontap.routes`);
6. ``io_point("ontap recv ...", latency)``: the answer travels back.

Both points carry footprints so the harness's partial-order reduction knows
which requests commute: the send touches nothing of the cluster (the journal
declares its own append), the answer exactly what its handler read and wrote
(:mod:`race_harness.fakes.ontap.footprints`).  They do not vouch for the
client's own steps.

Outside a harness run the points are no-ops and the clock is real, so the
same fake serves plain tests and the loopback server.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import requests

from harness import current_thread_name, in_run, io_point, note, now
from race_harness.fakes.ontap.adapter import FakeAdapter, install, url_prefixes
from race_harness.fakes.ontap.footprints import OPAQUE, Footprint
from race_harness.fakes.ontap.journal import Journal
from race_harness.fakes.ontap.oracle import Oracle, OracleMode
from race_harness.fakes.ontap.records import Record
from race_harness.fakes.ontap.request import Credentials, Request, parse_request
from race_harness.fakes.ontap.routes import Reply, RouteTable, answer
from race_harness.fakes.ontap.state import DEFAULT_ADMIN_SVM, DEFAULT_VERSION, ClusterState

NOTHING = Footprint()  # the send touches no server state; the journal declares its own append

DEFAULT_HOST = "ontap.fake.test"
DEFAULT_SVMS: Mapping[str, list[str]] = {"svm_data_001": ["nfs_volume_ds01", "nfs_volume_ds02"]}
JSON_TYPE = "application/hal+json"


class Exchange(NamedTuple):
    """One request as the fake answered it, and what answering it touched."""

    status: int
    headers: dict[str, str]
    body: bytes
    footprint: Footprint


class FakeOntap:
    """An in-process ONTAP cluster the real cinder REST client can talk to."""

    def __init__(
        self,
        state: ClusterState,
        *,
        oracle: OracleMode = "raise",
        host: str = DEFAULT_HOST,
        username: str = "admin",
        password: str = "netapp123",
    ):
        self.state = state
        self.host = host
        self.credentials = Credentials(username, password)
        self.journal = Journal()
        self.oracle = Oracle(oracle)
        self.routes = RouteTable()
        self.internal_errors: list[BaseException] = []
        self._latency: dict[str, float] = {}
        self._lock = threading.RLock()
        self._adapter: FakeAdapter | None = None

    # -- construction -------------------------------------------------------

    @classmethod
    def with_svms(
        cls,
        svms: Mapping[str, Iterable[str]],
        *,
        admin_svm: str = DEFAULT_ADMIN_SVM,
        oracle: OracleMode = "raise",
        version: tuple[int, int, int] = DEFAULT_VERSION,
        svm_root_volumes: bool = True,
        **kwargs: Any,
    ) -> FakeOntap:
        """A cluster with the admin SVM and ``{data_svm: [flexvol names]}``."""
        state = ClusterState.build(
            svms, admin_svm=admin_svm, version=version, svm_root_volumes=svm_root_volumes
        )
        return cls(state, oracle=oracle, **kwargs)

    @classmethod
    def default(cls, oracle: OracleMode = "raise", **kwargs: Any) -> FakeOntap:
        """``cluster_admin_svm`` plus ``svm_data_001`` with two NFS FlexVols."""
        return cls.with_svms(DEFAULT_SVMS, oracle=oracle, **kwargs)

    # -- identity -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def username(self) -> str:
        return self.credentials.username

    @property
    def password(self) -> str:
        return self.credentials.password

    def __repr__(self) -> str:
        return (
            f"FakeOntap(host={self.host!r}, svms={sorted(self.state.svms)!r}, "
            f"oracle={self.oracle.mode!r}, requests={len(self.journal)})"
        )

    # -- configuration --------------------------------------------------------

    def set_latency(self, route: str, seconds: float) -> None:
        """Virtual seconds the answer to ``route`` takes ("GET /api/cluster"; "*": all)."""
        if seconds < 0:
            raise ValueError(f"latency must be >= 0, not {seconds}")
        known = self.routes.keys()
        if route != "*" and route not in known:
            raise ValueError(f"unknown route {route!r}; known routes: {', '.join(known)}, '*'")
        self._latency[route] = float(seconds)

    def latency(self, route: str | None) -> float:
        value = self._latency.get(route) if route is not None else None
        return value if value is not None else self._latency.get("*", 0.0)

    # -- transports ---------------------------------------------------------

    @property
    def adapter(self) -> FakeAdapter:
        if self._adapter is None:
            self._adapter = FakeAdapter(self)
        return self._adapter

    def mount(self, session: requests.Session) -> requests.Session:
        """Route one session's requests for :attr:`base_url` to the fake."""
        for prefix in url_prefixes(self.base_url):
            session.mount(prefix, self.adapter)
        return session

    @contextlib.contextmanager
    def installed(self) -> Iterator[FakeOntap]:
        """Route every session's requests for :attr:`base_url` to the fake."""
        with install(url_prefixes(self.base_url), self.adapter):
            yield self

    # -- the one handler ------------------------------------------------------

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (status, headers, body bytes)."""
        status, reply_headers, payload, _footprint = self.exchange(method, url, headers, body)
        return status, reply_headers, payload

    def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> Exchange:
        """:meth:`handle`, plus the footprint the answer declared to the harness (for tests
        of the reduction: what two requests touch decides whether they commute)."""
        request = parse_request(method, url, headers, body, self.credentials)
        entry = self.journal.record(
            time=now(),
            thread=current_thread_name(),
            method=request.method,
            path=request.path,
            query=request.query,
            svm_header=request.svm_header,
            user=request.user,
        )
        if in_run():  # describe() costs more than the no-op note outside a run
            note("request", entry.describe())
        self.oracle.check(entry)
        io_point(f"ontap send {request.method} {request.path}", footprint=NOTHING)
        reply = self._answer(request)
        self.journal.answered(entry, reply.status)
        io_point(f"ontap recv {request.method} {request.path}", self.latency(reply.route),
                 footprint=reply.footprint)
        return Exchange(reply.status, self._headers(reply.status, reply.body), _encode(reply.body),
                        reply.footprint)

    def _answer(self, request: Request) -> Reply:
        try:
            if in_run():  # one OS thread: no lock needed, and none held at a switch
                return answer(self.routes, self.state, request, now())
            with self._lock:
                return answer(self.routes, self.state, request, now())
        except Exception as exc:  # noqa: BLE001 - a bug of the fake: answer 500, keep it for tests
            self.internal_errors.append(exc)
            message = f"Internal error in the fake: {type(exc).__name__}: {exc}"
            # What it touched before failing is unknown: dependent on every step.
            return Reply(None, 500, {"error": {"message": message, "code": "500"}}, OPAQUE)

    @staticmethod
    def _headers(status: int, payload: Record | None) -> dict[str, str]:
        headers = {"Content-Type": JSON_TYPE} if payload is not None else {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="ontap.fake"'
        return headers


def _encode(payload: Record | None) -> bytes:
    return b"" if payload is None else json.dumps(payload).encode("utf-8")
