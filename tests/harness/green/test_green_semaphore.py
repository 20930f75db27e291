"""Semaphore, BoundedSemaphore, CappedSemaphore: exclusion, first-come wake-ups, bounds.

Eventlet's semaphores queue blocked acquirers in a deque and wake them first
come, first served: that order is eventlet's semantics, not a set order, so
the harness does not make it a choice.  What varies is when each greenthread
gets to ``acquire`` (who queues first), and that the scheduler explores.
"""

from __future__ import annotations

import itertools

import eventlet
import pytest
from eventlet.semaphore import BoundedSemaphore, CappedSemaphore, Semaphore
from green_outcomes import outcomes, stock


def exclusion() -> tuple[str, ...]:
    lock = Semaphore()
    log: list[str] = []

    def worker(name: str) -> None:
        with lock:
            log.append(f"{name}+")
            eventlet.sleep(0)
            log.append(f"{name}-")

    threads = [eventlet.spawn(worker, name) for name in "ab"]
    for thread in threads:
        thread.wait()
    return tuple(log)


def test_a_semaphore_of_one_never_lets_two_in() -> None:
    found = outcomes(exclusion)
    assert found.values == {("a+", "a-", "b+", "b-"), ("b+", "b-", "a+", "a-")}
    assert found.first == stock(exclusion)


def first_come_first_served() -> tuple[tuple[str, ...], tuple[str, ...]]:
    gate = Semaphore(0)
    queued: list[str] = []
    served: list[str] = []

    def waiter(name: str) -> None:
        queued.append(name)
        gate.acquire()
        served.append(name)

    threads = [eventlet.spawn(waiter, name) for name in "abc"]
    eventlet.sleep(0.01)  # by now all three queued, in some order
    for _ in threads:
        gate.release()
    for thread in threads:
        thread.wait()
    return tuple(queued), tuple(served)


def test_blocked_acquirers_are_served_in_the_order_they_queued_whatever_that_was() -> None:
    found = outcomes(first_come_first_served)
    assert found.values == {(order, order) for order in itertools.permutations("abc")}
    assert found.first == stock(first_come_first_served) == (("a", "b", "c"), ("a", "b", "c"))


def bounded() -> tuple[str, ...]:
    slots = BoundedSemaphore(1)
    log: list[str] = []

    def user(name: str) -> None:
        with slots:
            log.append(name)
            eventlet.sleep(0)

    threads = [eventlet.spawn(user, name) for name in "ab"]
    for thread in threads:
        thread.wait()
    with pytest.raises(ValueError):
        slots.release()  # one release too many
    return tuple(log)


def test_a_bounded_semaphore_excludes_and_refuses_an_extra_release() -> None:
    assert outcomes(bounded).values == {("a", "b"), ("b", "a")}


def capped() -> tuple[str, ...]:
    tokens = CappedSemaphore(0, 1)
    log: list[str] = []

    def producer() -> None:
        tokens.release()
        log.append("released 1")
        tokens.release()  # at the cap: blocks until a token is taken
        log.append("released 2")

    def consumer() -> None:
        tokens.acquire()
        log.append("acquired")

    threads = [eventlet.spawn(producer), eventlet.spawn(consumer)]
    for thread in threads:
        thread.wait()
    return tuple(log)


def test_a_capped_semaphore_blocks_release_at_the_cap_until_an_acquire() -> None:
    # eventlet's CappedSemaphore.acquire gives back its "upper" slot *before*
    # it blocks for a token, so a consumer already waiting lets the second
    # release through at once: both orders of the last two lines are eventlet's.
    found = outcomes(capped)
    assert found.values == {("released 1", "acquired", "released 2"),
                            ("released 1", "released 2", "acquired")}
    assert found.first == stock(capped)
