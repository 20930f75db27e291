"""eventlet.Timeout and with_timeout, including a timeout due at the same instant as a wake-up.

A timeout and the wake-up it races are timers on two greenthreads (the
sleeper's and the waker's); due at the same virtual instant they are a
scheduling choice, exactly like two greenthreads ready together.  On one
greenthread the timer armed first fires first, as the stock hub does on a
real clock (the first armed is due first).
"""

from __future__ import annotations

import eventlet
from eventlet.event import Event
from eventlet.timeout import Timeout, with_timeout
from green_outcomes import outcomes, stock

import harness


def tie(sender_delay: float) -> tuple[object, ...]:
    ready = Event()
    log: list[object] = []

    def waiter() -> None:
        try:
            with Timeout(0.01):
                log.append(("got", ready.wait()))
        except Timeout:
            log.append("timed out")

    def sender() -> None:
        eventlet.sleep(sender_delay)
        log.append(("sender sees the waiter", "gone" if waiting.dead else "waiting"))
        ready.send("value")

    waiting = eventlet.spawn(waiter)
    sending = eventlet.spawn(sender)
    waiting.wait()
    sending.wait()
    return tuple(log)


def test_a_timeout_and_a_wakeup_at_the_same_instant_are_a_scheduling_choice() -> None:
    found = outcomes(lambda: tie(0.01))
    # either runs first; the timeout wins both ways (eventlet fires all timers due
    # at an instant before any armed meanwhile, such as the send's wake-up)
    assert found.values == {
        (("sender sees the waiter", "waiting"), "timed out"),
        ("timed out", ("sender sees the waiter", "gone")),
    }


def test_the_hub_offers_that_tie_as_a_decision_between_the_two_greenthreads() -> None:
    record: list[object] = []

    def body() -> None:
        record.append(tie(0.01))

    target = harness.Target("green:tie", body, "0123456789ab")
    result = harness.replay(target, harness.Schedule(target.name, "cooperative", target.fingerprint, ()))
    at_tie = [e for e in result.trace.events if e.kind == "run" and "option 0 of 2" in e.detail
              and abs(e.time - (result.trace.events[0].time + 0.01)) < 1e-9]
    assert at_tie, [e.line() for e in result.trace.events]


def test_a_wakeup_strictly_before_or_after_the_timeout_is_no_choice() -> None:
    assert outcomes(lambda: tie(0.005)).values == {(("sender sees the waiter", "waiting"), ("got", "value"))}
    late = outcomes(lambda: tie(0.02)).values
    assert late == {("timed out", ("sender sees the waiter", "gone"))}


def timeout_forms() -> tuple[object, ...]:
    results: list[object] = []
    with Timeout(0.01, False):  # silent: the block just ends
        eventlet.sleep(1)
        results.append("not reached")
    results.append("silent timeout")
    try:
        with Timeout(0.01, KeyError("custom")):
            eventlet.sleep(1)
    except KeyError as exc:
        results.append(exc.args[0])
    results.append(with_timeout(0.01, eventlet.sleep, 1, timeout_value="fallback"))
    results.append(with_timeout(1, lambda: "in time"))
    return tuple(results)


def test_silent_custom_and_with_timeout_forms() -> None:
    found = outcomes(timeout_forms)
    assert found.values == {("silent timeout", "custom", "fallback", "in time")}
    assert found.first == stock(timeout_forms)


def same_thread_timers() -> str:
    try:
        with Timeout(0.01):
            eventlet.sleep(0.01)  # armed second, due at the same instant
        return "slept"
    except Timeout:
        return "timed out"


def test_on_one_greenthread_the_timer_armed_first_fires_first() -> None:
    assert outcomes(same_thread_timers).values == {"timed out"}
