"""Check-then-act: two callers find the token cache empty and both fill it.

Each checks ``"token" in cache.tokens`` and, on a miss, asks the identity
service for a token and stores it.  Preempted between the check and the
store, both ask: two tokens are issued (the first one is revoked by the
second, in the keystone story).  The twin holds a lock across check and fill.
"""

from __future__ import annotations

import threading


class TokenCache:
    def __init__(self) -> None:
        self.tokens: dict[str, int] = {}
        self.issued: list[int] = []
        self.lock = threading.Lock()

    def issue(self) -> int:
        """The identity service: every call issues a new token."""
        self.issued.append(len(self.issued) + 1)
        return len(self.issued)


def setup() -> TokenCache:
    return TokenCache()


def get_token(cache: TokenCache) -> None:
    if "token" not in cache.tokens:
        cache.tokens["token"] = cache.issue()


def get_token_locked(cache: TokenCache) -> None:
    with cache.lock:
        if "token" not in cache.tokens:
            cache.tokens["token"] = cache.issue()


WORKERS = (get_token, get_token)
LOCKED_WORKERS = (get_token_locked, get_token_locked)


def invariant(cache: TokenCache) -> bool:
    return len(cache.issued) == 1
