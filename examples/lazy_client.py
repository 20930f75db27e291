"""A client that connects on first use: double-checked initialisation, half done.

The story: ``LazyClient.connection()`` opens the backend connection on first
use and shares it.  It checks ``self._conn is None`` without the lock (the
fast path) and takes the lock to connect, but does not check again under the
lock.  Two first callers both see ``None``; the second waits for the lock
while the first connects, then connects again: two connections, the first
leaked (a backend with a per-client connection limit starts refusing).

The fix, ``FixedLazyClient``: check again once the lock is held.
"""

from __future__ import annotations

import eventlet
from eventlet.semaphore import Semaphore


class Backend:
    """A fake backend that counts the connections opened to it."""

    def __init__(self) -> None:
        self.opened = 0

    def connect(self) -> int:
        eventlet.sleep(0)  # the TCP and TLS handshakes
        self.opened += 1
        return self.opened


class LazyClient:
    """One shared connection, opened on first use.  Racy: see the module docstring."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._conn: int | None = None
        self._lock = Semaphore()

    def connection(self) -> int:
        if self._conn is None:
            with self._lock:
                self._conn = self._backend.connect()  # no second check under the lock
        return self._conn


class FixedLazyClient(LazyClient):
    """The fix: the second check, under the lock."""

    def connection(self) -> int:
        if self._conn is None:
            with self._lock:
                if self._conn is None:
                    self._conn = self._backend.connect()
        return self._conn


def _two_first_callers(client_class: type[LazyClient]) -> None:
    backend = Backend()
    client = client_class(backend)
    callers = [eventlet.spawn(client.connection) for _ in range(2)]
    got = [caller.wait() for caller in callers]
    assert backend.opened == 1, f"{backend.opened} connections opened, callers got {got}"


def buggy() -> None:
    _two_first_callers(LazyClient)


def fixed() -> None:
    _two_first_callers(FixedLazyClient)
