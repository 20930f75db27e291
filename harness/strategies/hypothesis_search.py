"""``HypothesisSearch``: a Hypothesis search as an exploration strategy, behind the Strategy protocol.

Hypothesis wants to own the loop: ``given(st.data())(test)()`` calls
``test(data)`` once per test case and learns from whether it raised.  An
exploration owns it too: ``explore`` calls ``new_execution``, runs the
schedule (the run asks ``choose`` at each decision), then ``end_execution``.
Two loops on one thread, so the Hypothesis engine runs in a *driver greenlet*
and the two take turns; no run ever happens inside the driver::

    exploration                          driver greenlet (the Hypothesis engine)
    new_execution() ── switch ─────────▶ given(...)() calls test(data)
                    ◀── switch(case) ─── test: case = HypothesisStrategy(data)
    the run: choose() -> case.choose()   (draws from data, see below)
    end_execution(summary)
    new_execution() ── switch(summary) ▶ test raises the symptom's exception if the
                                         run failed; Hypothesis shrinks, calls test
                    ◀── switch(case) ─── again ...
                    ◀── DONE ─────────── ... until given(...)() is over
    returns False

Hypothesis's build context is a ``threading.local``, and the driver and the
exploration share their OS thread, so the run's draws from the exploration
greenlet land in the test case the driver is suspended in.  An exception of
the engine (an invalid setting, a flaky test case, an interrupt) ends the
driver, and greenlet hands it to its parent: the caller of ``new_execution``,
where it surfaces.  An exploration that stops early must ``close()`` the
strategy, which unwinds the suspended engine (its settings, PRNG and build
context) with ``GreenletExit``.

What an exploration must do differently for this strategy, and only because
of ``continues_after_failure``: run on after a failure (the failure is where
Hypothesis starts shrinking) until ``new_execution`` says False (the strategy
bounds its own runs: ``examples`` test cases, then shrinking), and report the
last failing run, which is Hypothesis's replay of its minimal example
(``reported``).  The harness's named shrink passes may then finish from
``finish_from()``.

The first execution is eventlet's default order: its length (the *horizon*)
sizes the windows of the draws (``HypothesisStrategy``), and a program that
fails in the default order fails there at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import greenlet
import hypothesis
from hypothesis import strategies as st

from harness._search.signature import FailureSignature
from harness.strategies.base import Decision, ExecutionSummary
from harness.strategies.hypothesis import SHRINK_BUDGET, HypothesisStrategy, symptom_class

PHASES = (hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate,
          hypothesis.Phase.shrink)
DEFAULT_EXAMPLES = 1000  # as Settings.schedules: explore passes its budget
UNKNOWN = FailureSignature("unknown", None, ())  # a failed run whose summary carries no signature


class RunFailed(Exception):
    """Raised inside the Hypothesis test for a failing run, so that Hypothesis shrinks it
    (a subclass per failure signature: ``symptom_class``)."""


@dataclass(frozen=True)
class ReportedRun:
    """A run Hypothesis reports: the replay of a minimal failing example."""

    execution: int  # which of this strategy's executions, counting from 1
    choices: tuple[int, ...]
    signature: FailureSignature | None


class _Done:
    """What the driver hands back when the Hypothesis engine is over."""


_DONE = _Done()


class HypothesisSearch:
    """Hypothesis proposes the schedules and shrinks a failure; see the module docstring.

    ``examples`` is Hypothesis's ``max_examples`` (test cases generated, shrinking
    comes on top); ``seed`` None leaves the randomness to Hypothesis's profile
    (``CI=true``: derandomized).  ``database_key`` (``database_key()``) names the
    target in Hypothesis's example database; without one the database is off,
    since one key for every target would replay one program's examples on
    another.  ``multiple_bugs`` shrinks each failure signature on its own and
    reports one run per symptom; off, Hypothesis reports its smallest failure
    (it may slip from one symptom to a smaller one while shrinking).
    """

    name = "hypothesis"
    continues_after_failure = True
    finish_budget = SHRINK_BUDGET

    def __init__(self, examples: int = DEFAULT_EXAMPLES, *, seed: int | None = 0,
                 database_key: bytes | None = None, multiple_bugs: bool = False) -> None:
        self.examples = examples
        self.seed = seed
        self.database_key = database_key
        self.multiple_bugs = multiple_bugs
        self.executions = 0
        self.horizon: int | None = None  # decisions of the default-order run, once measured
        self.final = False  # the current execution replays a minimal failing example
        self.reported: list[ReportedRun] = []
        self._case: HypothesisStrategy | None = None  # the test case being run, None: default order
        self._summary: ExecutionSummary | None = None
        self._driver: Any = None  # the greenlet running the Hypothesis engine
        self._over = False
        self._closing = False

    # -- the protocol ------------------------------------------------------------
    def new_execution(self) -> bool:
        if self._over:
            return False
        if self.executions == 0:  # the default order, to measure the horizon
            self.executions = 1
            return True
        self._case = None
        self.final = False
        handed = self._resume()
        if isinstance(handed, _Done):
            self._over = True
            return False
        self._case, self.final = handed
        self.executions += 1
        return True

    def choose(self, decision: Decision) -> int:
        case = self._case
        return 0 if case is None else case.choose(decision)

    def end_execution(self, summary: ExecutionSummary) -> None:
        if self.horizon is None:
            self.horizon = len(summary.choices)
            return
        self._summary = summary
        if self.final and summary.failed:
            self.reported.append(ReportedRun(self.executions, summary.choices, summary.signature))

    @property
    def exhausted(self) -> bool:
        """Never: Hypothesis samples the space, it does not enumerate it."""
        return False

    def describe(self) -> str:
        return f"hypothesis ({self.executions} runs, shrinking included)"

    # -- what explore does with this strategy --------------------------------------
    def finish_from(self) -> tuple[int, ...] | None:
        """The choices the harness's named shrink passes should finish from: Hypothesis's
        reported minimal failure (the first, when several symptoms are reported), or None.

        Hypothesis's shrinker is greedy and local; the passes end with a bounded search
        for fewer preemptions (``harness/_search/shrink.py``, ``finish_budget`` replays)."""
        return self.reported[0].choices if self.reported else None

    def close(self) -> None:
        """End the Hypothesis engine if it is still suspended (the exploration stopped
        early: budget, a stop on failure, an error, an interrupt).  Idempotent."""
        self._over = True
        driver, self._driver = self._driver, None
        if not driver:  # never started, or already over
            return
        self._closing = True
        driver.parent = greenlet.getcurrent()
        driver.throw(greenlet.GreenletExit)
        if not driver.dead:
            raise RuntimeError("the Hypothesis engine went on after GreenletExit")

    @property
    def running(self) -> bool:
        """True while the Hypothesis engine is suspended in its driver greenlet."""
        return bool(self._driver)

    # -- the driver greenlet ----------------------------------------------------------
    def _resume(self) -> tuple[HypothesisStrategy, bool] | _Done:
        """Switch into the driver with the last run's summary; back with the next test case
        (and whether it is a final replay), or ``_DONE``.  The engine's own exceptions
        surface here: the driver's parent is always the caller."""
        summary, self._summary = self._summary, None
        if self._driver is None:
            self._driver = greenlet.greenlet(self._drive)
        self._driver.parent = greenlet.getcurrent()
        try:
            handed = self._driver.switch(summary)
        except BaseException:
            self._over = True
            self._driver = None
            raise
        if isinstance(handed, _Done):
            self._driver = None
        return cast("tuple[HypothesisStrategy, bool] | _Done", handed)

    def _drive(self, _summary: ExecutionSummary | None) -> _Done:
        """The driver greenlet's body: the whole Hypothesis search."""
        try:
            self._runner()()
        except Exception as error:
            if not _only_symptoms(error):
                raise
        return _DONE

    def _runner(self) -> Callable[[], None]:
        def test(data: Any) -> None:
            self._test_case(data)

        runner = hypothesis.given(st.data())(test)
        runner = search_settings(self.examples, multiple_bugs=self.multiple_bugs,
                                 database=self.database_key is not None)(runner)
        if self.seed is not None:
            runner = hypothesis.seed(self.seed)(runner)
        if self.database_key is not None:
            runner._hypothesis_internal_database_key = self.database_key  # type: ignore[attr-defined]
        return runner

    def _test_case(self, data: Any) -> None:
        """One Hypothesis test case: hand its strategy to the exploration, wait for the run,
        and fail as the run did."""
        if self._closing:
            raise greenlet.GreenletExit
        assert self.horizon is not None
        case = HypothesisStrategy(data, self.horizon)
        case.new_execution()
        summary = greenlet.getcurrent().parent.switch((case, _final_example()))
        if case.stopped is not None:
            raise case.stopped
        if summary is None:
            raise RuntimeError("HypothesisSearch: new_execution() came before end_execution() of the run")
        if summary.failed:
            signature = summary.signature or UNKNOWN
            raise symptom_class(RunFailed, signature)(signature.describe())


