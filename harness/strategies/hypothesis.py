"""Hypothesis as a strategy: the preemptions of one run are drawn from Hypothesis.

A failing interleaving is a Hypothesis test case, so Hypothesis's shrinker
minimises it.  That shrinker minimises in shortlex order: fewer draws first,
then smaller values.  So the draws are laid out for that order to mean "fewer
preemptions": a decision taken in eventlet's default order costs no draw, a
planned preemption costs three (``HypothesisStrategy`` says which), and
setting its option to 0 or deleting its draws removes it.

Hypothesis tells failures apart by exception type and raising line, and
shrinks each separately; every failing run raises from the same line, so the
exception's class is made per ``FailureSignature`` (``symptom_class``;
``harness/_search/signature.py``: error type, raising function, violation
categories).  Two race symptoms of one program are then two bugs to
Hypothesis, each shrunk to its own fewest preemptions, never one slipping into
the other.

This module is the per-run part only, shared by the two ways in:

* ``harness/strategies/hypothesis_search.py``: ``HypothesisSearch``, the
  exploration strategy ``explore(target, strategy="hypothesis")`` runs;
* ``harness/hypothesis.py``: ``interleavings()`` and ``run_with_data`` for
  the user's own ``@given`` tests.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from harness._search.signature import FailureSignature
from harness.strategies.base import Decision, ExecutionSummary

DEFAULT_HORIZON = 32  # decisions of a default-order run, when none was measured
SHRINK_BUDGET = 300  # replays of the harness's passes after Hypothesis has shrunk


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
        option = int(draw(self.data, st.integers(0, count - 1)))
        self._plan(index + 1)
        return option

    def _plan(self, earliest: int) -> None:
        """Draw whether another planned point comes and, if so, at which decision."""
        self._next = None
        if draw(self.data, st.booleans()):
            self._next = int(draw(self.data, st.integers(earliest, earliest + self.window)))

    def end_execution(self, summary: ExecutionSummary) -> None:
        """Hypothesis learns from the test outcome, not from here."""

    @property
    def exhausted(self) -> bool:
        return False

    def describe(self) -> str:
        return "hypothesis"


def draw(data: Any, strategy: st.SearchStrategy[Any]) -> Any:
    """Draw from ``st.data()``'s object or a composite's ``draw``; through the raw
    test case when possible (no per-draw report line)."""
    conjecture = getattr(data, "conjecture_data", None)
    if conjecture is not None:
        return conjecture.draw(strategy)
    drawn = getattr(data, "draw", None) or data
    return drawn(strategy)


# -- one exception class per failure signature -----------------------------------
_SYMPTOM_CLASSES: dict[tuple[type[BaseException], FailureSignature], type[BaseException]] = {}


def symptom_class(base: type[BaseException], signature: FailureSignature) -> type[BaseException]:
    """A subclass of ``base`` for ``signature`` (one per process, so Hypothesis sees the
    same origin each time the symptom recurs, and another origin for another symptom)."""
    key = (base, signature)
    if key not in _SYMPTOM_CLASSES:
        namespace = {"__module__": base.__module__, "__qualname__": base.__qualname__,
                     "__doc__": f"{base.__name__} for runs that fail as {signature.describe()}.",
                     "signature": signature}
        _SYMPTOM_CLASSES[key] = type(base.__name__, (base,), namespace)
    return _SYMPTOM_CLASSES[key]
