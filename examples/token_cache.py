"""A per-project token cache in front of an identity service: check-then-act.

The story: every API call needs a project token, and fetching one is a round
trip to the identity service, so the client caches them.  ``TokenCache.token``
looks the project up and, on a miss, fetches a token and stores it.  The fetch
is green I/O, so a second greenthread asking for the same project meanwhile
also misses and fetches.  The identity service keeps one active token per
project (issuing revokes the previous one, as single-session services do),
so the first caller ends up holding a revoked token: its next call gets 401.

The fix, ``SingleFlightTokenCache``: one fetch per project at a time; the
other callers wait for it and re-check the cache.
"""

from __future__ import annotations

import eventlet
from eventlet.semaphore import Semaphore


class Unauthorized(Exception):
    """The identity service refused a token."""


class IdentityService:
    """A fake identity service: one active token per project."""

    def __init__(self) -> None:
        self.active: dict[str, str] = {}
        self.issued = 0

    def issue(self, project: str) -> str:
        eventlet.sleep(0)  # the HTTP round trip
        self.issued += 1
        token = f"{project}-{self.issued}"
        self.active[project] = token  # the previous token of the project is revoked
        return token

    def call(self, token: str, project: str) -> str:
        eventlet.sleep(0)
        if self.active.get(project) != token:
            active = self.active.get(project)
            raise Unauthorized(f"token {token} for {project} was revoked (active: {active})")
        return "ok"


class TokenCache:
    """Tokens per project, fetched on first use.  Racy: see the module docstring."""

    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity
        self._tokens: dict[str, str] = {}

    def token(self, project: str) -> str:
        token = self._tokens.get(project)
        if token is None:
            token = self._identity.issue(project)  # another caller may be fetching too
            self._tokens[project] = token
        return token


class SingleFlightTokenCache(TokenCache):
    """The fix: one fetch per project at a time; latecomers re-check the cache."""

    def __init__(self, identity: IdentityService) -> None:
        super().__init__(identity)
        self._fetching: dict[str, Semaphore] = {}

    def token(self, project: str) -> str:
        token = self._tokens.get(project)
        if token is not None:
            return token
        with self._fetching.setdefault(project, Semaphore()):
            token = self._tokens.get(project)  # fetched while we waited?
            if token is None:
                token = self._identity.issue(project)
                self._tokens[project] = token
            return token


def _two_callers(cache_class: type[TokenCache]) -> None:
    identity = IdentityService()
    cache = cache_class(identity)
    callers = [eventlet.spawn(lambda: identity.call(cache.token("demo"), "demo")) for _ in range(2)]
    for caller in callers:
        caller.wait()  # re-raises Unauthorized
    assert identity.issued == 1, f"{identity.issued} tokens issued for one project"


def buggy() -> None:
    """Two callers of the racy cache."""
    _two_callers(TokenCache)


def fixed() -> None:
    """Two callers of the single-flight cache."""
    _two_callers(SingleFlightTokenCache)
