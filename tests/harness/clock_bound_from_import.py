"""A module that bound the clock at import, the way much library code does."""

from __future__ import annotations

from time import monotonic


def read() -> float:
    return monotonic()
