"""A model of cinder's ``RestNaServer`` (NetApp ``client/api.py``), old and fixed.

Only what the races touch is modelled, in the same order of shared-state
accesses and I/O as cinder 29.0.0: ``invoke_successfully`` builds the headers
(reading ``get_vserver()`` when tunneling), ``send_http_request`` builds a
fresh ``requests.Session`` *stored on the connection* and then reads
``self._session`` back to send.  The requests go through a real
``requests.Session`` (basic auth, an ``HTTPAdapter`` mounted like cinder
does), so whatever transport the fake ONTAP installs sees them exactly as it
would see cinder's.

``_build_session`` touches ``self._session`` five times, as the real one
does: under the preemptive model each access is a switch point, which is
where native threads lose the race (one thread's headers landing on the
other thread's session).

The fixed connections below override only the methods their fix changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests
from requests import auth
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from race_harness.scenarios.netapp.errors import NaApiError

Headers = dict[str, str]
Query = dict[str, Any]
Body = dict[str, Any] | None


class RestNaServerModel:
    """The old connection: the session of the last request lives on ``self``."""

    TRANSPORT_PORT = {"http": "80", "https": "443"}

    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        transport_type: str = "https",
        port: str | int | None = None,
        ssl_cert_verify: bool = True,
    ) -> None:
        self._host = host
        self._protocol = transport_type.lower()
        self._port = str(port) if port is not None else self.TRANSPORT_PORT[self._protocol]
        self._username = username
        self._password = password
        self._ssl_verify = ssl_cert_verify
        self._ontap_version: tuple[int, int, int] | None = None
        self._timeout: int | None = None

    # -- the tunneling target (shared, mutable: race 2 is about this) -----
    def set_vserver(self, vserver: str | None) -> None:
        """Set the SVM that tunneled requests are scoped to."""
        self._vserver = vserver

    def get_vserver(self) -> str | None:
        """The SVM that tunneled requests are scoped to, read at header time."""
        return self._vserver

    def set_ontap_version(self, version: tuple[int, int, int]) -> None:
        self._ontap_version = version

    def get_ontap_version(self) -> tuple[int, int, int] | None:
        return self._ontap_version

    def set_timeout(self, seconds: int) -> None:
        self._timeout = int(seconds)

    # -- URL and headers ----------------------------------------------------
    def _get_base_url(self) -> str:
        """``https://host:port/api/``: actions start with '/', hence '/api//x'."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{self._protocol}://{host}:{self._port}/api/"

    def _add_query_params_to_url(self, url: str, query: Query) -> str:
        """Appends the query unencoded, joined with '&', like the real client."""
        return url + "?" + "&".join(f"{key}={value}" for key, value in query.items())

    def _build_headers(self, enable_tunneling: bool) -> Headers:
        """JSON headers, plus the SVM header read *now* from ``get_vserver()``."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if enable_tunneling:
            headers["X-Dot-SVM-Name"] = self.get_vserver()  # type: ignore[assignment]
        return headers

    def _create_basic_auth_handler(self) -> auth.HTTPBasicAuth:
        return auth.HTTPBasicAuth(self._username, self._password)

    # -- the session (race 1 is about this) ----------------------------------
    def _build_session(self, headers: Headers) -> None:
        """Build the request's session and store it on ``self._session``."""
        self._session = requests.Session()
        retries = Retry(total=5, connect=5, read=2, backoff_factor=1)
        self._session.mount(f"{self._protocol}://", HTTPAdapter(max_retries=retries))
        self._session.auth = self._create_basic_auth_handler()
        self._session.verify = self._ssl_verify
        self._session.headers = headers  # type: ignore[assignment]

    def _get_request_method(self, method: str, session: requests.Session) -> Callable[..., Any]:
        methods: dict[str, Callable[..., Any]] = {
            "post": session.post,
            "get": session.get,
            "put": session.put,
            "delete": session.delete,
            "patch": session.patch,
        }
        return methods[method]

    def send_http_request(
        self, method: str, url: str, body: Body, headers: Headers
    ) -> tuple[int, dict[str, Any]]:
        """Send through the session just built, read back from ``self._session``."""
        data = json.dumps(body) if body else {}
        self._build_session(headers)
        request_method = self._get_request_method(method, self._session)
        return self._perform(request_method, url, data)

    def _perform(
        self, request_method: Callable[..., Any], url: str, data: object
    ) -> tuple[int, dict[str, Any]]:
        """The I/O and the decoding, with requests errors turned into NaApiError."""
        try:
            if self._timeout is not None:
                response = request_method(url, data=data, timeout=self._timeout)
            else:
                response = request_method(url, data=data)
        except requests.HTTPError as exc:
            raise NaApiError(str(exc.errno), str(exc.strerror)) from exc
        except Exception as exc:
            raise NaApiError(message=str(exc)) from exc
        content = json.loads(response.content) if response.content else {}
        return response.status_code, content

    def invoke_successfully(
        self,
        action_url: str,
        method: str,
        body: Body = None,
        query: Query | None = None,
        enable_tunneling: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        """Headers first (the SVM is read here), then the request; errors raise."""
        headers = self._build_headers(enable_tunneling)
        return self._invoke(action_url, method, body, query, headers)

    def _invoke(
        self, action_url: str, method: str, body: Body, query: Query | None, headers: Headers
    ) -> tuple[int, dict[str, Any]]:
        if query:
            action_url = self._add_query_params_to_url(action_url, query)
        url = self._get_base_url() + action_url
        code, response = self.send_http_request(method, url, body, headers)
        error = response.get("error")
        if not error:
            return code, response
        raise NaApiError(
            error.get("code", "ESTATUSFAILED"),
            error.get("message") or "Execution status is failed due to unknown reason",
        )

    def __str__(self) -> str:
        return f"server: {self._host}"


class LocalSessionRestNaServer(RestNaServerModel):
    """Race-1 fix: ``_build_session`` returns a local session; nothing shared."""

    def _build_session(self, headers: Headers) -> requests.Session:  # type: ignore[override]
        session = requests.Session()
        retries = Retry(total=5, connect=5, read=2, backoff_factor=1)
        session.mount(f"{self._protocol}://", HTTPAdapter(max_retries=retries))
        session.auth = self._create_basic_auth_handler()
        session.verify = self._ssl_verify
        session.headers = headers  # type: ignore[assignment]
        return session

    def send_http_request(
        self, method: str, url: str, body: Body, headers: Headers
    ) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body) if body else {}
        session = self._build_session(headers)
        request_method = self._get_request_method(method, session)
        return self._perform(request_method, url, data)


class VserverParamRestNaServer(RestNaServerModel):
    """Fix D: callers may name the SVM per request instead of mutating ours."""

    def _build_headers(self, enable_tunneling: bool, vserver: str | None = None) -> Headers:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if enable_tunneling:
            headers["X-Dot-SVM-Name"] = vserver or self.get_vserver()  # type: ignore[assignment]
        return headers

    def invoke_successfully(
        self,
        action_url: str,
        method: str,
        body: Body = None,
        query: Query | None = None,
        enable_tunneling: bool = False,
        vserver: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        headers = self._build_headers(enable_tunneling, vserver=vserver)
        return self._invoke(action_url, method, body, query, headers)
