"""Five classic eventlet races, each a buggy/fixed pair in examples/: found, and proved absent.

For each pair the buggy program fails under the exhaustive DFS (and its
failing schedule replays to the same failure) and the fixed one passes
every schedule (an exhaustive proof over the cooperative model).
``journal`` is the race eventlet's default order hides: the all-zero
schedule passes, and the failure needs the harness's choice of which
blocked waiter a returned connection wakes.
"""

from __future__ import annotations

import pytest

import harness
from harness._search.shrink import shrink
from harness._targets import resolve_target

PATTERNS = {
    # name: (error type of the buggy program, schedules until DFS finds it, schedules in the fixed proof)
    "token_cache": ("Unauthorized", 1, 20),
    "change_feed": ("DeadlockError", 1, 20),
    "lazy_client": ("AssertionError", 1, 6),
    "worker": ("AssertionError", 1, 3),
    "journal": ("OutOfOrder", 7, 1514),
}


@pytest.mark.parametrize("name", list(PATTERNS))
def test_the_buggy_twin_fails_and_its_schedule_replays(name: str) -> None:
    kind, after, _proof = PATTERNS[name]
    found = harness.explore(f"race_harness.examples.{name}:buggy", strategy="dfs", schedules=10_000)
    assert found.failure is not None, found.verdict()
    assert type(found.failure.error).__name__ == kind
    assert found.first_failure_after == after
    again = harness.replay(f"race_harness.examples.{name}:buggy", found.failure.schedule)
    assert again.failure is not None and type(again.failure.error).__name__ == kind


@pytest.mark.parametrize("name", list(PATTERNS))
def test_the_fixed_twin_passes_every_schedule(name: str) -> None:
    _kind, _after, proof = PATTERNS[name]
    checked = harness.explore(f"examples.{name}:fixed", strategy="dfs", schedules=10_000)
    assert checked.passed and checked.exhausted, checked.verdict()
    assert checked.schedules_run == proof


def all_zero(spec: str) -> harness.RunResult:
    """Replay eventlet's default order: every choice 0."""
    target = resolve_target(spec)
    return harness.replay(target, harness.Schedule(target.name, "cooperative", target.fingerprint, ()))


def test_the_journal_race_is_invisible_in_eventlets_default_order() -> None:
    # the first waiter gets the connection
    assert all_zero("race_harness.examples.journal:buggy").failure is None
    for name in ("token_cache", "change_feed", "lazy_client", "worker"):
        assert all_zero(f"race_harness.examples.{name}:buggy").failure is not None, name


def test_a_random_find_shrinks_to_the_one_choice_that_matters() -> None:
    found = harness.explore("race_harness.examples.journal:buggy", strategy="random", seed=1, schedules=500)
    assert found.failure is not None
    shrunk = shrink("race_harness.examples.journal:buggy", found.failure.schedule)
    assert shrunk.preemptions_before > 1 and shrunk.preemptions_after == 1
    assert type(shrunk.failure.error).__name__ == "OutOfOrder"
    replayed = harness.replay("race_harness.examples.journal:buggy", shrunk.shrunk.encode())
    chooses = [e.detail for e in replayed.trace.events if e.kind == "choose"]
    assert any("option 1 of 2" in detail for detail in chooses), chooses  # the waiter choice
