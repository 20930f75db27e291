"""recheck: replay, and explore from the prefix when the replay cannot be trusted."""

from __future__ import annotations

import threading

import eventlet
import pytest

from harness._errors import UncontrolledConcurrency
from harness._frontends.cli import main
from harness._search.recheck import (
    FOUND,
    INCONCLUSIVE,
    PASSED,
    PROVED,
    REFUSED,
    REPRODUCED,
    PrefixStrategy,
    recheck,
)
from harness._targets import Target
from harness.strategies import DfsStrategy
from harness.strategies.base import Decision, ExecutionSummary, Option


def _lost_update(workers: int, warm_up: int) -> None:
    box = [0]

    def bump(delay: int) -> None:
        for _ in range(delay):
            eventlet.sleep(0)
        value = box[0]
        eventlet.sleep(0)
        box[0] = value + 1

    threads = [eventlet.spawn(bump, warm_up if i else 0) for i in range(workers)]
    for thread in threads:
        thread.wait()
    assert box[0] == workers, f"lost update: {box[0]}"


def _safe(workers: int) -> None:
    threads = [eventlet.spawn(eventlet.sleep, 0) for _ in range(workers)]
    for thread in threads:
        thread.wait()


def _escapes_after_a_switch() -> None:
    """Offers a decision, then starts a native thread: every run is refused."""
    _safe(2)
    threading.Thread(target=lambda: None).start()


def target(name: str, body: object, fingerprint: str = "aaaa") -> Target:
    return Target(name, body, fingerprint)  # type: ignore[arg-type]


RACY = target("t:racy", lambda: _lost_update(2, 2))
SAFE = target("t:safe", lambda: _safe(2))
ESCAPES = target("t:escapes", _escapes_after_a_switch)


def test_exact_replay_of_a_failing_schedule_is_reproduced() -> None:
    checked = recheck(RACY, "rh1:t:racy:c:aaaa:0x2.1x2")
    assert (checked.verdict, checked.explored, checked.stale) == (REPRODUCED, 0, False)
    assert checked.failure is not None and "lost update" in str(checked.failure.error)


def test_exact_pass_on_the_same_code_is_trusted() -> None:
    checked = recheck(RACY, "rh1:t:racy:c:aaaa:-")
    assert (checked.verdict, checked.explored) == (PASSED, 0)


def test_stale_pass_explores_from_the_prefix_and_finds_the_race() -> None:
    checked = recheck(RACY, "rh1:t:racy:c:bbbb:-", budget=50)
    assert checked.stale and checked.verdict == FOUND and checked.explored > 1
    assert checked.failure is not None and checked.failure.schedule.startswith("rh1:t:racy:c:aaaa:")


def test_divergence_on_race_free_code_is_proved_good_by_exhausting_dfs() -> None:
    checked = recheck(SAFE, "rh1:t:safe:c:bbbb:2.2.2", budget=200)
    assert checked.divergence is not None and "diverged at decision 0" in checked.divergence
    assert (checked.verdict, checked.exhausted) == (PROVED, True)


def test_divergence_without_a_verdict_in_budget_is_inconclusive() -> None:
    big = target("t:big", lambda: _safe(6))
    checked = recheck(big, "rh1:t:big:c:bbbb:9", budget=8)
    assert (checked.verdict, checked.exhausted, checked.explored) == (INCONCLUSIVE, False, 8)
    assert recheck(big, "rh1:t:big:c:bbbb:9", fallback=False).explored == 0


@pytest.mark.parametrize(("schedule", "explored"), [
    ("rh1:t:escapes:c:aaaa:-", 0),   # the exact replay is refused
    ("rh1:t:escapes:c:bbbb:-", 0),   # stale: refused before any exploring
    ("rh1:t:escapes:c:bbbb:9", 1),   # diverged: exploring from the prefix is refused at once
])
def test_a_refused_run_is_no_verdict_neither_bad_nor_good(schedule: str, explored: int) -> None:
    checked = recheck(ESCAPES, schedule, budget=50)
    assert checked.verdict == REFUSED and not checked.failed
    assert checked.failure is not None and isinstance(checked.failure.error, UncontrolledConcurrency)
    assert checked.explored == explored


def test_retarget_replays_the_choices_on_a_fixed_variant() -> None:
    fixed = target("t:fixed", lambda: _safe(2), "cccc")
    assert recheck(fixed, "rh1:t:racy:c:aaaa:0x2.1x2", retarget=True).failed is False
    with pytest.raises(Exception, match="recorded for target 't:racy'"):
        recheck(fixed, "rh1:t:racy:c:aaaa:0x2.1x2")


def test_prefix_strategy_follows_the_prefix_then_hands_over_with_shifted_indices() -> None:
    strategy = PrefixStrategy((1, 5), DfsStrategy())
    two = (Option(1, "a"), Option(2, "b"))
    assert strategy.new_execution()
    assert strategy.choose(Decision(0, 0, two, -1, False)) == 1
    assert strategy.choose(Decision(1, 1, two, -1, False)) == 0, "5 does not fit: DFS decides"
    assert strategy.limit == 1
    strategy.end_execution(ExecutionSummary((1, 0), (2, 2), False, 2))
    assert strategy.new_execution()
    assert strategy.choose(Decision(1, 1, two, -1, False)) == 1, "DFS moves on to its next suffix"


def test_replay_command_exit_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys
    import types

    from harness import _targets as targets

    module = types.ModuleType("recheck_programs")
    module.racy = lambda: _lost_update(2, 2)  # type: ignore[attr-defined]
    module.safe = lambda: _safe(2)  # type: ignore[attr-defined]
    module.escapes = _escapes_after_a_switch  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "recheck_programs", module)
    monkeypatch.setattr(targets, "load_registry", targets.Registry)
    fp = targets.resolve_target("recheck_programs:racy").fingerprint
    assert main(["replay", "recheck_programs:racy", f"rh1:recheck_programs:racy:c:{fp}:0x2.1x2"]) == 1
    assert main(["replay", "recheck_programs:racy", f"rh1:recheck_programs:racy:c:{fp}:-"]) == 0
    assert main(["replay", "recheck_programs:safe", f"rh1:recheck_programs:safe:c:{fp}:2.2",
                 "--no-fallback"]) == 125
    assert main(["replay", "recheck_programs:safe", f"rh1:recheck_programs:safe:c:{fp}:2.2"]) == 0
    refused = capsys.readouterr()
    efp = targets.resolve_target("recheck_programs:escapes").fingerprint
    for choices in ("-", "9"):  # refused when replayed, and when exploring after the divergence
        schedule = f"rh1:recheck_programs:escapes:c:{efp}:{choices}"
        assert main(["replay", "recheck_programs:escapes", schedule]) == 125
        said = capsys.readouterr()
        assert "skip: refused, no verdict: UncontrolledConcurrency in gt0: a native thread" in said.out
        assert "refused (UncontrolledConcurrency in gt0)" in said.err and "exit 125" in said.err
    out = refused.out
    assert "FAIL: reproduced AssertionError: lost update: 1" in out
    assert "skip: the schedule does not fit this code and fallback disabled" in out
    assert "pass: the schedule no longer fits, and all" in out
