"""Bounded DFS: iterative context bounding with sleep-set reduction.

Iterative context bounding (Musuvathi and Qadeer, PLDI 2007): first every
schedule with 0 preemptions (eventlet's default order), then every schedule
with exactly 1, then 2, ... up to ``bound`` (no bound: until the space is
exhausted).  A preemption is a non-zero choice.  Most races need one or two,
so they are found after few schedules, and a bounded pass that finds nothing
is a proof over all schedules with at most ``bound`` preemptions.

How it enumerates, without re-running anything: a schedule of round ``b`` is a
prefix with ``b`` non-zero choices followed by zeros.  While it runs, every
decision past the prefix offers its other options as schedules of round
``b + 1`` (the prefix so far, then that option).  Each schedule has exactly one
parent (the run whose zeros it branches from), so each is run exactly once.

Sleep sets (Godefroid, 1996) skip orders that only swap independent steps.
Siblings at a decision are ordered by option index; when option ``v`` is
explored, the earlier siblings whose first step is independent of ``v``'s
step go to sleep: running them next would only reorder two commuting steps,
an order already covered under the earlier sibling.  A sleeping greenthread
wakes when a dependent step runs.  A run whose next step would be a sleeping
greenthread's is cut short (``blocked``); an option asleep at its decision is
never run (``pruned``).  Footprints come from ``harness/_engine/footprint.py``;
unknown means dependent, so the reduction only skips what is declared
independent.  Over the whole space (no bound) every Mazurkiewicz trace keeps a
representative, so an exhaustive proof with reduction reaches the same verdict
as one without it.  With a finite bound the reduction can drop a schedule
whose only equivalent representative needs more preemptions, which is why
``prove_minimal`` turns it off.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from harness._engine.footprint import Footprint, dependent
from harness._errors import InvalidSetting, ScheduleDivergence
from harness.strategies.base import Decision, ExecutionSummary


@dataclass
class _Node:
    """A decision past some run's prefix, shared by the schedules that branch from it."""

    sleep: dict[int, Footprint]
    explored: dict[int, Footprint] = field(default_factory=dict)


@dataclass(frozen=True)
class _Item:
    """A schedule to run: ``base``, then ``zeros`` zeros, then ``choice`` (for thread ``thread``)."""

    base: tuple[int, ...]
    zeros: int
    choice: int | None
    thread: int
    node: _Node | None

    def prefix(self) -> tuple[int, ...]:
        if self.choice is None:
            return self.base
        return (*self.base, *([0] * self.zeros), self.choice)


_ROOT = _Item((), 0, None, -1, None)


class BoundedDfsStrategy:
    """Every schedule with 0, then 1, then 2 ... preemptions; sleep sets skip equivalent orders."""

    name = "bounded"

    def __init__(self, bound: int | None = None, reduction: bool = True) -> None:
        if bound is not None and bound < 0:
            raise InvalidSetting(f"the preemption bound must be >= 0 (or None for no bound), got {bound}")
        self.bound = bound
        self.reduction = reduction
        self.round = 0
        self.runs = 0
        self.explored = 0
        self.pruned = 0
        self.blocked = 0
        self.cut = 0
        self._queue: deque[_Item] = deque([_ROOT])
        self._next: deque[_Item] = deque()
        self._done = False
        self._item = _ROOT
        self._prefix: tuple[int, ...] = ()
        self._tracking = True
        self._sleep: dict[int, Footprint] = {}
        self._pending: tuple[_Node, int] | None = None
        self._blocked_run = False

    # -- the Strategy protocol -----------------------------------------------
    def new_execution(self) -> bool:
        while not self._queue:
            if not self._next:
                self._done = True
                return False
            self._queue, self._next = self._next, deque()
            self.round += 1
        self._start_run(self._queue.popleft())
        self.runs += 1
        return True

    def choose(self, decision: Decision) -> int:
        prefix = self._prefix
        if decision.index < len(prefix):
            choice = prefix[decision.index]
            if decision.index == len(prefix) - 1 and self._item.node is not None:
                self._enter_branch(decision, choice, self._item.node)
            return choice
        node = _Node(dict(self._sleep))
        self._offer_alternatives(decision, node)
        self._pending = (node, decision.options[0].thread)
        return 0

    def end_execution(self, summary: ExecutionSummary) -> None:
        if not self._blocked_run:
            self.explored += 1

    @property
    def exhausted(self) -> bool:
        """Every schedule of the whole space ran (up to equivalence): a proof."""
        return self.bound_exhausted and self.cut == 0

    @property
    def bound_exhausted(self) -> bool:
        """Every schedule within the preemption bound ran (up to equivalence).
        Read between runs: nothing is left to run once both queues are empty."""
        return self._done or (self.runs > 0 and not self._queue and not self._next)

    def describe(self) -> str:
        bound = "no preemption bound" if self.bound is None else f"at most {self.bound} preemption(s)"
        reduction = "sleep sets" if self.reduction else "no reduction"
        if not self.bound_exhausted:
            state = f"stopped in round {self.round}"
        elif self.cut:
            state = f"every schedule within the bound run, {self.cut} branch(es) beyond it"
        else:
            state = "exhausted"
        return (f"bounded DFS ({bound}, {reduction}): {self.explored} explored, {self.pruned} pruned, "
                f"{self.blocked} cut short, {state}")

    def counters(self) -> dict[str, int]:
        return {"explored": self.explored, "pruned": self.pruned, "blocked": self.blocked,
                "beyond_bound": self.cut, "round": self.round}

    # -- the StepObserver hooks (called by the run loop) ------------------------
    def step_begin(self, thread: int) -> bool:
        if self._tracking and thread in self._sleep:
            self._blocked_run = True
            self.blocked += 1
            return False
        return True

    def step_end(self, thread: int, footprint: Footprint) -> None:
        if not self._tracking:
            return
        pending = self._pending
        if pending is not None and pending[1] == thread:
            pending[0].explored[thread] = footprint
            self._pending = None
        if self._sleep:
            self._sleep = {t: f for t, f in self._sleep.items() if not dependent(f, footprint)}

    # -- internals ---------------------------------------------------------------
    def _start_run(self, item: _Item) -> None:
        self._item = item
        self._prefix = item.prefix()
        self._tracking = item.node is None
        self._sleep = {}
        self._pending = None
        self._blocked_run = False

    def _enter_branch(self, decision: Decision, choice: int, node: _Node) -> None:
        """At the last forced decision: start tracking, with the earlier siblings asleep."""
        options = decision.options
        if choice >= len(options) or options[choice].thread != self._item.thread:
            raise ScheduleDivergence(
                f"bounded DFS: decision {decision.index} no longer offers greenthread "
                f"gt{self._item.thread} as option {choice}: the program is not deterministic "
                "(does it read the real clock, a random generator or set order?)")
        self._tracking = True
        if self.reduction:
            self._sleep = {**node.sleep, **node.explored}
            self._sleep.pop(self._item.thread, None)
        self._pending = (node, self._item.thread)

    def _offer_alternatives(self, decision: Decision, node: _Node) -> None:
        """Queue this decision's other options as schedules of the next round."""
        others = [(v, o.thread) for v, o in enumerate(decision.options) if v]
        if self.reduction:
            awake = [(v, t) for v, t in others if t not in node.sleep]
            self.pruned += len(others) - len(awake)
            others = awake
        if self.bound is not None and self.round + 1 > self.bound:
            self.cut += len(others)
            return
        zeros = decision.index - len(self._prefix)
        for v, thread in others:
            self._next.append(_Item(self._prefix, zeros, v, thread, node))
