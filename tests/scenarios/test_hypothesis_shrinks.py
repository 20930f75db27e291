"""Hypothesis shrinks a scenario's race to the fewest preemptions that show it.

The story: a Hypothesis test over a scenario's interleavings
(``@given(rh.interleavings())``, each run raising ``InterleavingFailed``)
reports every race symptom it found, each shrunk by Hypothesis's own shrinker.
That count must be the one ``harness._search.shrink`` reaches from a random failing
schedule of the same symptom (the same ``FailureSignature``: error type,
raising function, violation categories), and ``prove_minimal`` must prove it:
no schedule with fewer preemptions fails that way.

* ``session_overwrite:old``, preemptive: a request leaving with the other
  greenthread's SVM header (``WrongSvmRequest``) takes 1 preemption; the client
  reading "Authentication failed" (``NaApiError``, the other symptom) takes 2.
  Hypothesis must keep the two apart, not let one stand for the other.
* ``ems_vserver:old``, preemptive: eventlet's default order already fails, 0.

Hypothesis runs derandomized, with no example database and without the
``explain`` phase (it traces every line, which is slow and changes nothing here).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from scenario_support import registered

import harness
import harness.hypothesis as rh
from harness._schedule import Schedule
from harness._search.shrink import ShrinkResult, prove_minimal, shrink
from harness._search.signature import FailureSignature, signature_of
from harness._targets import Target

MODEL = "preemptive"
SEARCH = settings(max_examples=200, derandomize=True, database=None, deadline=None,
                  report_multiple_bugs=True, suppress_health_check=list(HealthCheck),
                  phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink))
# The fewest preemptions of each symptom, as the scenarios' stories tell them.
STORY = {
    ("session_overwrite:old", "race_harness.fakes.ontap.oracle.WrongSvmRequest"): 1,
    ("session_overwrite:old", "race_harness.scenarios.netapp.errors.NaApiError"): 2,
    ("ems_vserver:old", "builtins.AssertionError"): 0,
}


def _target(name: str) -> Target:
    target = registered().get(name)
    assert target is not None, f"scenario target {name} is not registered"
    return target


def _hypothesis_failures(test: Callable[[], None]) -> dict[FailureSignature, rh.InterleavingFailed]:
    """Run a Hypothesis test; the failures it reports (one per symptom), by signature."""
    try:
        test()
    except Exception as error:  # noqa: BLE001 - one failure, or an exception group of several
        found = list(getattr(error, "exceptions", [error]))
    else:
        return {}
    others = [e for e in found if not isinstance(e, rh.InterleavingFailed)]
    assert not others, f"Hypothesis reported other errors than race symptoms: {others!r}"
    signatures = [failed.signature for failed in found]
    assert None not in signatures and len(set(signatures)) == len(found), (
        f"each failure Hypothesis reports must be a symptom of its own: {signatures}")
    return {failed.signature: failed for failed in found if failed.signature is not None}


def _interleavings_test(target: Target) -> Callable[[], None]:
    @SEARCH
    @given(rh.interleavings())
    def no_race(interleaving: rh.Interleaving) -> None:
        interleaving.run(target, preemption=MODEL)

    return no_race


def _shrunk_from_random(target: Target, signature: FailureSignature) -> ShrinkResult:
    """shrink.py's result from the first random failing schedule with ``signature``."""
    for seed in range(20):
        outcome = harness.explore(target, strategy="random", preemption=MODEL, schedules=100,
                                  seed=seed, database="off")
        failure = outcome.failure
        if failure is not None and signature_of(failure.error, failure.trace) == signature:
            return shrink(target, failure.schedule)
    raise AssertionError(f"no random schedule of {target.name} failed as {signature.describe()}")


def _assert_shrunk_to_the_proved_minimum(target: Target, failed: rh.InterleavingFailed) -> int:
    """Hypothesis's count == shrink.py's for the same symptom, proved minimal; returns it."""
    signature = failed.signature
    assert signature is not None
    ours = Schedule.parse(failed.failure.schedule).preemptions
    theirs = _shrunk_from_random(target, signature)
    assert theirs.signature == signature
    assert ours == theirs.preemptions_after, (
        f"{signature.describe()}: Hypothesis shrank to {failed.failure.schedule} ({ours} preemptions), "
        f"shrink.py to {theirs.shrunk.encode()} ({theirs.preemptions_after})")
    proof = prove_minimal(target, MODEL, ours, same_as=signature)
    assert proof.proved, proof.describe()
    assert failed.shrunk is not None  # the harness's passes, run after Hypothesis's, found no fewer
    assert Schedule.parse(failed.shrunk).preemptions == ours
    replayed = harness.replay(target, failed.failure.schedule)
    assert replayed.failure is not None
    assert signature_of(replayed.failure.error, replayed.trace) == signature
    return ours


def test_hypothesis_shrinks_each_session_overwrite_symptom_to_its_proved_minimum() -> None:
    target = _target("session_overwrite:old")
    found = _hypothesis_failures(_interleavings_test(target))
    kinds = {signature.error_type for signature in found}
    assert "race_harness.fakes.ontap.oracle.WrongSvmRequest" in kinds, kinds
    for signature, failed in found.items():
        shrunk_to = _assert_shrunk_to_the_proved_minimum(target, failed)
        assert shrunk_to == STORY[(target.name, signature.error_type)], signature.describe()


def test_hypothesis_shrinks_the_ems_race_to_eventlets_default_order() -> None:
    target = _target("ems_vserver:old")
    found = _hypothesis_failures(_interleavings_test(target))
    assert len(found) == 1, list(found)
    [(signature, failed)] = found.items()
    assert _assert_shrunk_to_the_proved_minimum(target, failed) == 0
    assert STORY[(target.name, signature.error_type)] == 0
    assert "wrong SVM" in signature.violations


@pytest.mark.slow
def test_hypothesis_hunting_the_authentication_failure_shrinks_it_to_two_preemptions() -> None:
    """The other symptom, asked for by name: a test that only forbids "Authentication
    failed" lets Hypothesis shrink that failure alone (about 500 runs, half a minute)."""
    target = _target("session_overwrite:old")
    wanted = "race_harness.scenarios.netapp.errors.NaApiError"

    @settings(SEARCH, max_examples=1000)
    @given(rh.interleavings())
    def never_authentication_failed(interleaving: rh.Interleaving) -> None:
        try:
            interleaving.run(target, preemption=MODEL)
        except rh.InterleavingFailed as failed:
            if failed.signature is not None and failed.signature.error_type == wanted:
                raise

    found = _hypothesis_failures(never_authentication_failed)
    assert [signature.error_type for signature in found] == [wanted]
    [failed] = found.values()
    assert _assert_shrunk_to_the_proved_minimum(target, failed) == STORY[(target.name, wanted)]
