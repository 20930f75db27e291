"""The run loop: who runs next, how a run ends, and what counts as a failure."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import eventlet
import greenlet
import pytest
from engine_helpers import make_target, run_default
from eventlet.semaphore import Semaphore

import harness
from harness._engine.run import Run, RunConfig
from harness._errors import DeadlockError, HarnessError, StepLimitExceeded
from harness._search.session import installed
from harness.strategies import DfsStrategy, ReplayStrategy
from harness.strategies.base import Decision, ExecutionSummary, Option


def _run(body: Callable[[], object], config: RunConfig | None = None, choices: tuple[int, ...] = ()) -> Run:
    """One run through the Run object itself, so its registry can be inspected."""
    run = Run(body, ReplayStrategy(choices), config or RunConfig())
    with installed(make_target(body), "preemptive" if run.config.preemptive else "cooperative"):
        run.execute()
    return run


# -- deadlock, step bound, horizon ------------------------------------------------

def _circular_wait() -> None:
    first, second = eventlet.Event(), eventlet.Event()

    def left() -> None:
        first.wait()
        second.send()

    def right() -> None:
        second.wait()
        first.send()

    a, b = eventlet.spawn(left), eventlet.spawn(right)
    a.wait()
    b.wait()


def test_circular_wait_is_a_deadlock_naming_both_greenthreads_with_their_stacks() -> None:
    exploration = harness.explore(make_target(_circular_wait), strategy="dfs")
    failure = exploration.failure
    assert failure is not None
    assert isinstance(failure.error, DeadlockError)
    message = str(failure.error)
    assert "gt1 blocked at wait at test_scheduler.py" in message
    assert "in left" in message
    assert "gt2 blocked at wait at test_scheduler.py" in message
    assert "in right" in message
    # the stacks: the user's frames, with the lines that block
    assert "first.wait()" in message and "second.wait()" in message
    assert exploration.failures[0].thread == "hub"


def test_deadlock_is_the_stop_reason() -> None:
    result = run_default(_circular_wait)
    assert result.stop_reason == "deadlock"
    assert isinstance(result.failure and result.failure.error, DeadlockError)


def test_an_endless_switching_loop_hits_the_step_bound() -> None:
    def spin() -> None:
        while True:
            eventlet.sleep(0)

    exploration = harness.explore(make_target(spin), strategy="dfs", max_steps=50)
    assert exploration.failure is not None
    assert isinstance(exploration.failure.error, StepLimitExceeded)
    assert "more than 50 steps" in str(exploration.failure.error)
    assert "until=" in str(exploration.failure.error)  # says what to do


def test_a_periodic_loop_stops_cleanly_at_the_horizon() -> None:
    ticks: list[float] = []

    def periodic() -> None:
        def tick() -> None:
            while True:
                eventlet.sleep(3600)
                ticks.append(harness.now())

        eventlet.spawn(tick)

    result = run_default(periodic, until=7200)
    assert result.failure is None
    assert result.stop_reason == "horizon"
    assert [t - ticks[0] for t in ticks] == [0, 3600]  # ticks at +3600 and +7200, not beyond
    assert result.trace.of_kind("stop")[0].detail == "virtual-time horizon reached (7200 s)"
    assert harness.explore(make_target(periodic), strategy="dfs", until=7200).passed


def test_without_a_horizon_the_periodic_loop_is_a_step_limit() -> None:
    def periodic() -> None:
        while True:
            eventlet.sleep(3600)

    result = run_default(periodic, max_steps=20)
    assert isinstance(result.failure and result.failure.error, StepLimitExceeded)


# -- exceptions in greenthreads ---------------------------------------------------------

def test_an_exception_nobody_waits_for_fails_the_run() -> None:
    def body() -> None:
        def doomed() -> None:
            raise ValueError("lost in the background")

        eventlet.spawn(doomed)
        eventlet.sleep(1)

    result = run_default(body)
    assert result.failure is not None
    assert isinstance(result.failure.error, ValueError)
    assert result.failure.thread == "gt1"


def test_an_exception_the_waiter_handles_is_not_a_failure() -> None:
    handled: list[str] = []

    def body() -> None:
        def doomed() -> None:
            raise ValueError("handled")

        thread = eventlet.spawn(doomed)
        try:
            thread.wait()
        except ValueError as exc:
            handled.append(str(exc))

    result = run_default(body)
    assert result.failure is None
    assert handled == ["handled"]
    assert result.trace.of_kind("exit")[0].detail == "raised ValueError: handled"


def test_an_exception_waited_for_but_not_handled_fails_in_the_waiter() -> None:
    def body() -> None:
        eventlet.spawn(lambda: 1 / 0).wait()

    result = run_default(body)
    assert result.failure is not None
    assert isinstance(result.failure.error, ZeroDivisionError)
    assert result.failure.thread == "gt0"


def test_a_spawn_n_greenthread_dying_fails_the_run() -> None:
    def body() -> None:
        def doomed() -> None:
            raise KeyError("spawn_n")

        eventlet.spawn_n(doomed)
        eventlet.sleep(0)

    result = run_default(body)
    assert result.failure is not None
    assert isinstance(result.failure.error, KeyError)
    assert result.failure.thread == "gt1"


def _semaphore_handoff(log: list[str]) -> Callable[[], None]:
    def body() -> None:
        lock = Semaphore()
        lock.acquire()

        def waiter() -> None:
            with lock:
                log.append("waiter")
                raise ValueError("raised by the waiter, handled by gt0")

        thread = eventlet.spawn(waiter)
        eventlet.sleep(0)  # the waiter blocks on the semaphore

        def releaser() -> None:
            lock.release()
            eventlet.sleep(0)  # still alive when the waiter dies
            log.append("releaser")

        other = eventlet.spawn(releaser)
        with pytest.raises(ValueError):
            thread.wait()
        other.wait()

    return body


def test_an_exception_raised_after_a_semaphore_wakeup_belongs_to_the_waiter() -> None:
    # Regression: the semaphore's wake-up timer is armed by the releaser; the
    # waiter's handled exception was blamed on the (live) releaser and failed
    # the run, and the trace said the releaser ran.
    log: list[str] = []
    exploration = harness.explore(make_target(_semaphore_handoff(log)), strategy="dfs")
    assert exploration.passed and exploration.exhausted
    result = run_default(_semaphore_handoff([]))
    ran = [(e.thread, e.detail.split(" at ")[0]) for e in result.trace.of_kind("run")]
    assert ("gt1", "after __enter__") in ran
    assert result.trace.of_kind("exit")[0].thread == "gt1"


def test_a_reraised_exception_is_blamed_on_the_greenthread_it_left_last() -> None:
    # gt1, woken by a semaphore, re-raises the exception gt2 died of; gt2's was
    # handled, gt1's nobody waits for: the run fails, in gt1.
    def body() -> None:
        lock = Semaphore()
        lock.acquire()
        doomed: list[eventlet.greenthread.GreenThread] = []

        def waiter() -> None:
            with lock:
                doomed[0].wait()

        eventlet.spawn(waiter)
        doomed.append(eventlet.spawn(lambda: 1 / 0))
        with pytest.raises(ZeroDivisionError):
            doomed[0].wait()

        def releaser() -> None:
            lock.release()
            eventlet.sleep(0)

        eventlet.spawn(releaser)
        eventlet.sleep(1)

    result = run_default(body)
    assert result.failure is not None
    assert isinstance(result.failure.error, ZeroDivisionError)
    assert result.failure.thread == "gt1"


def test_semaphore_wakeup_and_the_releaser_are_both_choices() -> None:
    # The waiter's wake-up belongs to the waiter, so "releaser goes on first" is
    # an interleaving DFS must reach too.
    orders: set[tuple[str, ...]] = set()

    def body() -> None:
        log: list[str] = []
        _semaphore_handoff(log)()
        orders.add(tuple(log))

    harness.explore(make_target(body), strategy="dfs")
    assert orders == {("waiter", "releaser"), ("releaser", "waiter")}


# -- interrupts and teardown ---------------------------------------------------------

def test_keyboard_interrupt_from_a_greenthread_propagates_after_teardown() -> None:
    def body() -> None:
        def interrupt() -> None:
            raise KeyboardInterrupt

        eventlet.spawn(interrupt)
        eventlet.spawn(eventlet.sleep, 50)
        eventlet.sleep(10)

    run = Run(body, ReplayStrategy(()), RunConfig())
    with pytest.raises(KeyboardInterrupt), installed(make_target(body), "cooperative"):
        run.execute()
    assert run.stop_reason == "interrupted"
    assert run._by_id and all(thread.dead for thread in run._by_id)


def test_an_interrupt_while_stopping_greenthreads_still_stops_the_others() -> None:
    # Regression: a KeyboardInterrupt raised while teardown stopped one
    # greenthread left every later one alive after the run.
    def body() -> None:
        def interrupts_when_stopped() -> None:
            try:
                eventlet.Event().wait()
            except greenlet.GreenletExit:
                raise KeyboardInterrupt from None

        eventlet.spawn(interrupts_when_stopped)
        for _ in range(2):
            eventlet.spawn(eventlet.Event().wait)
        eventlet.sleep(0)
        eventlet.Event().wait()  # deadlock: teardown has to stop all four

    run = Run(body, ReplayStrategy(()), RunConfig())
    with pytest.raises(KeyboardInterrupt), installed(make_target(body), "cooperative"):
        run.execute()
    assert run.stop_reason == "interrupted"
    assert len(run._by_id) == 4
    assert [thread for thread in run._by_id if not thread.dead] == []


def test_teardown_stops_every_greenthread_still_alive() -> None:
    cleaned: list[str] = []

    def body() -> None:
        def forever(name: str) -> None:
            try:
                eventlet.sleep(10**9)
            finally:
                cleaned.append(name)

        for name in "abc":
            eventlet.spawn(forever, name)
        eventlet.sleep(1)

    run = _run(body, RunConfig(until=5))
    assert run.stop_reason == "horizon"
    assert all(thread.dead for thread in run._by_id)
    assert len(run._by_id) == 4
    assert cleaned == ["a", "b", "c"]  # stopped in id order


def test_a_greenthread_that_swallows_greenletexit_is_reported() -> None:
    def body() -> None:
        def stubborn() -> None:
            while True:
                with contextlib.suppress(greenlet.GreenletExit):
                    eventlet.sleep(10**9)

        eventlet.spawn(stubborn)
        eventlet.sleep(1)

    run = _run(body, RunConfig(until=5, teardown_steps=10))
    assert any("would not stop" in str(f.error) for f in run.failures)


def test_a_strategy_returning_a_bad_index_fails_the_run() -> None:
    class Liar(DfsStrategy):
        def choose(self, decision: Decision) -> int:
            return 5

    def body() -> None:
        eventlet.spawn(eventlet.sleep, 0)
        eventlet.sleep(0)

    run = Run(body, Liar(), RunConfig())
    with installed(make_target(body), "cooperative"):
        result = run.execute()
    assert isinstance(result.failure and result.failure.error, HarnessError)
    assert "option 5 of 2" in str(result.failure and result.failure.error)


# -- decisions and the trace ---------------------------------------------------------------

def test_decisions_offer_option_0_first_then_greenthreads_in_id_order() -> None:
    seen: list[Decision] = []

    class Recorder(DfsStrategy):
        def choose(self, decision: Decision) -> int:
            seen.append(decision)
            return 0

        def end_execution(self, summary: ExecutionSummary) -> None:
            pass

    def body() -> None:
        for _ in range(3):
            eventlet.spawn(eventlet.sleep, 0)
        eventlet.sleep(0)

    run = Run(body, Recorder(), RunConfig())
    with installed(make_target(body), "cooperative"):
        run.execute()
    first = seen[0]
    # gt1's start was armed first (eventlet's next); then gt0, gt2, gt3 by id
    assert [o.thread for o in first.options] == [1, 0, 2, 3]
    labels = [o.label for o in first.options]
    assert labels[0] == labels[2] == labels[3] == "start"
    assert labels[1].startswith("sleep at test_scheduler.py")
    assert first.current == 0 and not first.preemption
    assert [d.index for d in seen] == list(range(len(seen)))


def test_options_kept_past_the_decision_still_say_what_could_run_then() -> None:
    # The run loop builds options only when a strategy looks; one that keeps them
    # without looking must later see them as they were, not as the run left them.
    looked: list[list[Option]] = []
    kept: list[Sequence[Option]] = []

    class Looks(DfsStrategy):
        def choose(self, decision: Decision) -> int:
            looked.append(list(decision.options))
            return len(decision.options) - 1

    class Keeps(DfsStrategy):
        def choose(self, decision: Decision) -> int:
            kept.append(decision.options)
            return len(decision.options) - 1

    def body() -> None:
        def worker() -> None:
            for _ in range(2):
                eventlet.sleep(0)

        threads = [eventlet.spawn(worker) for _ in range(3)]
        for thread in threads:
            thread.wait()

    for strategy in (Looks(), Keeps()):
        with installed(make_target(body), "cooperative"):
            Run(body, strategy, RunConfig()).execute()
    assert len(looked) > 5 and any(len(options) > 2 for options in looked)
    assert [list(options) for options in kept] == looked


def test_the_trace_tells_who_spawned_whom_and_why_each_greenthread_ran() -> None:
    def body() -> None:
        def worker() -> None:
            eventlet.sleep(0)

        eventlet.spawn(worker).wait()

    lines = run_default(body).trace.lines()
    details = [line.split(None, 4)[2:] for line in lines]
    assert details[0][:2] == ["hub", "spawn"]
    test_name = "test_the_trace_tells_who_spawned_whom_and_why_each_greenthread_ran"
    assert ["gt0", "spawn", f"gt1 {test_name}.<locals>.body.<locals>.worker"] in details
    runs = [d for d in details if d[1] == "run"]
    assert [d[0] for d in runs] == ["gt0", "gt1", "gt1", "gt0"]
    assert runs[2][2].startswith("after sleep at test_scheduler.py")
    assert runs[3][2].startswith("after wait at test_scheduler.py")
