"""A failure carries the options it was found with: every printed command reproduces it.

Each program of ``session_programs`` fails one way with a non-default run
option and another way (or not at all) without it.  The failure's replay
command, and the replay, shrink and report commands run with the options it
prints, must show the very failure exploring found.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

import harness
from harness._frontends import cli
from harness._options import RUN_OPTIONS
from harness._search.session import RunSpec

CASES: dict[str, tuple[str, dict[str, Any], list[str], str]] = {
    # id: (target, explore options, flags the replay command must spell, error without them)
    "tpool": ("session_programs:offloads_then_races", {"tpool": "inline"}, ["--tpool inline"],
              "TpoolRefused"),
    "uncontrolled": ("session_programs:starts_thread_then_races", {"uncontrolled": "warn"},
                     ["--uncontrolled warn"], "UncontrolledConcurrency"),
    "unobserved": ("session_programs:dies_unobserved_then_races", {"unobserved_exceptions": "ignore"},
                   ["--unobserved-exceptions ignore"], "KeyError"),
    "preempt_modules": ("session_programs:increments_a_package_counter",
                        {"preempt_modules": ["preempt_programs"], "preemption": "preemptive"},
                        ["--preempt-module preempt_programs"], ""),
    "until": ("session_programs:ticks_then_reports_unobserved", {"until": 3.0, "max_steps": 2000},
              ["--until 3", "--max-steps 2000"], "StepLimitExceeded"),
}


def _found(case: str) -> harness.Failure:
    target, options, _flags, _other = CASES[case]
    outcome = harness.explore(target, strategy="dfs", schedules=100, database="off", **options)
    assert outcome.failure is not None, outcome.verdict()
    assert type(outcome.failure.error).__name__ == "LostUpdate", outcome.failure.describe()
    return outcome.failure


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_replay_command_spells_every_option_the_failure_was_found_with(case: str) -> None:
    failure = _found(case)
    command = failure.replay_command()
    for flag in CASES[case][2]:
        assert flag in command, command
    assert failure.spec is not None and command == failure.spec.replay_command(failure.schedule)
    assert f"replay:   {command}" in failure.describe()


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_printed_replay_command_reproduces_the_failure(
        case: str, capsys: pytest.CaptureFixture[str]) -> None:
    failure = _found(case)
    code, out = _run_cli(shlex.split(failure.replay_command())[1:], capsys)
    assert code == 1 and "LostUpdate" in out, out
    target, _options, _flags, other = CASES[case]
    code, out = _run_cli(["replay", target, failure.schedule, "--no-fallback"], capsys)  # options dropped
    assert "LostUpdate" not in out.split("\n", 1)[0] and other in out, out


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_api_replays_with_the_failures_spec(case: str) -> None:
    failure = _found(case)
    result = harness.replay(CASES[case][0], failure.schedule, spec=failure.spec)
    assert result.failure is not None and type(result.failure.error).__name__ == "LostUpdate"


@pytest.mark.parametrize("case", sorted(CASES))
def test_shrink_with_the_printed_options_shrinks_the_race_not_a_refusal(
        case: str, capsys: pytest.CaptureFixture[str]) -> None:
    failure = _found(case)
    args = shlex.split(failure.replay_command())[1:]
    code, out = _run_cli(["shrink", *args[1:]], capsys)
    assert code == 1 and out.startswith("LostUpdate"), out
    for flag in CASES[case][2]:
        assert flag in out, out  # the shrunk schedule's replay line keeps the options


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_report_bundle_replays_with_the_options(
        case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    failure = _found(case)
    args = shlex.split(failure.replay_command())[1:]
    code, out = _run_cli(["report", *args[1:], "--out", str(tmp_path)], capsys)
    assert code == 0, out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["error"]["type"] == "LostUpdate"
    for flag in CASES[case][2]:
        assert flag in report["replay"]["command"], report["replay"]


def test_a_preemptive_failure_replays_from_its_schedule_alone() -> None:
    outcome = harness.explore("session_programs:offloads_then_races", strategy="dfs", schedules=100,
                              database="off", tpool="inline", preemption="preemptive")
    assert outcome.failure is not None and ":p:" in outcome.failure.schedule
    assert "--preemption" not in outcome.failure.replay_command()  # the schedule carries the model


def test_every_run_option_is_a_flag_of_every_command_that_runs_a_target() -> None:
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in ("explore", "replay", "shrink", "report"):
        flags = {flag for action in commands[name]._actions for flag in action.option_strings}
        assert {option.flag for option in RUN_OPTIONS} <= flags, name


def test_a_spec_spells_only_what_differs_from_the_defaults() -> None:
    assert RunSpec("t").options() == []
    spec = RunSpec("t", "preemptive", tpool="inline", until=2.5)
    assert spec.options() == ["--tpool inline", "--until 2.5"]
    command = spec.replay_command("rh1:t:p:abc:-")
    assert command == "race-harness replay t rh1:t:p:abc:- --tpool inline --until 2.5"


def test_a_target_can_name_its_own_preempt_modules() -> None:
    from session_programs import increments_a_package_counter

    from harness._targets import Target

    plain = Target("t:plain", increments_a_package_counter, "0" * 12)
    auto = Target("t:auto", increments_a_package_counter, "0" * 12, preempt_modules=("preempt_programs",))
    found = harness.explore(auto, strategy="dfs", preemption="preemptive", schedules=100, database="off")
    assert found.failure is not None and "--preempt-module" not in found.failure.replay_command()
    assert harness.explore(plain, strategy="dfs", preemption="preemptive", database="off").passed
    cooperative = [harness.explore(t, strategy="dfs", preemption="cooperative", database="off")
                   for t in (plain, auto)]
    assert [o.schedules_run for o in cooperative] == [cooperative[0].schedules_run] * 2
    assert all(o.passed and o.exhausted for o in cooperative)
