"""Check-then-act on a dict key: two callers may both find the key missing and both build."""

from __future__ import annotations

_cache: dict[str, object] = {}
built: list[str] = []


def reset() -> None:
    _cache.clear()
    built.clear()


def _build(key: str) -> object:
    built.append(key)
    return object()


def get(key: str) -> object:
    if key not in _cache:
        value = _build(key)
        _cache[key] = value
    return _cache[key]
