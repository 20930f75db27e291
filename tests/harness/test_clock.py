"""Virtual time: sleeping costs nothing and every clock the program reads agrees."""

from __future__ import annotations

import threading
import time

import clock_bound_alias
import clock_bound_from_import
import eventlet
from engine_helpers import run_default

from harness._engine import clock, points


def test_an_hour_of_sleep_takes_no_wall_time() -> None:
    started = clock.real_monotonic()
    result = run_default(lambda: eventlet.sleep(3600))
    assert clock.real_monotonic() - started < 1.0
    assert result.end_time - clock.EPOCH == 3600


def test_time_functions_advance_by_exactly_what_the_program_slept() -> None:
    readings: dict[str, list[float]] = {"time": [], "monotonic": [], "perf_counter": []}

    def read() -> None:
        for name, values in readings.items():
            values.append(getattr(time, name)())

    def body() -> None:
        read()
        eventlet.sleep(3600)
        read()
        eventlet.sleep(0.25)
        read()

    run_default(body)
    for name, values in readings.items():
        assert values[0] == clock.EPOCH, name
        assert [v - values[0] for v in values] == [0, 3600, 3600.25], name


def test_clocks_bound_at_import_see_virtual_time_inside_a_run_and_real_time_outside() -> None:
    inside: list[float] = []

    def body() -> None:
        inside.append(clock_bound_from_import.read())
        inside.append(clock_bound_alias.read())
        eventlet.sleep(60)
        inside.append(clock_bound_from_import.read())
        inside.append(clock_bound_alias.read())

    run_default(body)
    assert inside == [clock.EPOCH, clock.EPOCH, clock.EPOCH + 60, clock.EPOCH + 60]
    # outside the run: the real clock, and the modules' bindings are the originals again
    assert clock_bound_from_import.monotonic is clock.real_monotonic
    assert clock_bound_alias.now is clock.real_monotonic
    assert abs(clock_bound_alias.read() - clock.real_monotonic()) < 1.0
    assert abs(time.time() - clock.real_time()) < 1.0


def test_other_os_threads_see_real_time_during_a_run() -> None:
    # A run belongs to one OS thread; the same patched clock answers real
    # time to every other thread (pytest's, a log handler's...).
    class FakeRun:
        thread_ident = threading.get_ident()

        def now(self) -> float:
            return clock.EPOCH + 5

    seen: list[float] = []
    with clock.virtual_clocks():
        points._set_active(FakeRun())  # type: ignore[arg-type]
        try:
            assert time.time() == clock.EPOCH + 5
            worker = threading.Thread(target=lambda: seen.append(time.time()))
            worker.start()
            worker.join()
        finally:
            points._set_active(None)
    assert abs(seen[0] - clock.real_time()) < 5.0


def test_virtual_clocks_count_and_undo_their_patches() -> None:
    with clock.virtual_clocks() as patched:
        assert patched >= 3 + 2  # time.time/monotonic/perf_counter + the two helper modules
        assert time.monotonic is clock.VIRTUAL["monotonic"]
        assert clock_bound_alias.now is clock.VIRTUAL["monotonic"]
        # outside a run the virtual clock is the real one
        assert abs(time.monotonic() - clock.real_monotonic()) < 1.0
    assert time.monotonic is clock.real_monotonic
    assert time.time is clock.real_time
    assert time.perf_counter is clock.real_perf_counter


def test_every_run_starts_at_the_epoch() -> None:
    starts: list[float] = []
    for _ in range(2):
        run_default(lambda: (eventlet.sleep(5), starts.append(time.time())))
    assert starts == [clock.EPOCH + 5, clock.EPOCH + 5]
