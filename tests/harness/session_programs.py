"""Races that are found only with a non-default run option (tests/harness/test_session.py).

Each fails one way with its option and another way without it, so a replay,
shrink or report that drops the option shows a different failure.
"""

from __future__ import annotations

import threading

import eventlet
from eventlet import tpool
from preempt_programs import counters  # imported before an exploration instruments it


class LostUpdate(AssertionError):
    """Two increments, one survived."""


def _race() -> None:
    counter = [0]

    def bump() -> None:
        value = counter[0]
        eventlet.sleep(0)
        counter[0] = value + 1

    workers = [eventlet.spawn(bump) for _ in range(2)]
    for worker in workers:
        worker.wait()
    if counter[0] != 2:
        raise LostUpdate(f"counter={counter[0]}")


def offloads_then_races() -> None:
    """Refused under tpool="refuse"; a lost update under tpool="inline"."""
    assert tpool.execute(sum, [1, 2]) == 3
    _race()


def starts_thread_then_races() -> None:
    """Refused under uncontrolled="error"; a lost update (and a warning) under "warn"."""
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    _race()


def dies_unobserved_then_races() -> None:
    """A spawn_n greenlet dies first: that fails the run unless unobserved_exceptions="ignore"."""

    def crash() -> None:
        raise KeyError("nobody is watching")

    eventlet.spawn_n(crash)
    eventlet.sleep(0)
    _race()


def ticks_then_reports_unobserved() -> None:
    """A ticker that never stops: with a horizon (until) the run ends and the lost update,
    reported by a greenthread nobody waits for, fails it; without one the step bound does."""
    counter = [0]

    def tick() -> None:
        while True:
            eventlet.sleep(1.0)

    def bump() -> None:
        value = counter[0]
        eventlet.sleep(0)
        counter[0] = value + 1

    def report(seen: int) -> None:
        raise LostUpdate(f"counter={seen}")

    eventlet.spawn(tick)
    workers = [eventlet.spawn(bump) for _ in range(2)]
    for worker in workers:
        worker.wait()
    if counter[0] != 2:
        eventlet.spawn(report, counter[0])


def increments_a_package_counter() -> None:
    """Two workers run ``Counter.value += 1`` in ``preempt_programs``: no switch point at all
    unless that package's accesses are preemption points (``preempt_modules``)."""
    counters.reset()
    workers = [eventlet.spawn(counters.increment) for _ in range(2)]
    for worker in workers:
        worker.wait()
    if counters.Counter.value != 2:
        raise LostUpdate(f"counter={counters.Counter.value}")
