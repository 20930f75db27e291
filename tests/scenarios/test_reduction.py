"""Sleep-set reduction on the scenarios: fewer runs, the same verdicts.

``session_overwrite`` vouches for its footprints (``complete_footprints``): the
client's shared attributes are instrumented (recorded under the cooperative
model too) and the fake declares what each request touches.  The other
scenarios do not vouch (their models share driver and scheduler state that
nothing declares), so every step of theirs stays opaque and the reduction
must leave them exactly as they are.
"""

from __future__ import annotations

import pytest
from scenario_support import own_targets

import harness
from harness import Target
from harness._targets import load_registry
from harness.strategies import BoundedDfsStrategy


def exhaust(name: str, model: str, reduction: bool) -> tuple[harness.Exploration, BoundedDfsStrategy]:
    target = load_registry().get(name)
    assert target is not None, name
    strategy = BoundedDfsStrategy(None, reduction=reduction)
    outcome = harness.explore(target, strategy=strategy, preemption=model, schedules=20_000,
                              stop_on_failure=False, database="off")
    return outcome, strategy


@pytest.mark.parametrize(("name", "model"), [
    ("session_overwrite:old", "cooperative"),
    ("session_overwrite:patched", "cooperative"),
    ("session_overwrite:patched", "preemptive"),
])
def test_reduction_cuts_the_exhaustive_proof_and_keeps_the_verdict(name: str, model: str) -> None:
    plain, _ = exhaust(name, model, reduction=False)
    reduced, strategy = exhaust(name, model, reduction=True)
    assert plain.exhausted and reduced.exhausted
    assert plain.passed and reduced.passed
    assert reduced.schedules_run < plain.schedules_run
    assert strategy.explored < reduced.schedules_run  # the rest were cut short by sleep sets
    assert reduced.verdict().startswith("pass, exhaustive proof")


def test_the_session_race_has_two_orders_that_matter_under_eventlet() -> None:
    """Cooperatively the two greenthreads conflict only where both store self._session;
    everything else (two GETs that only read, journal appends) commutes."""
    plain, _ = exhaust("session_overwrite:old", "cooperative", reduction=False)
    _, strategy = exhaust("session_overwrite:old", "cooperative", reduction=True)
    assert plain.schedules_run == 35
    assert strategy.explored == 2


def test_the_preemptive_session_race_is_still_found_with_reduction() -> None:
    target = load_registry().get("session_overwrite:old")
    assert target is not None
    for reduction in (False, True):
        outcome = harness.explore(target, strategy=BoundedDfsStrategy(None, reduction=reduction),
                                  preemption="preemptive", schedules=5000, database="off")
        assert outcome.failure is not None, f"reduction={reduction}"


NOT_VOUCHING = [(t, m) for t in own_targets() if not t.complete_footprints
                for m in ("cooperative", "preemptive")]


@pytest.mark.parametrize(("target", "model"), NOT_VOUCHING,
                         ids=[f"{t.name}-{m}" for t, m in NOT_VOUCHING])
def test_scenarios_that_do_not_vouch_are_not_reduced(target: Target, model: str) -> None:
    """Their exhaustive verdicts are the same with and without reduction because
    the reduction never prunes anything there (every step is opaque)."""
    strategy = BoundedDfsStrategy(1)
    harness.explore(target, strategy=strategy, preemption=model, schedules=8, stop_on_failure=False,
                    database="off")
    assert strategy.runs == 8 or strategy.bound_exhausted
    assert strategy.pruned == strategy.blocked == 0
