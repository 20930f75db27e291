"""Honest verdicts: a pass says what was explored, and only an exhausted space is a proof.

Checked where a verdict is printed: ``Exploration.verdict()``, the matrix's
"how" column, and the CLI's text and JSON output.
"""

from __future__ import annotations

import json

import pytest
import reliability_programs as programs

import harness
from harness._frontends import cli
from harness._frontends.matrix import decide, render_table
from harness._targets import Expectation, Target

GUARDED = programs.target(programs.guarded_update)
LOST = programs.target(programs.lost_update)


def test_exhaustive_dfs_pass_is_a_proof_naming_the_model_and_count() -> None:
    exploration = harness.explore(GUARDED, strategy="dfs", schedules=1000)
    assert exploration.exhausted
    assert exploration.verdict() == (f"pass, exhaustive proof: all {exploration.schedules_run} "
                                     "schedules (cooperative)")


def test_a_dfs_budget_that_ran_out_is_never_a_proof() -> None:
    exploration = harness.explore(GUARDED, strategy="dfs", schedules=2)
    assert not exploration.exhausted and exploration.schedules_run == 2
    verdict = exploration.verdict()
    assert verdict.startswith("pass in 2 schedules, not exhaustive")
    assert "proof" not in verdict and "cooperative" in verdict


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_sampling_strategies_never_claim_a_proof(strategy: str) -> None:
    exploration = harness.explore(GUARDED, strategy=strategy, schedules=30)
    verdict = exploration.verdict()
    assert verdict.startswith("pass in 30 schedules, not exhaustive")
    assert "proof" not in verdict and "seed 0" in verdict


def test_a_preemption_bound_is_stated_and_not_a_proof_of_everything() -> None:
    exploration = harness.explore(GUARDED, strategy="bounded", settings=harness.Settings(preemption_bound=0))
    verdict = exploration.verdict()
    assert not exploration.exhausted
    assert "not exhaustive" in verdict and "at most 0 preemption(s)" in verdict
    assert "proof" not in verdict


def test_a_failure_says_how_it_was_found() -> None:
    exploration = harness.explore(LOST, strategy="dfs", schedules=100)
    assert exploration.verdict().startswith("FAIL after ")
    assert "exhaustive DFS" not in exploration.verdict() or not exploration.exhausted


def _matrix_target(body: object, expectation: Expectation) -> Target:
    return programs.target(body, name="reliability:matrix", expectations=(expectation,))  # type: ignore[arg-type]


@pytest.mark.parametrize(("expectation", "how"), [
    (Expectation("cooperative", "pass", strategy="dfs", schedules=1000), "exhaustive dfs: "),
    (Expectation("cooperative", "pass", strategy="dfs", schedules=2), "dfs: 2 schedules, not exhaustive"),
    (Expectation("cooperative", "pass", strategy="random", schedules=5),
     "random: 5 schedules, not exhaustive"),
])
def test_the_matrix_says_how_each_cell_was_decided(expectation: Expectation, how: str) -> None:
    cell = decide(_matrix_target(programs.guarded_update, expectation), "cooperative")
    assert cell is not None and cell.observed == "pass"
    assert cell.how.startswith(how)
    assert cell.exhausted is how.startswith("exhaustive")
    assert how in render_table([cell])


def test_the_matrix_does_not_call_a_program_with_no_decision_explored() -> None:
    expectation = Expectation("cooperative", "pass", strategy="dfs", schedules=10)
    cell = decide(_matrix_target(programs.no_yield, expectation), "cooperative")
    assert cell is not None
    assert "no decision offered" in cell.how and "exhaustive" not in cell.how


@pytest.mark.parametrize(("args", "words", "absent"), [
    (["--strategy", "dfs"], "pass, exhaustive proof: all ", None),
    (["--strategy", "dfs", "--schedules", "2"], "pass in 2 schedules, not exhaustive", "proof"),
    (["--strategy", "random", "--schedules", "7"], "pass in 7 schedules, not exhaustive", "proof"),
    (["--strategy", "bounded", "--preemption-bound", "0"], "at most 0 preemption(s)", "proof"),
])
def test_cli_text_and_json_wording(args: list[str], words: str, absent: str | None,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    spec = "reliability_programs:guarded_update"
    assert cli.main(["explore", spec, *args]) == cli.EXIT_OK
    first = capsys.readouterr().out.splitlines()[0]
    assert words in first
    if absent is not None:
        assert absent not in first
    assert cli.main(["explore", spec, *args, "--json"]) == cli.EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert words in data["verdict"] and data["failed"] is False
    assert data["exhausted"] is (absent is None)
    assert data["warnings"] == []
