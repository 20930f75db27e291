"""The race pair: a failing preemptive run names the data two greenthreads raced on."""

from __future__ import annotations

import eventlet
from eventlet import semaphore
from preempt_programs import session

import harness
from harness._engine.races import AccessLog
from harness._engine.rewrite import preempt_modules
from harness._targets import Target

RESOURCE = "Client#0._session"


def test_the_log_tells_a_write_overtaken_before_its_writer_read_it_back() -> None:
    log = AccessLog()
    log.begin_step(1)
    log.record(1, (), ("C.x",), "a.py:1 in build")
    log.begin_step(2)
    log.record(2, (), ("C.x",), "a.py:1 in build")
    log.begin_step(1)
    log.record(1, ("C.x",), (), "a.py:2 in send")
    story = log.story({1: "gt1", 2: "gt2"})
    assert story == ("conflicting accesses: gt1 wrote C.x at a.py:1 in build; gt2 wrote it at a.py:1 in "
                     "build before gt1 read it back at a.py:2 in send")


def test_accesses_ordered_by_a_wake_up_are_not_a_conflict() -> None:
    log = AccessLog()
    log.begin_step(1)
    log.record(1, (), ("C.x",), "a.py:1")
    log.woke(1, 2)  # gt1 released what gt2 waited for
    log.begin_step(2)
    log.record(2, ("C.x",), (), "a.py:2")
    assert log.story({}) is None
    log.begin_step(3)  # nothing ordered gt3 after gt1
    log.record(3, (), ("C.x",), "a.py:3")
    assert log.story({}) == "conflicting accesses: gt2 read C.x at a.py:2; gt3 wrote it at a.py:3"


def test_reads_alone_never_conflict() -> None:
    log = AccessLog()
    for thread in (1, 2, 1):
        log.begin_step(thread)
        log.record(thread, ("C.x",), (), "a.py:1")
    assert log.story({}) is None


def overwrite() -> None:
    client = session.Client()
    workers = [eventlet.spawn(client.send, svm) for svm in ("vs1", "vs2")]
    for worker in workers:
        worker.wait()
    if client.wrong():
        raise AssertionError(f"requests sent with the wrong SVM: {client.wrong()}")


def guarded_counter() -> None:
    lock = semaphore.Semaphore(1)
    box = session.Client()
    box.sent = []

    def send(svm: str) -> None:
        with lock:
            box.send(svm)

    workers = [eventlet.spawn(send, svm) for svm in ("vs1", "vs2")]
    for worker in workers:
        worker.wait()
    raise AssertionError("fails in every order, with no race")


def _target(body: object, name: str) -> Target:
    return Target(name, body, "0" * 12, instrument=lambda: preempt_modules(["preempt_programs"]))  # type: ignore[arg-type]


def test_a_failing_run_names_the_session_race_and_its_lines() -> None:
    outcome = harness.explore(_target(overwrite, "races:overwrite"), strategy="bounded",
                              preemption="preemptive", schedules=500, database="off")
    failure = outcome.failure
    assert failure is not None and failure.race is not None, outcome.verdict()
    assert RESOURCE in failure.race and "session.py:" in failure.race, failure.race
    assert "wrote" in failure.race and "before gt" in failure.race, failure.race
    assert f"race:     {failure.race}" in failure.describe()
    assert failure.trace.events[-1].kind == "race"
    replayed = harness.replay(_target(overwrite, "races:overwrite"), failure.schedule)
    assert replayed.race == failure.race  # the same story every replay


def test_a_lock_ordered_program_reports_no_conflict() -> None:
    outcome = harness.explore(_target(guarded_counter, "races:guarded"), strategy="dfs",
                              preemption="preemptive", schedules=50, database="off")
    assert outcome.failure is not None and outcome.failure.race is None, outcome.failure.race


def test_the_cooperative_model_logs_nothing() -> None:
    outcome = harness.explore(_target(overwrite, "races:overwrite"), strategy="dfs", schedules=50,
                              database="off")
    assert outcome.passed


def test_every_report_format_names_what_raced(tmp_path: object) -> None:
    """Markdown, HTML, SVG and JSON of the failure's bundle carry the race pair."""
    import json
    from pathlib import Path

    from harness._report import make_report, write_bundle

    target = _target(overwrite, "races:overwrite")
    outcome = harness.explore(target, strategy="bounded", preemption="preemptive", schedules=500,
                              database="off")
    assert outcome.failure is not None and outcome.failure.race is not None
    report = make_report(target, outcome.failure.schedule, spec=outcome.failure.spec)
    assert report.race is not None and RESOURCE in report.race
    out = Path(str(tmp_path))
    written = write_bundle(report, out)
    assert "## What raced" in written["markdown"].read_text()
    assert "What raced" in written["html"].read_text()
    assert RESOURCE in written["svg"].read_text()
    assert json.loads(written["json"].read_text())["race"] == report.race
