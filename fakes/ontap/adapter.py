"""The in-process transport: a requests-mock ``Adapter`` in front of the fake.

Why not ``requests_mock.Mocker``: it takes a process-wide lock around every
mocked call, which after monkey-patching is a green lock that serialises (on
a virtual clock, deadlocks) concurrent greenthreads, the very concurrency
under test.  An ``Adapter`` holds no lock.

Why patch ``requests.Session.get_adapter``: the cinder client builds a new
``Session`` per request and mounts its own ``HTTPAdapter`` on it, so mounting
ours on some session beforehand is not enough; the fake has to win where the
session *chooses* its adapter.  :func:`install` does that for the fake's
base URL only, is nestable (the innermost installation wins) and restores
the original method when the last installation ends, even on error.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests
import requests_mock

if TYPE_CHECKING:
    from race_harness.fakes.ontap.fake import FakeOntap


class FakeAdapter(requests_mock.Adapter):
    """Answers every request with :meth:`FakeOntap.handle`.

    requests-mock's own request history is switched off: the fake's journal
    is the record, and the history would grow without bound over a long
    exploration.
    """

    def __init__(self, fake: FakeOntap):
        super().__init__(case_sensitive=True)
        self._fake = fake
        self.add_matcher(self._answer)

    def _answer(self, request: Any) -> requests.Response:
        status, headers, body = self._fake.handle(request.method, request.url, request.headers, request.body)
        response: requests.Response = requests_mock.create_response(
            request, status_code=status, headers=headers, content=body
        )
        return response

    def _add_to_history(self, request: Any) -> None:
        """Keep no history (see the class docstring)."""


def url_prefixes(base_url: str) -> tuple[str, ...]:
    """The prefixes a session sees for ``base_url``, default port spelled or not."""
    scheme, _, host = base_url.lower().rstrip("/").partition("://")
    port = {"https": "443", "http": "80"}.get(scheme)
    prefixes = [f"{scheme}://{host}/"]
    if port and ":" not in host:
        prefixes.append(f"{scheme}://{host}:{port}/")
    return tuple(prefixes)


_installed: tuple[tuple[tuple[str, ...], FakeAdapter], ...] = ()
_original: Any = None
_install_lock = threading.Lock()


def _get_adapter(session: requests.Session, url: str) -> Any:
    lowered = url.lower()
    for prefixes, adapter in reversed(_installed):
        if lowered.startswith(prefixes):
            return adapter
    return _original(session, url)


@contextlib.contextmanager
def install(prefixes: tuple[str, ...], adapter: FakeAdapter) -> Iterator[FakeAdapter]:
    """Make every ``requests.Session`` use ``adapter`` for URLs under ``prefixes``.

    Robust to being interrupted anywhere (a Ctrl-C in the code under test): the
    patch is checked on every install, not inferred from the entries (a stale
    entry left by an interrupted install must not keep a later one from patching),
    and the ``finally`` undoes whatever part was done."""
    global _installed, _original
    entry = (prefixes, adapter)
    try:
        with _install_lock:
            if requests.Session.get_adapter is not _get_adapter:
                _original = requests.Session.get_adapter
                setattr(requests.Session, "get_adapter", _get_adapter)  # noqa: B010
            _installed = (*_installed, entry)
        yield adapter
    finally:
        with _install_lock:
            _installed = tuple(e for e in _installed if e is not entry)
            # Restore only our own patch: if someone patched over it meanwhile,
            # theirs stays, and ours, left underneath, falls through to _original.
            if not _installed and requests.Session.get_adapter is _get_adapter:
                setattr(requests.Session, "get_adapter", _original)  # noqa: B010


def is_installed() -> bool:
    """True while some fake is installed process-wide."""
    return bool(_installed)
