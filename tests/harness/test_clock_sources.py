"""Every way a library reads the clock sees virtual time in a run, or is reported.

``clock_sources_library`` reads the clock through the time module, names
bound at import, datetime, the calendar functions, oslo_utils.timeutils,
default arguments, class attributes and a closure; the harness rebinds all
of them for the exploration (the rule is in ``harness/_engine/clock.py``).  Its last
two ways (a dict value and an instance attribute made at import) are not
covered: the clock audit reports them as ``RealClockRead``.
"""

from __future__ import annotations

import copyreg
import datetime
import pickle
import time
import warnings
from typing import Any

import clock_sources_library as lib
import eventlet
import pytest
from engine_helpers import make_target, schedule_for
from oslo_utils import timeutils

import harness
from harness._engine import clock

LATER = clock.EPOCH + 60  # every reading is taken a virtual minute into the run


def read_everything() -> dict[str, Any]:
    readings: dict[str, Any] = {}

    def body() -> None:
        watch = timeutils.StopWatch().start()
        limiter = lib.RateLimiter()
        started = limiter.clock()
        eventlet.sleep(60)
        readings.update(module=lib.via_module(), globals=lib.via_globals(), datetime=lib.via_datetime(),
                        calendar=lib.via_calendar(), oslo=lib.via_oslo(), stopwatch=watch.elapsed(),
                        default=lib.with_default(), kwdefault=lib.with_kwdefault(),
                        class_attribute=limiter.clock(), staticmethod=limiter.stamp(),
                        method_default=limiter.since(started), closure=lib.read_closure(),
                        uncovered=lib.uncovered(),
                        pickled=pickle.loads(pickle.dumps(datetime.datetime.now())),
                        is_datetime=isinstance(datetime.datetime.now(), datetime.datetime))

    target = make_target(body, name="tests:clock_sources")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        harness.replay(target, schedule_for(target))
    readings["warnings"] = [w for w in caught if issubclass(w.category, clock.RealClockRead)]
    return readings


@pytest.fixture(scope="module")
def readings() -> dict[str, Any]:
    return read_everything()


def test_the_time_module_and_names_bound_at_import(readings: dict[str, Any]) -> None:
    nanoseconds = int(LATER) * 10**9
    assert readings["module"] == {"time": LATER, "monotonic": LATER, "perf_counter": LATER,
                                  "time_ns": nanoseconds, "monotonic_ns": nanoseconds,
                                  "perf_counter_ns": nanoseconds}
    assert readings["globals"] == (LATER, nanoseconds, LATER)


def test_datetime_now_utcnow_today_and_date_today(readings: dict[str, Any]) -> None:
    utc = datetime.datetime(2026, 1, 1, 0, 1, tzinfo=datetime.timezone.utc)
    local = datetime.datetime.fromtimestamp(LATER)
    assert readings["datetime"] == {
        "now": local, "utcnow": utc.replace(tzinfo=None), "today": local, "now_utc": utc,
        "date_today": local.date(), "imported_now": utc, "imported_date": local.date(),
    }
    assert readings["is_datetime"] is True
    assert readings["pickled"] == local and type(readings["pickled"]) is datetime.datetime


def test_calendar_functions_without_a_time_argument(readings: dict[str, Any]) -> None:
    assert readings["calendar"] == {
        "localtime": time.localtime(LATER), "gmtime": time.gmtime(LATER), "ctime": time.ctime(LATER),
        "strftime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(LATER)),
        "asctime": time.asctime(time.localtime(LATER)),
    }


def test_oslo_timeutils(readings: dict[str, Any]) -> None:
    utc = datetime.datetime(2026, 1, 1, 0, 1)
    assert readings["oslo"]["utcnow"] == utc
    assert readings["oslo"]["utcnow_tz"].replace(tzinfo=None) == utc
    assert readings["oslo"]["utcnow_ts"] == LATER
    assert readings["stopwatch"] == 60.0  # StopWatch reads ``now = time.monotonic``


def test_defaults_class_attributes_and_closures(readings: dict[str, Any]) -> None:
    for way in ("default", "kwdefault", "class_attribute", "staticmethod", "closure"):
        assert readings[way] == LATER, way
    assert readings["method_default"] == 60.0


def test_a_clock_the_harness_cannot_rebind_reads_real_time_and_is_reported(readings: dict[str, Any]) -> None:
    wall, monotonic_ns = readings["uncovered"]
    assert abs(wall - clock.real_time()) < 60
    assert monotonic_ns != int(LATER) * 10**9
    reported = sorted((w.filename.rsplit("/", 1)[-1], str(w.message).split(" read")[0])
                      for w in readings["warnings"])
    assert reported == [("clock_sources_library.py", "time.monotonic_ns()"),
                        ("clock_sources_library.py", "time.time()")]
    assert all(w.lineno == _line_of("return _CLOCKS") for w in readings["warnings"])


def _line_of(text: str) -> int:
    with open(lib.__file__) as source:
        return next(number for number, line in enumerate(source, 1) if text in line)


def test_the_audit_notes_the_read_in_the_trace() -> None:
    target = make_target(lambda: (eventlet.sleep(1), lib.uncovered()), name="tests:uncovered")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = harness.replay(target, schedule_for(target))
    notes = [e.detail for e in result.trace.events if e.kind == "real-clock"]
    assert len(notes) == 2 and all("clock_sources_library.py" in note for note in notes)


def test_the_audit_watches_the_first_run_by_default_every_run_or_none() -> None:
    def body() -> None:
        flag: list[bool] = []
        eventlet.spawn(flag.append, True)
        eventlet.sleep(0)
        if not flag:  # only when this greenthread runs first: not in the first (all-zero) schedule
            lib.uncovered()

    target = make_target(body, name="tests:uncovered_later")
    for policy, expected in (("first", 0), ("all", 2), ("off", 0)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = harness.explore(target, strategy="dfs", settings=harness.Settings(clock_audit=policy))
        assert outcome.schedules_run == 2 and outcome.exhausted
        assert len([w for w in caught if issubclass(w.category, clock.RealClockRead)]) == expected, policy


def test_everything_is_restored_after_the_exploration() -> None:
    read_everything()
    assert time.time is clock.real_time and time.monotonic_ns is clock.REAL["monotonic_ns"]
    assert datetime.datetime is clock.REAL_DATETIME and datetime.date is clock.REAL_DATE
    assert lib.dt is clock.REAL_DATETIME and lib.monotonic is clock.real_monotonic
    assert lib.with_default.__defaults__ == (clock.real_monotonic,)
    assert lib.with_kwdefault.__kwdefaults__ == {"clock": clock.real_time}
    assert vars(lib.RateLimiter)["clock"] is clock.real_monotonic
    assert lib.read_closure.__closure__[0].cell_contents is clock.real_monotonic  # type: ignore[index]
    assert clock.REAL_DATETIME not in copyreg.dispatch_table
    assert abs(lib.with_default() - clock.real_monotonic()) < 1.0
