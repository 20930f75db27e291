"""Virtual time: ``time.time`` and friends follow the run's clock.

During an exploration the ``time`` module's clock functions are replaced by
wrappers that return the active run's virtual time when called from the run's
OS thread, and the real clock otherwise (between runs, from other threads).
Modules that bound a clock at import (``from time import monotonic``,
``now = time.monotonic``) are found by scanning module globals and rebound for
the exploration.  Not covered: clocks captured in closures, default arguments
or class attributes, C code reading the clock, and ``datetime.now()``.

All virtual clocks start at ``EPOCH`` (2026-01-01T00:00:00Z) and agree.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from harness import points

EPOCH = 1_767_225_600.0
CLOCK_NAMES = ("time", "monotonic", "perf_counter")
REAL: dict[str, Callable[[], float]] = {name: getattr(time, name) for name in CLOCK_NAMES}
real_time = REAL["time"]
real_monotonic = REAL["monotonic"]
real_perf_counter = REAL["perf_counter"]


def _virtual(name: str) -> Callable[[], float]:
    real = REAL[name]

    def clock() -> float:
        run = points.active_run()
        if run is None:
            return real()
        return run.now()

    clock.__name__ = name
    clock.__qualname__ = f"virtual_{name}"
    clock.__doc__ = f"Virtual-time {name}() inside a harness run; the real one outside."
    return clock


VIRTUAL: dict[str, Callable[[], float]] = {name: _virtual(name) for name in CLOCK_NAMES}
_SKIP_MODULES = ("harness.clock", "time")


@contextmanager
def virtual_clocks() -> Iterator[int]:
    """Install the virtual clocks for the duration; yields how many bindings were patched."""
    patched = _install()
    try:
        yield len(patched)
    finally:
        _restore(patched)


def _install() -> list[tuple[dict[str, object], str, object]]:
    by_identity = {id(REAL[name]): VIRTUAL[name] for name in CLOCK_NAMES}
    real_ids = frozenset(by_identity)
    patched: list[tuple[dict[str, object], str, object]] = []
    for name in CLOCK_NAMES:
        patched.append((time.__dict__, name, REAL[name]))
        setattr(time, name, VIRTUAL[name])
    for mod_name, module in list(sys.modules.items()):
        if module is None or mod_name in _SKIP_MODULES:
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        # An identity test at C speed first: almost no module holds a clock, and
        # a Python loop over every global of every module costs ~10 ms per run.
        if real_ids.isdisjoint(map(id, namespace.values())):
            continue
        for key, value in list(namespace.items()):
            replacement = by_identity.get(id(value))
            if replacement is not None and value in REAL.values():
                patched.append((namespace, key, value))
                namespace[key] = replacement
    return patched


def _restore(patched: list[tuple[dict[str, object], str, object]]) -> None:
    for namespace, key, original in reversed(patched):
        namespace[key] = original
