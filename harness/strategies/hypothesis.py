"""Hypothesis as a strategy: every choice is drawn from Hypothesis.

Each decision draws an integer in ``[0, options)`` from the test case's data,
so a failing interleaving is a Hypothesis test case and Hypothesis's shrinker
minimises it: integers shrink toward 0, and choice 0 is eventlet's default
order, so shrinking removes preemptions; deleting draws shortens the schedule.
Hypothesis's example database replays the failure first next time, and its
settings profiles apply (``CI=true``: derandomized, no database).

Three ways in:

* ``explore(target, strategy="hypothesis")`` (and the CLI) run a Hypothesis
  search of ``schedules`` examples and report the shrunk failure;
* ``run_with_data(target, data)`` inside your own ``@given(st.data())`` test;
* ``interleavings()``, a strategy whose values ``.run(target)``.

A failing run raises ``InterleavingFailed`` (an ``AssertionError``) whose
message carries the schedule string and the replay command.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import hypothesis
from hypothesis import strategies as st

from harness.strategies.base import Decision, ExecutionSummary

if TYPE_CHECKING:
    from harness.explore import Failure
    from harness.scheduler import RunConfig, RunResult
    from harness.settings import Settings
    from harness.targets import Target

_PHASES = (hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate,
           hypothesis.Phase.shrink)


class HypothesisStrategy:
    """One run whose choices are drawn from a Hypothesis ``data`` object."""

    name = "hypothesis"

    def __init__(self, data: Any) -> None:
        self.data = data
        self.stopped: BaseException | None = None
        self._ran = False

    def new_execution(self) -> bool:
        if self._ran:
            return False
        self._ran = True
        return True

    def choose(self, decision: Decision) -> int:
        if self.stopped is not None:
            return 0
        try:
            return _draw_option(self.data, len(decision.options))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - Hypothesis ends an over-long test case this way
            self.stopped = exc  # re-raised after the run, outside the scheduler
            return 0

    def end_execution(self, summary: ExecutionSummary) -> None:
        """Hypothesis learns from the test outcome, not from here."""

    @property
    def exhausted(self) -> bool:
        return False

    def describe(self) -> str:
        return "hypothesis"


def _draw_option(data: Any, count: int) -> int:
    """Draw an option index from ``st.data()``'s object or a composite's ``draw``;
    through the raw test case when possible (no per-draw report line)."""
    strategy = st.integers(0, count - 1)
    conjecture = getattr(data, "conjecture_data", None)
    if conjecture is not None:
        return int(conjecture.draw(strategy))
    draw = getattr(data, "draw", None) or data
    return int(draw(strategy))


class InterleavingFailed(AssertionError):
    """A run under Hypothesis-drawn choices failed; the message says how to replay it."""

    def __init__(self, failure: Failure, shrunk: str | None = None) -> None:
        self.failure = failure
        self.shrunk = shrunk
        lines = [f"{type(failure.error).__name__} in {failure.thread}: {failure.error}",
                 failure.describe().split("\n", 1)[1]]
        if shrunk is not None and shrunk != failure.schedule:
            lines.append(f"shrunk:   {shrunk} (fewest preemptions the harness's passes found)")
        super().__init__("\n".join(lines))


class Interleaving:
    """Choices drawn lazily from a Hypothesis test case; ``run`` executes a target with them."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.schedule: str | None = None

    def __repr__(self) -> str:
        return f"Interleaving({self.schedule})" if self.schedule else "Interleaving(...)"

    def run(self, target: Any, *, preemption: str | None = None, max_steps: int | None = None,
            until: float | None = None, check: bool = True) -> RunResult:
        """Run ``target`` once; raise InterleavingFailed if it fails and ``check`` is set."""
        from harness.explore import _config, environment, failure_of, run_once, schedule_of
        from harness.settings import Settings
        from harness.targets import resolve_target

        resolved = resolve_target(target)
        defaults = Settings.from_env()
        model = preemption or defaults.preemption
        config = _config(resolved, model, max_steps or defaults.max_steps, until)
        strategy = HypothesisStrategy(self.data)
        strategy.new_execution()
        shrunk: str | None = None
        with environment(resolved, model):
            result = run_once(resolved, strategy, config)
            failure = failure_of(resolved, model, result)
            if failure is not None and strategy.stopped is None and _final_example():
                shrunk = _finish_shrinking(resolved, failure.schedule, config)
        if strategy.stopped is not None:
            raise strategy.stopped
        self.schedule = schedule_of(resolved, model, result).encode()
        if failure is not None:
            _note(f"schedule: {failure.schedule}")
            if check:
                raise InterleavingFailed(failure, shrunk) from failure.error
        return result


