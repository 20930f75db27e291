"""GreenPool (spawn, spawn_n, waitall, imap, starmap, the full-pool inline case), GreenPile, pools.Pool.

A GreenPool's slots are a semaphore (first come, first served), its
``imap``/``starmap``/``GreenPile`` hand results over through a LightQueue,
and ``pools.Pool`` parks waiters on a LightQueue's getters: the last two
wake-ups are set pops in eventlet, recorded choices here.
"""

from __future__ import annotations

import itertools

import eventlet
import greenlet
from eventlet import greenpool, pools
from green_outcomes import outcomes, stock


def pool_of_two() -> tuple[int, int]:
    pool = greenpool.GreenPool(2)
    running = {"now": 0, "most": 0}
    done: list[int] = []

    def task(number: int) -> None:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        eventlet.sleep(0)
        running["now"] -= 1
        done.append(number)

    for number in range(3):
        pool.spawn(task, number)
    pool.waitall()
    return running["most"], len(done)


def test_a_pool_never_runs_more_than_its_size_and_waitall_waits_for_all() -> None:
    found = outcomes(pool_of_two)
    assert found.values == {(1, 3), (2, 3)}  # never 3 at once; all done after waitall
    assert found.first == stock(pool_of_two) == (2, 3)


def pool_spawn_n() -> tuple[str, ...]:
    pool = greenpool.GreenPool(1)
    log: list[str] = []
    for name in "ab":
        pool.spawn_n(log.append, name)
    pool.waitall()
    return tuple(log)


def test_spawn_n_into_a_pool_of_one_runs_in_submission_order() -> None:
    # the second spawn_n blocks on the slot until the first is done
    assert outcomes(pool_spawn_n).values == {("a", "b")}


def full_pool_inline() -> tuple[object, ...]:
    pool = greenpool.GreenPool(1)
    log: list[object] = []

    def inner(parent: greenlet.greenlet) -> None:
        log.append(("inner in the caller", greenlet.getcurrent() is parent))

    def outer() -> None:
        log.append("outer start")
        pool.spawn(inner, greenlet.getcurrent())  # pool full, caller is a pool thread: runs inline
        log.append("outer end")

    pool.spawn(outer)
    pool.waitall()
    return tuple(log)


def test_a_full_pool_runs_a_spawn_from_its_own_thread_inline() -> None:
    found = outcomes(full_pool_inline)
    assert found.values == {("outer start", ("inner in the caller", True), "outer end")}


def imap_program() -> tuple[tuple[int, ...], tuple[int, ...]]:
    pool = greenpool.GreenPool(2)
    finished: list[int] = []

    def square(number: int) -> int:
        if number == 1:
            eventlet.sleep(0)  # the first takes one more switch
        finished.append(number)
        return number * number

    results = tuple(pool.imap(square, [1, 2]))
    return results, tuple(finished)


def test_imap_yields_in_input_order_whatever_order_the_calls_finish_in() -> None:
    found = outcomes(imap_program)
    assert {results for results, _finished in found.values} == {(1, 4)}
    assert {finished for _results, finished in found.values} == {(1, 2), (2, 1)}
    assert found.first == stock(imap_program)


def starmap_program() -> tuple[int, ...]:
    pool = greenpool.GreenPool(2)
    return tuple(pool.starmap(lambda a, b: a * b, [(1, 2), (3, 4)]))


def test_starmap_yields_each_result_in_input_order() -> None:
    found = outcomes(starmap_program)
    assert found.values == {(2, 12)}
    assert found.schedules > 1


def pile_program() -> tuple[tuple[str, ...], tuple[str, ...]]:
    pile = greenpool.GreenPile(2)
    started: list[str] = []

    def job(name: str) -> str:
        started.append(name)
        eventlet.sleep(0)
        return name.upper()

    for name in "abc":
        pile.spawn(job, name)
    return tuple(pile), tuple(started)


def test_a_green_pile_yields_in_spawn_order() -> None:
    found = outcomes(pile_program)
    assert {results for results, _started in found.values} == {("A", "B", "C")}
    assert ("b", "a", "c") in {started for _results, started in found.values}


def connection_pool() -> tuple[str, ...]:
    created: list[int] = []

    class Connections(pools.Pool):  # type: ignore[misc]
        def create(self) -> int:
            created.append(len(created))
            return created[-1]

    connections = Connections(max_size=1)
    order: list[str] = []
    holders = {"now": 0}

    def user(name: str) -> None:
        with connections.item():
            holders["now"] += 1
            assert holders["now"] == 1, "two users hold the only connection"
            order.append(name)
            eventlet.sleep(0)
            holders["now"] -= 1

    threads = [eventlet.spawn(user, name) for name in "abc"]
    for thread in threads:
        thread.wait()
    assert created == [0]
    return tuple(order)


def test_a_pool_of_one_serves_its_waiters_in_any_order_one_at_a_time() -> None:
    found = outcomes(connection_pool)
    assert found.values == set(itertools.permutations("abc"))
    assert found.first == ("a", "b", "c")
