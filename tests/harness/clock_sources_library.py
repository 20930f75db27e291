"""A library-style module that reads the clock in every way libraries do.

``test_clock_sources`` runs it inside a harness run and checks that each way
sees virtual time, except the two at the bottom, which the harness cannot
rebind and must report instead.
"""

from __future__ import annotations

import datetime
import time
from datetime import date
from datetime import datetime as dt
from time import monotonic, time_ns
from typing import Any

from oslo_utils import timeutils

wall = time.time  # an alias kept in a module global


def via_module() -> dict[str, float]:
    return {
        "time": time.time(), "monotonic": time.monotonic(), "perf_counter": time.perf_counter(),
        "time_ns": time.time_ns(), "monotonic_ns": time.monotonic_ns(),
        "perf_counter_ns": time.perf_counter_ns(),
    }


def via_globals() -> tuple[float, int, float]:
    return monotonic(), time_ns(), wall()


def via_datetime() -> dict[str, Any]:
    return {
        "now": datetime.datetime.now(), "utcnow": datetime.datetime.utcnow(),
        "today": datetime.datetime.today(),
        "now_utc": datetime.datetime.now(tz=datetime.timezone.utc), "date_today": datetime.date.today(),
        "imported_now": dt.now(datetime.timezone.utc), "imported_date": date.today(),
    }


def via_calendar() -> dict[str, Any]:
    return {
        "localtime": time.localtime(), "gmtime": time.gmtime(), "ctime": time.ctime(),
        "strftime": time.strftime("%Y-%m-%d %H:%M:%S"), "asctime": time.asctime(),
    }


def via_oslo() -> dict[str, Any]:
    return {
        "utcnow": timeutils.utcnow(), "utcnow_tz": timeutils.utcnow(with_timezone=True),
        "utcnow_ts": timeutils.utcnow_ts(microsecond=True),
    }


def with_default(clock: Any = time.monotonic) -> float:
    return float(clock())


def with_kwdefault(*, clock: Any = time.time) -> float:
    return float(clock())


class RateLimiter:
    """Keeps its clock as class attributes, as rate limiters and caches do."""

    clock = time.monotonic  # a builtin is no descriptor: ``self.clock()`` calls it plainly
    stamp = staticmethod(time.time)

    def since(self, start: float, now: Any = time.monotonic) -> float:
        return float(now() - start)


def _make_reader() -> Any:
    now = time.monotonic

    def read() -> float:
        return now()

    return read


read_closure = _make_reader()  # a closure over the clock, kept in a module global


# Not covered: references held elsewhere than the rule's places.
_CLOCKS = {"wall": time.time}  # a real clock kept in a dict


class _Holder:
    def __init__(self) -> None:
        self.clock = time.monotonic_ns  # a real clock kept on an instance


_HOLDER = _Holder()


def uncovered() -> tuple[float, int]:
    return _CLOCKS["wall"](), _HOLDER.clock()
