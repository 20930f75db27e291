"""Shrinking the two incident races to their fewest preemptions, with proofs.

A random walk finds the races with many needless preemptions.  Shrinking
keeps candidates that fail the same way (``harness/_search/signature.py``), so the
schedule that is left is the story of the race, and ``prove_minimal`` shows
that no schedule with fewer preemptions fails that way.
"""

from __future__ import annotations

import pytest

import harness
from harness._search.shrink import prove_minimal, shrink
from harness._search.signature import signature_of
from race_harness.fakes.ontap import WrongSvmRequest


def random_failure(target: str, seed: int) -> harness.Failure:
    outcome = harness.explore(target, strategy="random", preemption="preemptive", seed=seed,
                              schedules=500, database="off")
    assert outcome.failure is not None
    return outcome.failure


@pytest.mark.parametrize("seed", [0, 4])
def test_the_session_race_shrinks_to_one_preemption_proved_minimal(seed: int) -> None:
    found = random_failure("session_overwrite:old", seed)
    assert isinstance(found.error, WrongSvmRequest) and found.preemptions > 1
    result = shrink("session_overwrite:old", found.schedule)
    assert result.preemptions_after == 1
    assert result.signature == signature_of(found.error, found.trace)
    proof = prove_minimal("session_overwrite:old", "preemptive", 1, same_as=result.signature)
    assert proof.proved and proof.schedules_run >= 1
    # The story: the lookup's greenthread is preempted right before it reads self._session
    # back, the other one stores its own session, and the lookup leaves with that one's headers.
    trace = result.failure.trace
    preempted = trace.of_kind("preempted")
    assert len(preempted) == 1 and "RestNaServerModel._session" in preempted[0].detail
    assert trace.of_kind("violation") and "wrong SVM" in trace.of_kind("violation")[0].detail


def test_a_second_symptom_of_the_session_race_keeps_its_own_minimum() -> None:
    """Seed 1 loses the basic-auth handler instead (401): another signature, needing 2."""
    found = random_failure("session_overwrite:old", 1)
    assert "Authentication failed" in str(found.error)
    result = shrink("session_overwrite:old", found.schedule)
    assert result.preemptions_after == 2
    assert result.signature is not None and result.signature.violations == ()
    proof = prove_minimal("session_overwrite:old", "preemptive", 2, same_as=result.signature)
    assert proof.proved
    unqualified = prove_minimal("session_overwrite:old", "preemptive", 2)
    assert unqualified.counterexample is not None  # the wrong-SVM symptom needs only one


@pytest.mark.parametrize("seed", [0, 2])
def test_the_ems_race_shrinks_to_eventlets_default_order(seed: int) -> None:
    found = random_failure("ems_vserver:old", seed)
    assert found.preemptions > 5
    result = shrink("ems_vserver:old", found.schedule)
    assert result.preemptions_after == 0 and result.shrunk.choices == ()
    proof = prove_minimal("ems_vserver:old", "preemptive", 0)
    assert proof.proved and "plain test run shows the bug" in proof.describe()
    assert result.signature is not None and result.signature.violations == ("wrong SVM",)
