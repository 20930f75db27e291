"""Hypothesis integration, for use inside your own ``@given`` tests.

    from hypothesis import given, strategies as st
    import harness.hypothesis as rh

    @given(rh.interleavings())
    def test_no_lost_update(interleaving):
        interleaving.run(lost_update)            # raises InterleavingFailed on a bad schedule

    @given(st.data())
    def test_no_lost_update_data(data):
        rh.run_with_data(lost_update, data)

Hypothesis shrinks a failing interleaving toward eventlet's default order
(fewest preemptions; ``harness/strategies/hypothesis.py`` says how the draws
are laid out for that); the error message carries the schedule string to
replay.  Here the user's test owns the Hypothesis loop and each ``run`` is one
run; ``explore(target, strategy="hypothesis")`` is the other way round, an
exploration strategy (``harness/strategies/hypothesis_search.py``).

A failing run raises ``InterleavingFailed`` (an ``AssertionError``) whose
message carries the schedule string and the replay command; its class is one
per failure signature, so that Hypothesis shrinks each race symptom on its own.
"""

from __future__ import annotations

import contextlib
from typing import Any, cast

import hypothesis
from hypothesis import strategies as st

from harness._engine.results import RunResult
from harness._schedule import Schedule
from harness._search.failures import Failure, failure_of, schedule_of
from harness._search.session import RunSpec, environment, run_once
from harness._search.shrink import shrink_installed
from harness._search.signature import FailureSignature, signature_of
from harness._settings import Settings
from harness._targets import Target, resolve_target
from harness.strategies.hypothesis import SHRINK_BUDGET, HypothesisStrategy, symptom_class
from harness.strategies.replay import ReplayStrategy

__all__ = ["HypothesisStrategy", "Interleaving", "InterleavingFailed", "interleavings", "run_with_data"]


class InterleavingFailed(AssertionError):
    """A run under Hypothesis-drawn choices failed; the message says how to replay it.

    What is raised is a subclass per failure signature (``signature`` names it),
    so that Hypothesis keeps distinct race symptoms apart; catch this class."""

    signature: FailureSignature | None = None

    def __init__(self, failure: Failure, shrunk: str | None = None) -> None:
        self.failure = failure
        self.shrunk = shrunk
        lines = [f"{type(failure.error).__name__} in {failure.thread}: {failure.error}",
                 f"symptom:  {signature_of(failure.error, failure.trace).describe()}",
                 failure.describe().split("\n", 1)[1]]
        if shrunk is not None and shrunk != failure.schedule:
            lines.append(f"shrunk:   {shrunk} (fewest preemptions the harness's passes found)")
        super().__init__("\n".join(lines))

    @classmethod
    def of(cls, failure: Failure, shrunk: str | None = None) -> InterleavingFailed:
        """The exception for ``failure``, of the subclass for its signature."""
        symptom = symptom_class(cls, signature_of(failure.error, failure.trace))
        return cast(InterleavingFailed, symptom(failure, shrunk))


class Interleaving:
    """Choices drawn lazily from a Hypothesis test case; ``run`` executes a target with them."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.schedule: str | None = None

    def __repr__(self) -> str:
        return f"Interleaving({self.schedule})" if self.schedule else "Interleaving(...)"

    def run(self, target: Any, *, preemption: str | None = None, max_steps: int | None = None,
            until: float | None = None, check: bool = True) -> RunResult:
        """Run ``target`` once; raise InterleavingFailed if it fails and ``check`` is set.

        The other options come from ``Settings.from_env()`` (``RACE_*``)."""
        resolved = resolve_target(target)
        spec = RunSpec.of(resolved, Settings.from_env(), model=preemption, until=until, max_steps=max_steps)
        shrunk: str | None = None
        with environment(resolved, spec):
            strategy = HypothesisStrategy(self.data, _default_decisions(resolved, spec))
            strategy.new_execution()
            result = run_once(resolved, strategy, spec)
            failure = failure_of(resolved, spec, result)
            if failure is not None and strategy.stopped is None and _final_example():
                shrunk = _finish_shrinking(resolved, failure.schedule, spec)
        if strategy.stopped is not None:
            raise strategy.stopped
        self.schedule = schedule_of(resolved, spec.model, result).encode()
        if failure is not None:
            _note(f"schedule: {failure.schedule}")
            if check:
                raise InterleavingFailed.of(failure, shrunk) from failure.error
        return result


@st.composite
def _interleavings(draw: st.DrawFn) -> Interleaving:
    return Interleaving(draw)


def interleavings() -> st.SearchStrategy[Interleaving]:
    """A Hypothesis strategy of interleavings: ``@given(interleavings())``, then ``.run(target)``.

    Choices are drawn lazily while the run happens, three per preemption."""
    return _interleavings()


def run_with_data(target: Any, data: Any, **options: Any) -> RunResult:
    """Run ``target`` once with choices drawn from ``data`` (from ``st.data()``)."""
    return Interleaving(data).run(target, **options)


_HORIZONS: dict[tuple[str, str, RunSpec], int] = {}


def _default_decisions(target: Target, spec: RunSpec) -> int:
    """Decisions in ``target``'s default-order run, measured once per process: the
    draws' ranges must not change between the test cases of the user's test, and
    here no strategy lives longer than one test case.  The environment must be
    installed."""
    key = (target.name, target.fingerprint, spec)
    if key not in _HORIZONS:
        strategy = ReplayStrategy(())
        strategy.new_execution()
        _HORIZONS[key] = len(run_once(target, strategy, spec).choices)
    return _HORIZONS[key]


def _final_example() -> bool:
    """True while Hypothesis replays its minimal failing example for the report."""
    try:
        from hypothesis.control import current_build_context

        return bool(current_build_context().is_final)
    except Exception:  # noqa: BLE001 - outside a test, or a Hypothesis without the flag
        return False


def _finish_shrinking(target: Target, schedule: str, spec: RunSpec) -> str | None:
    """Hypothesis's shrinker is greedy and local; the harness's named passes, which end
    with a bounded search for fewer preemptions, finish the job (for these scenarios
    they find nothing left).  The environment is installed."""
    try:
        shrunk, _result, _runs = shrink_installed(target, Schedule.parse(schedule), spec.config(target),
                                                  SHRINK_BUDGET)
    except Exception:  # noqa: BLE001 - the unshrunk schedule still reproduces the failure
        return None
    return shrunk.encode()


def _note(text: str) -> None:
    with contextlib.suppress(hypothesis.errors.InvalidArgument):  # not inside a Hypothesis test
        hypothesis.note(text)
