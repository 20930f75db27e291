"""Statistics of every exploration, and how the CLI shows them."""

from __future__ import annotations

import io
import json

import pytest
import race_programs as rp

import harness
from harness._frontends.cli import main
from harness._search.stats import ProgressLine
from harness.strategies import BoundedDfsStrategy, DfsStrategy, RandomStrategy

LOST3 = rp.target(lambda: rp.lost_update(workers=3), "lost3")


def test_counts_schedules_distinct_traces_and_decisions() -> None:
    outcome = harness.explore(LOST3, strategy=DfsStrategy(), schedules=50, stop_on_failure=False,
                              database="off")
    stats = outcome.stats
    assert stats.schedules_run == outcome.schedules_run == 50
    assert stats.distinct_traces == 50  # DFS never runs the same schedule twice
    assert stats.decisions_total == outcome.decisions
    assert stats.decisions_min is not None
    assert 0 < stats.decisions_min <= stats.decisions_mean <= stats.decisions_max


def test_repeated_schedules_are_one_distinct_trace() -> None:
    outcome = harness.explore(rp.target(rp.safe, "safe"), strategy=RandomStrategy(0), schedules=40,
                              database="off")
    assert outcome.stats.schedules_run == 40
    assert outcome.stats.distinct_traces < 40


def test_first_failure_statistics() -> None:
    outcome = harness.explore(rp.target(rp.lostp, "lostp"), strategy=BoundedDfsStrategy(None),
                              preemption="preemptive", database="off")
    stats = outcome.stats
    assert outcome.failure is not None
    assert stats.schedules_to_first_failure == outcome.first_failure_after
    assert stats.failing_preemptions == outcome.failure.preemptions == 1
    assert stats.time_to_first_failure is not None and stats.time_to_first_failure > 0
    assert stats.strategy["explored"] >= 1
    as_json = stats.as_dict()
    assert as_json["failing_preemptions"] == 1 and "decisions_per_schedule" in as_json


def test_cli_json_and_text_carry_the_statistics(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explore", "race_programs:lostp", "--strategy", "bounded", "--preemption", "preemptive",
            "--no-database"]
    assert main([*args, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["stats"]["failing_preemptions"] == 1
    assert data["stats"]["schedules_to_first_failure"] == data["schedules_run"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "distinct traces" in captured.out and "first failure at schedule" in captured.out
    assert "\r" not in captured.err and "schedules," not in captured.err  # not a terminal: quiet


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal_and_after_a_second() -> None:
    assert ProgressLine.for_stream(io.StringIO()) is None
    stream = _Tty()
    line = ProgressLine.for_stream(stream)
    assert line is not None
    outcome = harness.explore(rp.target(rp.safe, "safe"), strategy=RandomStrategy(0), schedules=3,
                              database="off")
    line(outcome)
    assert stream.getvalue() == ""  # the first second is quiet
    line._started -= 2.0
    line(outcome)
    assert "3 schedules" in stream.getvalue()
    line.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_a_refused_run_is_counted_as_refused_not_as_a_first_failure() -> None:
    import threading

    def starts_native_thread() -> None:
        thread = threading.Thread(target=lambda: None)
        thread.start()
        thread.join()

    outcome = harness.explore(starts_native_thread, schedules=5, database="off")
    assert outcome.refused
    stats = outcome.stats
    assert stats.refused_at == 1 and stats.schedules_to_first_failure is None
    assert stats.failing_preemptions is None
    assert "refused at schedule 1" in stats.summary() and "first failure" not in stats.summary()
    assert stats.as_dict()["refused_at"] == 1
