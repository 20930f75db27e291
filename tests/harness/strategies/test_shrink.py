"""Shrinking: named passes down to the fewest preemptions, and proofs of minimality."""

from __future__ import annotations

import pytest
import race_programs as rp

import harness
from harness._errors import InvalidSchedule, ScheduleDivergence
from harness._frontends.cli import main
from harness._schedule import Schedule
from harness._search.session import RunSpec, installed
from harness._search.shrink import (
    ScheduleDoesNotFail,
    Shrinker,
    delta_debug,
    drop_preemption,
    move_switch_later,
    prove_minimal,
    shrink,
    size_key,
    truncate_tail,
)
from harness.strategies import RandomStrategy

LOSTP = rp.target(rp.lostp, "lostp")
WINDOW = rp.target(rp.window, "window")
TWO_ERRORS = rp.target(rp.two_errors, "two_errors")


def found_by_random(target: object, seed: int = 3) -> str:
    outcome = harness.explore(target, strategy=RandomStrategy(seed), schedules=3000,  # type: ignore[arg-type]
                              preemption="preemptive", database="off")
    assert outcome.failure is not None
    return outcome.failure.schedule


def schedule(target: object, *choices: int) -> Schedule:
    return Schedule(target.name, "preemptive", target.fingerprint, choices)  # type: ignore[attr-defined]


def shrinker(target: object, *choices: int) -> Shrinker:
    config = RunSpec(target.name, "preemptive", max_steps=10_000).config(target)  # type: ignore[arg-type]
    return Shrinker(target, schedule(target, *choices), config, 500)  # type: ignore[arg-type]


def test_shrinking_a_random_failure_leaves_one_preemption_that_replays() -> None:
    found = Schedule.parse(found_by_random(LOSTP))
    assert found.preemptions > 1
    result = shrink(LOSTP, found)
    assert result.preemptions_before == found.preemptions
    assert result.preemptions_after == 1
    assert result.size_after < result.size_before
    assert sum(result.passes.values()) >= 1 and result.runs > 1
    replayed = harness.replay(LOSTP, result.shrunk)
    assert replayed.failure is not None and "lost update" in str(replayed.failure.error)
    assert "race-harness replay" in result.describe()


def test_shrinking_keeps_the_same_failure() -> None:
    # option 1 at the first preemption makes gt2 see the intermediate value: ValueError;
    # the all-default schedule fails differently (AssertionError) and must not be taken.
    result = shrink(TWO_ERRORS, schedule(TWO_ERRORS, 0, 1, 0, 1))
    assert isinstance(result.failure.error, ValueError)
    assert result.preemptions_after == 1


def test_truncate_tail_cuts_preemptions_that_come_after_the_failure() -> None:
    with installed(LOSTP, "preemptive"):
        sh = shrinker(LOSTP, 0, 1, 0, 0, 0, 0, 1, 0, 1)
        assert truncate_tail(sh)
    assert sh.best == (0, 1) and sh.accepted["truncate_tail"] == 1


def test_drop_preemption_removes_a_needless_switch() -> None:
    with installed(LOSTP, "preemptive"):
        sh = shrinker(LOSTP, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1)
        before = size_key(sh.best)
        assert drop_preemption(sh)
    assert size_key(sh.best) < before and sh.accepted["drop_preemption"] >= 1


def test_delta_debug_deletes_chunks_of_decisions() -> None:
    with installed(WINDOW, "preemptive"):
        sh = shrinker(WINDOW, *([0] * 9), 1)
        assert not delta_debug(sh)  # every deletion moves the switch out of the window
        assert sh.best == (*([0] * 9), 1) and sh.runs > 1
    with installed(LOSTP, "preemptive"):
        sh = shrinker(LOSTP, 0, 0, 0, 0, 0, 1)
        assert delta_debug(sh)  # deleting leading defaults moves the same switch earlier
    assert sh.accepted["delta_debug"] >= 1 and len(sh.best) < 6


def test_move_switch_later_keeps_the_failure_and_is_smaller() -> None:
    with installed(LOSTP, "preemptive"):
        sh = shrinker(LOSTP, 1, 0, 0, 1)
        assert move_switch_later(sh)
    assert sh.best == (0, 1, 0, 1) and size_key(sh.best) < size_key((1, 0, 0, 1))
    assert sh.accepted["move_switch_later"] == 1


def test_a_schedule_that_passes_is_not_shrunk() -> None:
    with pytest.raises(ScheduleDoesNotFail, match="without failing"):
        shrink(LOSTP, schedule(LOSTP))


def test_a_schedule_that_cannot_replay_diverges() -> None:
    with pytest.raises(ScheduleDivergence):
        shrink(LOSTP, schedule(LOSTP, 7))


def test_prove_minimal_exhausts_fewer_preemptions() -> None:
    result = shrink(LOSTP, found_by_random(LOSTP))
    proof = prove_minimal(LOSTP, "preemptive", result.preemptions_after)
    assert proof.proved and proof.exhausted and proof.schedules_run == 1
    disproof = prove_minimal(LOSTP, "preemptive", 2)
    assert not disproof.proved and disproof.counterexample is not None
    assert disproof.counterexample.preemptions == 1
    assert "not minimal" in disproof.describe()


def test_prove_minimal_says_when_the_budget_ran_out() -> None:
    proof = prove_minimal(rp.target(rp.safe, "safe"), "cooperative", 3, max_schedules=2)
    assert not proof.proved and not proof.exhausted and proof.schedules_run == 2
    assert "budget" in proof.describe()


# -- the command line --------------------------------------------------------------------
def test_cli_shrink_prints_the_shrunk_schedule_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    found = found_by_random(rp.lostp)  # the importable target race_programs:lostp
    assert main(["shrink", "race_programs:lostp", found, "--prove"]) == 1
    out = capsys.readouterr().out
    shrunk = next(line.split()[1] for line in out.splitlines() if line.startswith("shrunk:"))
    assert Schedule.parse(shrunk).preemptions == 1
    assert "-> 1 preemptions" in out and "minimal:" in out


def test_cli_shrink_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    passing = str(schedule(rp.target(rp.lostp, "lostp")))
    assert main(["shrink", "race_programs:lostp", passing]) == 0
    assert main(["shrink", "race_programs:lostp", passing.replace(":-", ":9")]) == 125
    assert main(["shrink", "race_programs:no_such_target", passing]) == 125
    assert main(["shrink", "race_programs:lostp", "rh1:broken"]) == 2
    err = capsys.readouterr().err
    assert "cannot replay" in err and "error:" in err
    with pytest.raises(InvalidSchedule):
        Schedule.parse("rh1:broken")


def test_cli_shrink_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    found = found_by_random(rp.lostp)
    assert main(["shrink", "race_programs:lostp", found, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["preemptions"][1] == 1 and data["original"] == found
    assert data["choices"][1] < data["choices"][0]
