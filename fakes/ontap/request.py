"""One incoming request, read off either transport into one shape.

Both transports (the requests-mock adapter and the loopback HTTP server) hand
the fake a method, a URL, headers and a body; this module turns them into a
:class:`Request` the routes can trust.  It never raises: whatever is wrong
with the request (a path ONTAP's web server would not route, credentials that
do not decode) becomes data the routes answer with an ONTAP error.

Paths are normalised as ONTAP's web server does: repeated slashes collapse
(the cinder client sends ``/api//cluster/``) and a trailing slash is ignored.
Credentials are checked here and dropped: only the user name travels on.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from race_harness.fakes.ontap.query import parse_query

SVM_HEADER = "x-dot-svm-name"
_SLASHES = re.compile(r"/{2,}")


@dataclass(frozen=True)
class Credentials:
    """The one account the fake cluster accepts."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    params: Mapping[str, str]
    svm_header: str | None
    user: str | None
    authenticated: bool
    content_type: str | None
    body: bytes


def normalise_path(path: str) -> str:
    path = _SLASHES.sub("/", unquote(path) or "/")
    return path.rstrip("/") or "/"


def _header_map(headers: Mapping[str, str] | None) -> dict[str, str]:
    if not headers:
        return {}
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _basic_auth(value: str | None, expected: Credentials) -> tuple[str | None, bool]:
    """(user name, credentials valid) from an Authorization header value."""
    if not value:
        return None, False
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None, False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, False
    user, sep, password = decoded.partition(":")
    if not sep:  # no "user:" part: the whole token may be a password, never journal it as a user
        return None, False
    ok = hmac.compare_digest(
        f"{user}:{password}".encode(), f"{expected.username}:{expected.password}".encode()
    )
    return user, ok


def _body_bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def parse_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    credentials: Credentials,
) -> Request:
    parts = urlsplit(url)
    header = _header_map(headers)
    user, ok = _basic_auth(header.get("authorization"), credentials)
    return Request(
        method=method.upper(),
        path=normalise_path(parts.path),
        query=parts.query,
        params=parse_query(parts.query),
        svm_header=header.get(SVM_HEADER),
        user=user,
        authenticated=ok,
        content_type=header.get("content-type"),
        body=_body_bytes(body),
    )