@st.composite
def _interleavings(draw: st.DrawFn) -> Interleaving:
    return Interleaving(draw)


def interleavings() -> st.SearchStrategy[Interleaving]:
    """A Hypothesis strategy of interleavings: ``@given(interleavings())``, then ``.run(target)``.

    Choices are drawn lazily, one per decision, while the run happens."""
    return _interleavings()


def run_with_data(target: Any, data: Any, **options: Any) -> RunResult:
    """Run ``target`` once with choices drawn from ``data`` (from ``st.data()``)."""
    return Interleaving(data).run(target, **options)


def _final_example() -> bool:
    """True while Hypothesis replays its minimal failing example for the report."""
    try:
        from hypothesis.control import current_build_context

        return bool(current_build_context().is_final)
    except Exception:  # noqa: BLE001 - outside a test, or a Hypothesis without the flag
        return False


SHRINK_BUDGET = 300  # replays of the harness's passes after Hypothesis has shrunk


def _finish_shrinking(target: Target, schedule: str, config: RunConfig) -> str | None:
    """Hypothesis's shrinker can stall where two choices must change together (a switch
    that moves); the harness's named passes finish the job.  The environment is installed."""
    from harness.schedule import Schedule
    from harness.shrink import shrink_installed

    try:
        shrunk, _result, _runs = shrink_installed(target, Schedule.parse(schedule), config, SHRINK_BUDGET)
    except Exception:  # noqa: BLE001 - the unshrunk schedule still reproduces the failure
        return None
    return shrunk.encode()


def _note(text: str) -> None:
    with contextlib.suppress(hypothesis.errors.InvalidArgument):  # not inside a Hypothesis test
        hypothesis.note(text)


# -- the explore() driver --------------------------------------------------------
class _RunFailed(Exception):
    """Raised inside the Hypothesis test so that it shrinks the failing run."""


def search(target: Target, settings: Settings, config: RunConfig,
           on_run: Callable[[RunResult], None]) -> RunResult | None:
    """Run a Hypothesis search over ``target``'s interleavings (the environment must be
    installed); ``on_run`` sees every run.  Returns the shrunk failing run, or None.

    Hypothesis shrinks first; the harness's named passes (``harness/shrink.py``)
    then finish from its result, since Hypothesis can stall where a switch has
    to move (two choices changing together)."""
    from harness.explore import run_once

    failing: list[RunResult] = []

    def test(data: Any) -> None:
        strategy = HypothesisStrategy(data)
        strategy.new_execution()
        result = run_once(target, strategy, config)
        if strategy.stopped is not None:
            raise strategy.stopped
        on_run(result)
        first = result.failure
        if first is not None:
            failing[:] = [result]
            raise _RunFailed(f"{type(first.error).__name__}: {first.error}") from first.error

    runner = hypothesis.given(st.data())(test)
    runner = _settings(settings.schedules)(runner)
    runner = hypothesis.seed(settings.seed)(runner)
    key = f"race-harness:{target.name}:{target.fingerprint}:{settings.preemption}"
    runner._hypothesis_internal_database_key = key.encode()  # type: ignore[attr-defined]
    try:
        runner()
    except _RunFailed:
        return _finished(target, settings, config, failing[0]) if failing else None
    return None


def _finished(target: Target, settings: Settings, config: RunConfig, result: RunResult) -> RunResult:
    from harness.schedule import Schedule
    from harness.shrink import shrink_installed

    schedule = Schedule(target.name, settings.preemption, target.fingerprint, result.choices)
    try:
        _shrunk, best, _runs = shrink_installed(target, schedule, config, SHRINK_BUDGET)
    except Exception:  # noqa: BLE001 - Hypothesis's own result still stands
        return result
    return best


def _settings(examples: int) -> hypothesis.settings:
    """The loaded profile, with what an exploration needs; CI=true forces derandomized, no database."""
    profile = hypothesis.settings()
    ci = os.environ.get("CI") == "true"
    return hypothesis.settings(
        profile, max_examples=examples, deadline=None, phases=_PHASES,
        suppress_health_check=list(hypothesis.HealthCheck), report_multiple_bugs=False,
        verbosity=hypothesis.Verbosity.quiet, derandomize=profile.derandomize or ci,
        database=None if ci else profile.database, print_blob=False,
    )
