"""A module that keeps an alias of ``time.monotonic`` made at import."""

from __future__ import annotations

import time

now = time.monotonic


def read() -> float:
    return now()
