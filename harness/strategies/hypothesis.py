"""Hypothesis as a strategy: the preemptions of a run are drawn from Hypothesis.

A failing interleaving is a Hypothesis test case, so Hypothesis's shrinker
minimises it.  That shrinker minimises in shortlex order: fewer draws first,
then smaller values.  So the draws are laid out for that order to mean "fewer
preemptions": a decision taken in eventlet's default order costs no draw, a
planned preemption costs three (``HypothesisStrategy`` says which), and
setting its option to 0 or deleting its draws removes it.  Hypothesis's
example database replays the failure first next time, and its settings
profiles apply (``CI=true``: derandomized, no database).

Hypothesis tells failures apart by exception type and raising line, and
shrinks each separately; every failing run raises here from the same line, so
the exception's class is made per ``FailureSignature`` (``harness/_search/signature.py``:
error type, raising function, violation categories).  Two race symptoms of one
program are then two bugs to Hypothesis, each shrunk to its own fewest
preemptions, never one slipping into the other.

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
from typing import TYPE_CHECKING, Any, cast

import hypothesis
from hypothesis import strategies as st

from harness._search.signature import FailureSignature, signature_of
from harness.strategies.base import Decision, ExecutionSummary

if TYPE_CHECKING:
    from harness._engine.run import RunConfig, RunResult
    from harness._search.explore import Failure
    from harness._settings import Settings
    from harness._targets import Target

_PHASES = (hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate,
           hypothesis.Phase.shrink)
DEFAULT_HORIZON = 32  # decisions of a default-order run, when none was measured


class HypothesisStrategy:
    """One run whose preemptions are drawn from a Hypothesis ``data`` object.

    One draw per decision would make Hypothesis minimise the length of the run,
    not its preemptions: a race that fails early after four preemptions is
    fewer draws than the one-preemption story that fails at the end (measured
    on ``session_overwrite:old``: stuck at 4 and 7 preemptions where 1 and 2
    are the minimum).  So only preemptions cost draws.  At the first decision, and after each planned
    point, it draws ``more`` (a boolean) and, if true, the decision ``at`` of the
    next planned point; on reaching it, the ``option`` (0 is eventlet's default,
    so a planned point may pass without a switch).  Every other decision takes
    the default order.  A run with k planned points is ``3k + 1`` draws.

    What the shrinker then does is what shrinking a schedule means: ``more`` to
    False cuts the tail; an option to 0 drops one preemption and leaves the
    others at their decisions, since positions are absolute values (drawn in
    ``[previous + 1, previous + 1 + horizon // 2]``, a window scaled to the
    default run's ``horizon`` decisions so that generated runs preempt where
    the program runs); lowering ``at`` moves a switch earlier; moving one unit
    from an option to the next ``at`` (Hypothesis's ``redistribute_numeric_pairs``)
    drops a preemption and moves the next one a decision later, the step a
    symmetric race needs to lose its mirror-image preemption (``1.0x6.1``,
    two preemptions, to ``0x8.1``, one).

    The price: a generated run plans about one preemption where a random walk
    makes one at every other decision, so Hypothesis takes more runs to find a
    race that needs several (the random, PCT and DFS strategies find faster).
    """

    name = "hypothesis"

    def __init__(self, data: Any, horizon: int = DEFAULT_HORIZON) -> None:
        self.data = data
        self.window = max(1, horizon // 2)
        self.stopped: BaseException | None = None
        self._ran = False
        self._started = False
        self._next: int | None = None  # the decision of the next planned point

    def new_execution(self) -> bool:
        if self._ran:
            return False
        self._ran = True
        return True

    def choose(self, decision: Decision) -> int:
        if self.stopped is not None or len(decision.options) < 2:
            return 0
        try:
            return self._choose(decision.index, len(decision.options))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - Hypothesis ends an over-long test case this way
            self.stopped = exc  # re-raised after the run, outside the scheduler
            return 0

    def _choose(self, index: int, count: int) -> int:
        if not self._started:
            self._started = True
            self._plan(index)
        if self._next != index:
            return 0
        option = int(_draw(self.data, st.integers(0, count - 1)))
        self._plan(index + 1)
        return option

    def _plan(self, earliest: int) -> None:
        """Draw whether another planned point comes and, if so, at which decision."""
        self._next = None
        if _draw(self.data, st.booleans()):
            self._next = int(_draw(self.data, st.integers(earliest, earliest + self.window)))

    def end_execution(self, summary: ExecutionSummary) -> None:
        """Hypothesis learns from the test outcome, not from here."""

    @property
    def exhausted(self) -> bool:
        return False

    def describe(self) -> str:
        return "hypothesis"


def _draw(data: Any, strategy: st.SearchStrategy[Any]) -> Any:
    """Draw from ``st.data()``'s object or a composite's ``draw``; through the raw
    test case when possible (no per-draw report line)."""
    conjecture = getattr(data, "conjecture_data", None)
    if conjecture is not None:
        return conjecture.draw(strategy)
    draw = getattr(data, "draw", None) or data
    return draw(strategy)


_HORIZONS: dict[tuple[str, str, str], int] = {}


def _default_decisions(target: Target, config: RunConfig) -> int:
    """Decisions in ``target``'s default-order run (measured once per process: the
    draws' ranges must not change between the test cases of one search).  The
    environment must be installed."""
    from harness._search.explore import run_once
    from harness.strategies.replay import ReplayStrategy

    key = (target.name, target.fingerprint, repr(config))
    if key not in _HORIZONS:
        strategy = ReplayStrategy(())
        strategy.new_execution()
        _HORIZONS[key] = len(run_once(target, strategy, config).choices)
    return _HORIZONS[key]


# -- one exception class per failure signature -----------------------------------
_SYMPTOM_CLASSES: dict[tuple[type[BaseException], FailureSignature], type[BaseException]] = {}


def _symptom_class(base: type[BaseException], signature: FailureSignature) -> type[BaseException]:
    """A subclass of ``base`` for ``signature`` (one per process, so Hypothesis sees the
    same origin each time the symptom recurs, and another origin for another symptom)."""
    key = (base, signature)
    if key not in _SYMPTOM_CLASSES:
        namespace = {"__module__": base.__module__, "__qualname__": base.__qualname__,
                     "__doc__": f"{base.__name__} for runs that fail as {signature.describe()}.",
                     "signature": signature}
        _SYMPTOM_CLASSES[key] = type(base.__name__, (base,), namespace)
    return _SYMPTOM_CLASSES[key]


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
        symptom = _symptom_class(cls, signature_of(failure.error, failure.trace))
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
        """Run ``target`` once; raise InterleavingFailed if it fails and ``check`` is set."""
        from harness._search.explore import _config, environment, failure_of, run_once, schedule_of
        from harness._settings import Settings
        from harness._targets import resolve_target

        resolved = resolve_target(target)
        defaults = Settings.from_env()
        model = preemption or defaults.preemption
        config = _config(resolved, model, max_steps or defaults.max_steps, until)
        shrunk: str | None = None
        with environment(resolved, model):
            strategy = HypothesisStrategy(self.data, _default_decisions(resolved, config))
            strategy.new_execution()
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


def _final_example() -> bool:
    """True while Hypothesis replays its minimal failing example for the report."""
    try:
        from hypothesis.control import current_build_context

        return bool(current_build_context().is_final)
    except Exception:  # noqa: BLE001 - outside a test, or a Hypothesis without the flag
        return False


SHRINK_BUDGET = 300  # replays of the harness's passes after Hypothesis has shrunk


def _finish_shrinking(target: Target, schedule: str, config: RunConfig) -> str | None:
    """Hypothesis's shrinker is greedy and local; the harness's named passes, which end
    with a bounded search for fewer preemptions, finish the job (for these scenarios
    they find nothing left).  The environment is installed."""
    from harness._schedule import Schedule
    from harness._search.shrink import shrink_installed

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
    """Raised inside the Hypothesis test so that it shrinks the failing run (a subclass
    per failure signature, as for InterleavingFailed)."""


def search(target: Target, settings: Settings, config: RunConfig,
           on_run: Callable[[RunResult], None]) -> RunResult | None:
    """Run a Hypothesis search over ``target``'s interleavings (the environment must be
    installed); ``on_run`` sees every run.  Returns the shrunk failing run, or None.

    Hypothesis shrinks first (to the failure with the fewest preemptions of any
    symptom: multi-bug reporting is off, so it may slip from one to another);
    the harness's named passes (``harness/_search/shrink.py``) then finish from its
    result, holding its symptom fixed."""
    from harness._search.explore import run_once

    failing: list[RunResult] = []
    horizon = _default_decisions(target, config)

    def test(data: Any) -> None:
        strategy = HypothesisStrategy(data, horizon)
        strategy.new_execution()
        result = run_once(target, strategy, config)
        if strategy.stopped is not None:
            raise strategy.stopped
        on_run(result)
        first = result.failure
        if first is not None:
            failing[:] = [result]
            symptom = _symptom_class(_RunFailed, signature_of(first.error, result.trace))
            raise symptom(f"{type(first.error).__name__}: {first.error}") from first.error

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
    from harness._schedule import Schedule
    from harness._search.shrink import shrink_installed

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
