"""spawn, spawn_n, spawn_after and GreenThread.link/kill/wait/cancel: every order eventlet allows.

The model (DESIGN.md section 3): any ready greenthread may run next, and
option 0 is the one eventlet's hub runs first, so the all-zero schedule
is eventlet's own order.  Each test lists the outcomes eventlet's
semantics allow and checks the exhaustive exploration finds exactly those.
"""

from __future__ import annotations

import eventlet
import greenlet
from green_outcomes import outcomes, stock


def two_spawns() -> tuple[str, ...]:
    log: list[str] = []
    first, second = eventlet.spawn(log.append, "a"), eventlet.spawn(log.append, "b")
    first.wait()
    second.wait()
    return tuple(log)


def test_spawned_greenthreads_run_in_either_order_and_default_is_spawn_order() -> None:
    found = outcomes(two_spawns)
    assert found.values == {("a", "b"), ("b", "a")}
    assert found.first == stock(two_spawns) == ("a", "b")


def spawn_n_then_yield() -> tuple[str, ...]:
    log: list[str] = []
    eventlet.spawn_n(log.append, "a")
    eventlet.spawn_n(log.append, "b")
    eventlet.sleep(0)  # the caller is ready again at once: it may run before, between or after them
    return tuple(log)


def test_spawn_n_greenlets_and_the_yielding_caller_interleave_freely() -> None:
    found = outcomes(spawn_n_then_yield)
    assert found.values == {(), ("a",), ("b",), ("a", "b"), ("b", "a")}
    assert found.first == stock(spawn_n_then_yield) == ("a", "b")


def spawn_after_program() -> tuple[str, ...]:
    # Delays far above a loaded machine's scheduling stalls: stock() runs this on
    # eventlet's own hub in real time, where a 10 ms stall once let "x" beat "now".
    log: list[str] = []
    eventlet.spawn_after(0.4, log.append, "late")
    eventlet.spawn_after(0.2, log.append, "x")
    eventlet.spawn_after(0.2, log.append, "y")  # due at the same instant as "x": a tie
    cancelled = eventlet.spawn_after(0.2, log.append, "cancelled")
    cancelled.cancel()
    eventlet.spawn(log.append, "now")
    eventlet.sleep(0.5)
    return tuple(log)


def test_spawn_after_runs_by_due_time_ties_in_either_order_cancelled_never() -> None:
    found = outcomes(spawn_after_program)
    assert found.values == {("now", "x", "y", "late"), ("now", "y", "x", "late")}
    assert found.first == stock(spawn_after_program) == ("now", "x", "y", "late")


def links() -> tuple[object, ...]:
    log: list[object] = []

    def work() -> int:
        log.append("work")
        return 7

    def on_exit(thread: eventlet.greenthread.GreenThread, tag: str) -> None:
        log.append((tag, thread.wait()))

    worker = eventlet.spawn(work)
    linker = eventlet.spawn(lambda: worker.link(on_exit, "h"))
    eventlet.sleep(0)
    worker.link(on_exit, "main")  # before the worker finished: runs in it; after: runs here, at once
    worker.wait()
    linker.wait()
    return tuple(log)


def test_link_callbacks_run_in_link_order_whenever_the_thread_ends() -> None:
    found = outcomes(links)
    assert found.values == {("work", ("h", 7), ("main", 7)), ("work", ("main", 7), ("h", 7))}
    assert found.first == stock(links)


def kill_race() -> tuple[str, ...]:
    log: list[str] = []

    def victim() -> None:
        log.append("started")
        eventlet.sleep(0)
        log.append("finished")

    thread = eventlet.spawn(victim)
    eventlet.sleep(0)
    thread.kill()
    try:
        thread.wait()
        log.append("returned")
    except greenlet.GreenletExit:
        log.append("killed")
    return tuple(log)


def test_kill_lands_before_start_mid_way_or_after_the_end() -> None:
    found = outcomes(kill_race)
    assert found.values == {("killed",), ("started", "killed"), ("started", "finished", "returned")}
    assert found.first == stock(kill_race) == ("started", "killed")


def test_killing_a_greenthread_before_it_starts_offers_no_phantom_choice() -> None:
    def kill_unstarted() -> str:
        thread = eventlet.spawn(lambda: "ran")
        thread.kill()
        try:
            return str(thread.wait())
        except greenlet.GreenletExit:
            return "killed"

    found = outcomes(kill_unstarted)
    assert found.values == {"killed"}
    assert found.schedules == 1  # its start timer is gone, not a second option


def test_an_exception_delivered_to_a_waiter_is_the_programs_business() -> None:
    def failing_then_waited() -> str:
        def fail() -> None:
            eventlet.sleep(0)
            raise ValueError("boom")

        thread = eventlet.spawn(fail)
        try:
            thread.wait()
        except ValueError as exc:
            return f"caught {exc}"
        return "returned"

    found = outcomes(failing_then_waited)  # no failing run: somebody observed the exception
    assert found.values == {"caught boom"}
