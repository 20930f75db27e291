"""Traces: one line per event, readable, and labelled with the user's code."""

from __future__ import annotations

import eventlet
from engine_helpers import run_default

import harness
from harness._engine.clock import EPOCH
from harness._engine.labels import caller_label, is_internal
from harness._engine.trace import Event, Trace


def test_an_event_is_one_fixed_width_line() -> None:
    event = Event(12, EPOCH + 1.5, "gt3", "run", "after sleep at app.py:9 in work")
    assert event.line() == "    12  t=+1.500000    gt3   run     after sleep at app.py:9 in work"


def test_text_has_a_header_and_can_keep_only_the_last_events() -> None:
    trace = Trace()
    for step in range(5):
        trace.add(step, EPOCH, "gt0", "run", f"event {step}")
    assert len(trace) == 5
    full = trace.text().splitlines()
    assert full[0].split() == ["step", "time", "gt", "event", "detail"]
    assert len(full) == 6
    short = trace.text(limit=2).splitlines()
    assert short[1] == "  ... 3 earlier events ..."
    assert short[2:] == trace.lines()[-2:]
    assert trace.text(limit=10) == trace.text()


def test_of_kind_filters_in_order() -> None:
    trace = Trace()
    trace.add(0, EPOCH, "hub", "spawn", "gt0")
    trace.add(1, EPOCH, "gt0", "run", "a")
    trace.add(1, EPOCH, "gt0", "note", "b")
    trace.add(2, EPOCH, "gt0", "run", "c")
    assert [e.detail for e in trace.of_kind("run")] == ["a", "c"]
    assert trace.of_kind("fail") == []


def test_a_run_trace_names_the_users_line_not_eventlets() -> None:
    def body() -> None:
        eventlet.sleep(0)  # the switch the trace must point at
        eventlet.sleep(2)

    result = run_default(body)
    details = [event.detail for event in result.trace.of_kind("run")]
    assert details[0] == "after start"
    assert details[1].startswith("after sleep at test_trace.py:")
    assert details[1].endswith(" in body")
    assert result.trace.lines()[-1].split()[1] == "t=+2.000000"


def test_caller_label_skips_harness_and_eventlet_frames() -> None:
    def here() -> str:
        return caller_label(1)

    label = here()
    assert label.startswith("test_trace.py:")
    assert label.endswith(" in here")
    assert is_internal(eventlet.__file__)
    assert not is_internal(__file__)  # tests are user code even inside the repository


def test_every_event_the_harness_writes_has_a_declared_kind() -> None:
    """The kinds are one enum: a run that spawns, preempts, chooses among waiters, lets a
    greenthread die unobserved, reaches its horizon and fails writes only EventKind members
    (harness.note may add kinds of its own: those are the user's strings)."""
    from eventlet import queue

    from harness._engine.kinds import EventKind

    def body() -> None:
        items: queue.LightQueue[int] = queue.LightQueue()
        got: list[int] = []
        getters = [eventlet.spawn(lambda: got.append(items.get())) for _ in range(2)]
        eventlet.sleep(0)
        items.put(1)
        items.put(2)
        for getter in getters:
            getter.wait()
        eventlet.spawn_n(lambda: 1 / 0)
        eventlet.spawn(lambda: [eventlet.sleep(1.0) for _ in iter(int, 1)])
        eventlet.sleep(0)
        harness.note("request", "a user's own kind")
        harness.violation("wrong thing", "for the test")
        assert got == [2, 1], got

    outcome = harness.explore(body, strategy="dfs", schedules=20, database="off", until=3.0,
                              unobserved_exceptions="ignore", stop_on_failure=False)
    kinds = {e.kind for f in outcome.failures for e in f.trace.events}
    assert {EventKind.RUN, EventKind.SPAWN, EventKind.CHOOSE, EventKind.UNHANDLED, EventKind.FAIL,
            EventKind.VIOLATION} <= kinds
    assert all(isinstance(kind, EventKind) for kind in kinds - {"request"}), kinds
