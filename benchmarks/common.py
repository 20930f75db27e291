"""What every benchmark section shares: budgets, the machine, versions, RSS, counters.

Why one place: the figures of one ``race-harness bench`` run are compared
with each other (a ratio is only honest when both sides were measured the
same way, on the same loaded machine, minutes apart), so timing, memory and
request counting must be the same code everywhere.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import platform
import resource
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from harness._targets import Target, load_registry  # noqa: E402


@dataclass(frozen=True)
class Budget:
    """How much each section may spend; ``quick`` must finish in under a minute."""

    quick: bool
    models: tuple[str, ...]
    overhead_schedules: int
    sequential_repeats: int
    throughput_schedules: int
    shard_schedules: int | None
    naive_cap: float
    control_cap: float
    naive_repeats: int
    replays: int
    proof_budget: int
    scale_sizes: tuple[int, ...]
    scale_schedules: int
    rss_schedules: int
    shrink_all_cells: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


QUICK = Budget(
    quick=True, models=("cooperative",), overhead_schedules=20, sequential_repeats=20,
    throughput_schedules=20, shard_schedules=None, naive_cap=5.0, control_cap=2.0, naive_repeats=5, replays=5,
    proof_budget=5000,
    scale_sizes=(2, 10, 50), scale_schedules=1, rss_schedules=1000, shrink_all_cells=False,
)
FULL = Budget(
    quick=False, models=("cooperative", "preemptive"), overhead_schedules=1000, sequential_repeats=300,
    throughput_schedules=200,
    shard_schedules=1200, naive_cap=60.0, control_cap=60.0, naive_repeats=20, replays=20, proof_budget=20000,
    scale_sizes=(2, 10, 50), scale_schedules=10, rss_schedules=10_000, shrink_all_cells=True,
)

DEFAULT_TARGETS = (
    "session_overwrite:old", "session_overwrite:patched",
    "ems_vserver:old", "ems_vserver:patched",
    "migration_cascade:old", "migration_cascade:patched",
)


def machine() -> dict[str, Any]:
    """What the figures were measured on; the load average says how shared it was."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
    }


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in ("eventlet", "greenlet", "requests", "requests-mock", "race-harness"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


def rss_mb() -> float:
    """The current resident set of this process (Linux /proc; else the peak)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """This process's peak RSS.  Linux: ``VmHWM``, because ``ru_maxrss`` survives
    fork and exec, so a child would report its parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def timed(func: Callable[[], object]) -> float:
    """Wall seconds of one call (perf_counter: the harness restores it after a run)."""
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def median_seconds(func: Callable[[], object], repeats: int) -> float:
    return statistics.median(timed(func) for _ in range(max(1, repeats)))


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def registry_targets(names: list[str] | tuple[str, ...]) -> list[Target]:
    """The named registered targets, in the order asked; unknown names raise."""
    registry = load_registry()
    found = []
    for name in names:
        target = registry.get(name)
        if target is None:
            raise SystemExit(f"race-harness bench: unknown target {name!r}; run 'race-harness list'")
        found.append(target)
    return found


class RequestCounter:
    """Counts requests the fake answers, whatever transport or thread sent them.

    Wraps ``FakeOntap.handle`` for the duration of a ``with`` block: the
    fakes are created inside each run, so the class is the only handle.
    """

    def __init__(self) -> None:
        self.count = 0

    @contextlib.contextmanager
    def counting(self) -> Iterator[RequestCounter]:
        from race_harness.fakes.ontap.fake import FakeOntap

        original = FakeOntap.handle

        def handle(fake: FakeOntap, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(fake, *args, **kwargs)

        FakeOntap.handle = handle  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            FakeOntap.handle = original  # type: ignore[method-assign]


def progress(stream: Any, enabled: bool) -> Callable[[str], None]:
    """A one-line-per-section progress printer (stderr), so long runs show life."""

    def say(message: str) -> None:
        if enabled:
            print(f"[bench] {message}", file=stream, flush=True)

    return say


@contextlib.contextmanager
def quiet_code_under_test(sink: io.StringIO | None = None) -> Iterator[None]:
    """Send what the code under test logs or prints into ``sink`` (default: discard it).

    Thousands of schedules would flood the table: cinder logs a warning per
    failed EMS, and a failing migration schedule's traceback reaches stderr
    through ``eventlet.queue.Waiter.switch``.  The failures that matter are in
    the results; how much was swallowed is recorded beside them.  (Progress
    lines hold the real stderr, bound before the redirection.)
    """
    sink = sink if sink is not None else io.StringIO()
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        logging.disable(previous)
