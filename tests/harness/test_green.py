"""Eventlet's own primitives made deterministic during an exploration."""

from __future__ import annotations

import eventlet
import pytest
from engine_helpers import run_default
from eventlet import event, greenthread, queue

from harness._engine import patches as green


def test_event_waiters_wake_in_greenthread_order() -> None:
    woke: list[int] = []

    def body() -> None:
        done = eventlet.Event()

        def waiter(number: int) -> None:
            done.wait()
            woke.append(number)

        threads = [eventlet.spawn(waiter, n) for n in range(8)]
        eventlet.sleep(0)  # all are waiting now
        done.send()
        for thread in threads:
            thread.wait()

    run_default(body)
    assert woke == list(range(8))  # stock eventlet: set order, by address


def test_queue_getters_wake_oldest_first() -> None:
    # Regression: eventlet pops blocked getters from a set (address order),
    # so the same schedule handed items to different greenthreads per process.
    got: list[tuple[str, int]] = []

    def body() -> None:
        jobs: queue.LightQueue = queue.LightQueue()

        def getter(name: str) -> None:
            got.append((name, jobs.get()))

        threads = [eventlet.spawn(getter, name) for name in "abcdef"]
        eventlet.sleep(0)
        for item in range(6):
            jobs.put(item)
        for thread in threads:
            thread.wait()

    run_default(body)
    assert got == [(name, n) for n, name in enumerate("abcdef")]


def test_queue_putters_of_a_full_queue_wake_oldest_first() -> None:
    got: list[str] = []

    def body() -> None:
        slots: queue.Queue = queue.Queue(maxsize=1)
        slots.put("first")

        def putter(name: str) -> None:
            slots.put(name)

        threads = [eventlet.spawn(putter, name) for name in "pqrs"]
        eventlet.sleep(0)
        for _ in range(5):
            got.append(slots.get())
        for thread in threads:
            thread.wait()

    run_default(body)
    assert got == ["first", "p", "q", "r", "s"]


def test_fifo_waiters_behave_like_the_set_eventlet_expects() -> None:
    waiters = green.FifoWaiters()
    assert not waiters and len(waiters) == 0
    for item in "cab":
        waiters.add(item)
    waiters.add("a")  # already there: keeps its place
    assert list(waiters) == ["c", "a", "b"]
    assert "a" in waiters and "z" not in waiters
    waiters.discard("z")
    waiters.remove("a")
    with pytest.raises(KeyError):
        waiters.remove("a")
    for item in waiters:  # iteration is over a copy, so removing inside is safe
        waiters.discard(item)
    assert not waiters
    waiters.add("x")
    assert waiters.pop() == "x"
    with pytest.raises(KeyError):
        waiters.pop()


def test_patches_are_installed_only_for_the_duration() -> None:
    originals = (event.Event.send, greenthread.GreenThread.wait, queue.LightQueue.__init__)
    with green.deterministic_eventlet():
        assert event.Event.send is green.send
        assert greenthread.GreenThread.wait is green.wait
        assert isinstance(queue.LightQueue().getters, green.FifoWaiters)
        # outside a run the patched primitives behave as eventlet's own
        done = event.Event()
        done.send(5)
        assert done.wait() == 5
    assert (event.Event.send, greenthread.GreenThread.wait, queue.LightQueue.__init__) == originals
    assert isinstance(queue.LightQueue().getters, set)
