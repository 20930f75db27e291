"""The choke points code under test calls: inert outside a run, live inside."""

from __future__ import annotations

import threading
import time

import eventlet
from engine_helpers import run_default

import harness
from harness._engine import points
from harness._engine.clock import EPOCH


def test_outside_a_run_every_point_is_a_no_op() -> None:
    assert not harness.in_run()
    harness.yield_point("nothing")
    harness.io_point("nothing", 5.0)
    harness.note("kind", "nothing")
    harness.record_failure(ValueError("nobody hears this"))
    assert harness.current_thread_name() == threading.current_thread().name
    assert abs(harness.now() - time.time()) < 1.0
    assert points.active_run() is None


def test_inside_a_run_the_points_know_the_run() -> None:
    seen: list[object] = []

    def body() -> None:
        seen.append((harness.in_run(), harness.current_thread_name(), harness.now()))

        def child() -> None:
            eventlet.sleep(3)
            seen.append((harness.current_thread_name(), harness.now()))

        eventlet.spawn(child).wait()

    run_default(body)
    assert seen == [(True, "gt0", EPOCH), ("gt1", EPOCH + 3)]


def test_note_adds_an_event_to_the_trace() -> None:
    result = run_default(lambda: harness.note("request", "GET /api/cluster"))
    notes = result.trace.of_kind("request")
    assert [(e.thread, e.detail) for e in notes] == [("gt0", "GET /api/cluster")]


def test_record_failure_fails_the_run_even_if_the_code_swallows_the_error() -> None:
    def body() -> None:
        try:
            error = AssertionError("wrong SVM header")
            harness.record_failure(error)
            raise error
        except Exception:  # noqa: BLE001 - the code under test hides it
            pass

    result = run_default(body)
    assert result.failure is not None
    assert str(result.failure.error) == "wrong SVM header"
    assert "test_points.py" in result.failure.traceback


def test_io_point_switches_like_green_io_and_labels_the_switch() -> None:
    log: list[str] = []

    def body() -> None:
        def other() -> None:
            log.append("other")

        eventlet.spawn(other)
        harness.io_point("send GET /api/svm")
        log.append("after io")
        harness.io_point("slow receive", 2.0)
        log.append("after slow io")

    result = run_default(body)
    assert log == ["other", "after io", "after slow io"]
    details = [e.detail for e in result.trace.of_kind("run")]
    assert "after send GET /api/svm [option 0 of 2]" not in details  # gt1 was first armed
    assert any(d.startswith("after send GET /api/svm") for d in details)
    assert "after slow receive" in details
    assert result.end_time == EPOCH + 2.0


def test_io_point_with_nothing_else_ready_does_not_switch_but_is_traced() -> None:
    result = run_default(lambda: harness.io_point("lonely send"))
    assert [e.detail for e in result.trace.of_kind("io")] == ["lonely send"]
    assert result.steps == 1


def test_yield_point_under_the_cooperative_model_offers_no_choice() -> None:
    def body() -> None:
        def other() -> None:
            harness.yield_point("never a switch")

        thread = eventlet.spawn(other)
        harness.yield_point("never a switch either")
        thread.wait()

    result = run_default(body)
    assert result.decisions == 0
    assert not any("never" in line for line in result.trace.lines())


def test_a_point_from_another_os_thread_does_not_reach_the_run() -> None:
    go, done = threading.Event(), threading.Event()
    from_other: list[object] = []

    def other_thread() -> None:
        go.wait(10)
        from_other.extend([harness.in_run(), harness.current_thread_name()])
        harness.note("stray", "from another OS thread")
        done.set()

    def body() -> None:
        go.set()
        assert done.wait(10)  # a real wait: the other thread runs while the run is active
        from_other.append(harness.in_run())

    thread = threading.Thread(target=other_thread, name="bystander")
    thread.start()
    result = run_default(body)
    thread.join(10)
    assert from_other == [False, "bystander", True]
    assert result.trace.of_kind("stray") == []


def test_thread_names_tell_greenthreads_apart_outside_a_run() -> None:
    import eventlet

    from harness._engine.points import current_thread_name

    main = current_thread_name()
    names: list[str] = []

    def record() -> None:
        names.append(current_thread_name())
        eventlet.sleep(0)  # both greenthreads alive at once: no address reuse

    threads = [eventlet.spawn(record) for _ in range(2)]
    for thread in threads:
        thread.wait()
    assert len(set(names)) == 2, names
    assert all(name.startswith(main + ":greenlet-") for name in names)