def _only_symptoms(error: BaseException) -> bool:
    """Hypothesis's verdict on a search that found races: one symptom's exception, or a
    group of them (``multiple_bugs``); anything else (a flaky run, an error) is the
    engine's and surfaces."""
    if isinstance(error, RunFailed):
        return True
    if isinstance(error, hypothesis.errors.HypothesisException):
        return False
    group = getattr(error, "exceptions", None)  # an exception group (Python 3.11+)
    return isinstance(group, tuple) and bool(group) and all(_only_symptoms(inner) for inner in group)


def _final_example() -> bool:
    """True while Hypothesis replays a minimal failing example to report it."""
    from hypothesis.control import current_build_context

    return bool(current_build_context().is_final)


def database_key(target: str, fingerprint: str, model: str) -> bytes:
    """The example-database key of one target's code under one model."""
    return f"race-harness:{target}:{fingerprint}:{model}".encode()


def search_settings(examples: int, *, multiple_bugs: bool = False,
                    database: bool = True) -> hypothesis.settings:
    """The loaded profile, with what an exploration needs; CI=true forces derandomized, no database."""
    profile = hypothesis.settings()
    ci = os.environ.get("CI") == "true"
    return hypothesis.settings(
        profile, max_examples=examples, deadline=None, phases=PHASES,
        suppress_health_check=list(hypothesis.HealthCheck), report_multiple_bugs=multiple_bugs,
        verbosity=hypothesis.Verbosity.quiet, derandomize=profile.derandomize or ci,
        database=profile.database if database and not ci else None, print_blob=False,
    )
