"""eventlet.event.Event: send, wait (with and without timeout), reset, send_exception.

Eventlet wakes an event's waiters from a set (address order); under the
harness each waiter's wake-up is its own timer, armed in greenthread-id
order, so the scheduler chooses the order they resume in.
"""

from __future__ import annotations

import eventlet
import pytest
from eventlet.event import Event
from green_outcomes import outcomes


def two_waiters_one_sender() -> tuple[tuple[str, int], ...]:
    done = Event()
    log: list[tuple[str, int]] = []

    def waiter(name: str) -> None:
        log.append((name, done.wait()))

    threads = [eventlet.spawn(waiter, "a"), eventlet.spawn(waiter, "b"), eventlet.spawn(done.send, 1)]
    for thread in threads:
        thread.wait()
    return tuple(log)


def test_every_waiter_gets_the_value_in_either_order() -> None:
    found = outcomes(two_waiters_one_sender)
    assert found.values == {(("a", 1), ("b", 1)), (("b", 1), ("a", 1))}
    # stock eventlet wakes them in set (address) order; option 0 is greenthread-id order
    assert found.first == (("a", 1), ("b", 1))


def send_exception_program() -> tuple[str, ...]:
    failed = Event()
    log: list[str] = []

    def waiter(name: str) -> None:
        try:
            failed.wait()
        except KeyError as exc:
            log.append(f"{name}:{exc.args[0]}")

    threads = [eventlet.spawn(waiter, "a"), eventlet.spawn(waiter, "b")]
    eventlet.sleep(0)
    failed.send_exception(KeyError("gone"))
    for thread in threads:
        thread.wait()
    return tuple(sorted(log))


def test_send_exception_raises_in_every_waiter() -> None:
    assert outcomes(send_exception_program).values == {("a:gone", "b:gone")}


def reset_program() -> tuple[object, ...]:
    changed = Event()
    log: list[object] = []

    def consumer() -> None:
        log.append(("got", changed.wait()))
        changed.reset()
        log.append(("waiting again", changed.wait(timeout=1)))  # nobody sends twice: times out, None

    thread = eventlet.spawn(consumer)
    eventlet.sleep(0)  # the consumer may be waiting already, or not yet
    changed.send("x")
    thread.wait()
    log.append(("ready", changed.ready()))
    return tuple(log)


def test_reset_rearms_the_event_so_the_next_wait_blocks() -> None:
    found = outcomes(reset_program)
    assert found.values == {(("got", "x"), ("waiting again", None), ("ready", False))}


def timed_wait_against_sender() -> tuple[object, ...]:
    ready = Event()
    got: list[object] = []
    waiter = eventlet.spawn(lambda: got.append(ready.wait(timeout=0.01)))
    eventlet.sleep(0.01)  # the send is due at the very instant the wait times out
    still_waiting = not got
    ready.send("value")
    waiter.wait()
    return still_waiting, *got


def test_a_timed_wait_that_ties_with_the_send_times_out_as_in_eventlet() -> None:
    # At an exact tie both orders are explored (the sender first, or the
    # waiter's timeout first), and in both the timeout wins: eventlet fires
    # every timer due at an instant before the ones armed meanwhile (the
    # send's wake-up), so the value is never handed over at a tie.  (On a real
    # clock the two delays never tie exactly and the value can arrive first:
    # virtual time has no jitter; give the delays different values to explore that.)
    found = outcomes(timed_wait_against_sender)
    assert found.values == {(True, None), (False, None)}


def test_misuse_fails_as_in_eventlet() -> None:
    def resend() -> str:
        done = Event()
        done.send(1)
        with pytest.raises(AssertionError, match="re-send"):
            done.send(2)
        fresh = Event()
        with pytest.raises(AssertionError, match="re-reset"):
            fresh.reset()
        return "asserted"

    assert outcomes(resend).values == {"asserted"}
