"""eventlet.queue: LightQueue, Queue, PriorityQueue, LifoQueue, and Queue.join.

Eventlet keeps a queue's blocked getters and putters in sets and wakes
``set.pop()``'s pick, so any blocked getter may receive the next item and
any blocked putter may go next.  Under the harness those sets are
``ChoiceSet``s: the pick is a recorded choice (option 0: lowest greenthread
id), so each of those outcomes is reached, and replays.
"""

from __future__ import annotations

import itertools

import eventlet
from eventlet import queue
from green_outcomes import outcomes, stock, target_of

import harness
from harness._engine.wakeups import ChoiceSet


def blocked_getters() -> tuple[str, ...]:
    jobs: queue.LightQueue = queue.LightQueue()
    got: dict[str, str] = {}

    def getter(name: str) -> None:
        got[name] = jobs.get()

    threads = [eventlet.spawn(getter, name) for name in "abc"]
    eventlet.sleep(0.01)  # all three are blocked now
    for item in "xyz":
        jobs.put(item)
    for thread in threads:
        thread.wait()
    return tuple(got[name] for name in "abc")


def test_any_blocked_getter_may_receive_any_item() -> None:
    found = outcomes(blocked_getters)
    assert found.values == set(itertools.permutations("xyz"))
    assert found.first == ("x", "y", "z")  # option 0 wakes the lowest greenthread id


def blocked_putters() -> tuple[str, ...]:
    slots: queue.Queue = queue.Queue(maxsize=1)
    slots.put("first")
    threads = [eventlet.spawn(slots.put, name) for name in "pq"]
    eventlet.sleep(0.01)  # both putters are blocked on the full queue
    got = tuple(slots.get() for _ in range(3))
    for thread in threads:
        thread.wait()
    return got


def test_any_blocked_putter_of_a_full_queue_may_go_next() -> None:
    assert outcomes(blocked_putters).values == {("first", "p", "q"), ("first", "q", "p")}


def priority() -> tuple[tuple[int, str], ...]:
    ordered: queue.PriorityQueue = queue.PriorityQueue()
    got: list[tuple[int, str]] = []
    consumer = eventlet.spawn(lambda: got.extend(ordered.get() for _ in range(2)))
    producers = [eventlet.spawn(ordered.put, (2, "b")), eventlet.spawn(ordered.put, (1, "a"))]
    for thread in [*producers, consumer]:
        thread.wait()
    return tuple(got)


def test_a_priority_queue_hands_out_the_smallest_item_present() -> None:
    # (2, "b") can only come first if the consumer took it before (1, "a") was put
    found = outcomes(priority)
    assert found.values == {((1, "a"), (2, "b")), ((2, "b"), (1, "a"))}
    assert found.first == stock(priority)


def lifo() -> tuple[str, ...]:
    stack: queue.LifoQueue = queue.LifoQueue()
    pushers = [eventlet.spawn(stack.put, item) for item in "ab"]
    for thread in pushers:
        thread.wait()
    return tuple(stack.get() for _ in range(2))


def test_a_lifo_queue_returns_the_last_item_put_first() -> None:
    found = outcomes(lifo)
    assert found.values == {("b", "a"), ("a", "b")}  # reversed push order, whichever that was
    assert found.first == stock(lifo) == ("b", "a")


def join_program() -> tuple[int, int]:
    work: queue.Queue = queue.Queue()
    done: list[int] = []

    def worker() -> None:
        while True:
            item = work.get()
            eventlet.sleep(0)  # handling it
            done.append(item)
            work.task_done()

    for item in range(3):
        work.put(item)
    workers = [eventlet.spawn(worker) for _ in range(2)]
    work.join()
    seen = len(done)
    for thread in workers:
        thread.kill()
    return seen, work.unfinished_tasks


def test_join_returns_only_once_every_item_is_done() -> None:
    assert outcomes(join_program).values == {(3, 0)}


def timed_get() -> str:
    empty: queue.LightQueue = queue.LightQueue()
    eventlet.spawn_after(0.01, empty.put, "late")  # due exactly when the get gives up
    try:
        return str(empty.get(timeout=0.01))
    except queue.Empty:
        return "empty"


def test_a_get_whose_timeout_ties_with_a_put_gives_up_or_gets_it() -> None:
    # the getter's timeout and the putter are two greenthreads due at the same
    # instant: whichever runs first decides
    assert outcomes(timed_get).values == {"late", "empty"}


def test_the_wake_up_is_a_recorded_choice_that_replays() -> None:
    record: list[object] = []
    target = target_of(blocked_getters, record)

    def replay(*choices: int) -> harness.RunResult:
        schedule = harness.Schedule(target.name, "cooperative", target.fingerprint, choices)
        return harness.replay(target, schedule.encode())

    default = replay()
    events = default.trace.events
    first = next(i for i, e in enumerate(events) if e.kind == "choose")
    assert events[first].detail == "wake queue getter: gt1 [option 0 of 3]"
    decision = sum(1 for e in events[:first] if "[option" in e.detail)  # decisions before it
    again = [replay(*[0] * decision, 2) for _ in range(2)]
    assert record == [("x", "y", "z"), ("y", "z", "x"), ("y", "z", "x")]  # c (gt3) got x, every time
    assert [e.line() for e in again[0].trace.events] == [e.line() for e in again[1].trace.events]


def test_a_queue_made_before_the_exploration_is_converted_on_first_use() -> None:
    shared: queue.LightQueue = queue.LightQueue()  # made outside: plain sets
    assert type(shared.getters) is set

    def program() -> tuple[str, ...]:
        got: dict[str, str] = {}
        threads = [eventlet.spawn(lambda n=n: got.__setitem__(n, shared.get())) for n in "ab"]
        eventlet.sleep(0.01)
        shared.put("x")
        shared.put("y")
        for thread in threads:
            thread.wait()
        return got["a"], got["b"]

    assert outcomes(program).values == {("x", "y"), ("y", "x")}
    assert isinstance(shared.getters, ChoiceSet)


def test_a_choice_set_outside_a_run_is_an_insertion_ordered_set() -> None:
    waiters = ChoiceSet()
    for item in "cab":
        waiters.add(item)
    waiters.add("a")
    assert list(waiters) == ["c", "a", "b"] and len(waiters) == 3 and "a" in waiters
    waiters.discard("zz")
    waiters.remove("c")
    assert waiters.pop() == "a" and waiters.pop() == "b" and not waiters


def test_every_strategy_reaches_the_waiter_choices() -> None:
    # bounded DFS with sleep sets treats the step that makes the choice as opaque,
    # so its reduction keeps every wake-up order; PCT and random explore them too
    for strategy in ("bounded", "pct", "random"):
        record: list[object] = []
        harness.explore(target_of(blocked_getters, record), strategy=strategy, schedules=400,
                        stop_on_failure=False)
        assert set(record) == set(itertools.permutations("xyz")), strategy
