"""Optimal DPOR: one execution per Mazurkiewicz trace, with source sets and wakeup trees.

Optimal dynamic partial-order reduction (Abdulla, Aronis, Jonsson, Sagonas,
"Optimal Dynamic Partial Order Reduction", POPL 2014; "Source Sets: A
Foundation for Optimal Dynamic Partial Order Reduction", JACM 64(4), 2017,
Algorithm 2).  Two executions that differ only in the order of independent
steps (a *Mazurkiewicz trace*) reach the same state, so one of them is
enough; this strategy runs exactly one per trace, which is the least any
strategy that only reorders steps can run and still be a proof.

How it explores, statelessly (every run starts from the beginning):

* The current execution is a stack of *nodes*, one per step; each knows the
  greenthreads enabled there, its *sleep set* (greenthreads whose step from
  here leads only to explored traces) and its *wakeup tree* (sequences still to
  run from here).
* After each run, ``_dpor_events.analyse`` computes happens-before with vector
  clocks and finds every reversible race ``e ⋖ e'``.  For each, the wakeup
  sequence ``v = notdep(e, E).e'`` (what can run before ``e`` so that ``e'`` goes
  first) is inserted into the wakeup tree at the node before ``e``, unless a
  sleeping greenthread is a weak initial of ``v`` (then its trace is explored
  already).  Insertion skips sequences an existing branch covers.
* The next run replays the prefix up to the deepest node with something left,
  follows that node's leftmost wakeup-tree branch step by step, and then
  continues with option 0 (eventlet's default), or the first greenthread not
  asleep.  A greenthread explored at a node goes to sleep there; it wakes, in
  the nodes below, at the first step dependent on its own.

Sound under what it cannot see: dependence is decided by footprints
(``harness/_engine/footprint.py``), where an unknown step is opaque, dependent
on every other; a step that makes a WAKE choice (which queue waiter gets an
item) or fails the run is opaque too.  WAKE choices are data, not order: every
alternative of each one is explored, depth first, as a branch of its own.
Virtual time is respected: nothing is reordered across a clock advance.

An optional preemption bound (non-default RUN choices) cuts the branches that
would exceed it; the exploration is then a proof only if nothing was cut.  It
is not a proof over "every schedule with at most k preemptions" either: a trace
whose representative needs more preemptions than another of the same trace is
explored, or not, depending on which one DPOR picks (Coons, Musuvathi,
McKinley, "Bounded Partial-Order Reduction", OOPSLA 2013), so a bounded pass
is only a search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness._engine import points
from harness._engine.footprint import OPAQUE, Footprint, dependent
from harness._errors import InvalidSetting, ScheduleDivergence
from harness.strategies._dpor_events import Event, Execution, Step, analyse
from harness.strategies._dpor_wakeup import Branch, blocked_by_sleep, insert
from harness.strategies.base import Decision, DecisionKind, ExecutionSummary


@dataclass
class _Node:
    """The state before one step of the current execution."""

    enabled: tuple[int, ...]
    """The greenthreads that could run here, in option order (option 0 first)."""
    decided: bool
    """A RUN decision was offered here (more than one greenthread was ready)."""
    sleep: dict[int, Footprint]
    """Asleep here, with the footprint of their step from here: inherited and explored."""
    wut: list[Branch]
    """The wakeup tree: branches still to run from here, leftmost first."""
    preemptions: int
    """Non-default RUN choices before this node."""
    thread: int = -1
    """The greenthread of the branch being explored (-1: none)."""
    wake: tuple[int, ...] = ()
    """The WAKE choices this branch's step makes (beyond them: option 0)."""
    taken: tuple[tuple[int, int], ...] = ()
    """(choice, count) of each WAKE choice the step made in the last run."""
    footprint: Footprint = OPAQUE
    """The step's effective footprint in the last run (what its sleep entry compares)."""

    def cost(self, thread: int) -> int:
        return 1 if self.decided and self.enabled[0] != thread else 0


@dataclass
class _Run:
    """What the strategy tracks while one execution runs."""

    steps: list[Step] = field(default_factory=list)
    wakes: list[tuple[int, int]] = field(default_factory=list)
    node: _Node | None = None
    """The node of the step about to run or running."""
    opened: bool = False
    """A RUN decision opened the node of the next step already."""
    time: float | None = None
    advanced: bool = False
    failed: bool = False
    max_seen: int = -1
    stop: str = ""
    """Why the run is cut short: "blocked" (all asleep), "bound", "diverged"."""
    divergence: str = ""


class DporStrategy:
    """Source-DPOR with wakeup trees and sleep sets: exactly one run per Mazurkiewicz trace."""

    name = "dpor"

    def __init__(self, preemption_bound: int | None = None) -> None:
        if preemption_bound is not None and preemption_bound < 0:
            raise InvalidSetting(
                f"the preemption bound must be >= 0 (or None for no bound), got {preemption_bound}")
        self.bound = preemption_bound
        self._stack: list[_Node] = []
        self._seed: list[Branch] = []
        self._done = False
        self._run = _Run()
        self._forms: set[int] = set()
        self.runs = 0
        self.races = 0
        self.insertions = 0
        self.blocked = 0
        self.redundant = 0
        self.cut = 0
        self.wake_branches = 0
        self.divergences = 0

    # -- the Strategy protocol -----------------------------------------------
    def new_execution(self) -> bool:
        if self._done:
            return False
        self._run = _Run()
        return True

    def choose(self, decision: Decision) -> int:
        if decision.kind is DecisionKind.WAKE:
            return self._choose_wake(decision)
        threads = tuple(option.thread for option in decision.options)
        node = self._open(threads, decided=True)
        self._run.opened = True
        if self._run.divergence:
            raise ScheduleDivergence(self._run.divergence)
        if node is None or node.thread < 0:
            return 0  # the run stops at step_begin
        return threads.index(node.thread)

    def end_execution(self, summary: ExecutionSummary) -> None:
        run = self._run
        self._close_step(())
        self.runs += 1
        if run.divergence:
            self.divergences += 1
            self._done = True
            raise ScheduleDivergence(run.divergence)
        if run.stop == "blocked":
            self.blocked += 1
        execution = analyse(run.steps) if run.steps else Execution([])
        self._count_class(execution)
        self._insert_races(execution)
        if summary.failed and run.steps and not run.stop:
            self._insert_failure_races(execution)
        for node, step in zip(self._stack, run.steps, strict=False):
            node.taken = step.wakes
            node.wake = tuple(choice for choice, _count in step.wakes)
        self._backtrack(len(run.steps))

    @property
    def exhausted(self) -> bool:
        """Every Mazurkiewicz trace was run (none cut by the bound): a proof over the model."""
        return self._done and self.cut == 0 and self.divergences == 0

    def describe(self) -> str:
        classes = len(self._forms)
        counts = f"{self.runs} schedules ({classes} equivalence classes)"
        bound = "" if self.bound is None else f" (at most {self.bound} preemption(s))"
        if self.exhausted:
            return f"exhaustive dpor{bound}: {counts}"
        if self._done and self.cut:
            return (f"dpor{bound}: {counts}, {self.cut} branch(es) beyond the bound cut: "
                    "not a proof over all schedules")
        return f"dpor{bound} (not exhausted): {counts} so far"

    def counters(self) -> dict[str, int]:
        return {"schedules": self.runs, "equivalence_classes": len(self._forms), "races": self.races,
                "insertions": self.insertions, "sleep_blocked": self.blocked,
                "redundant": self.redundant, "beyond_bound": self.cut,
                "wake_branches": self.wake_branches, "divergences": self.divergences}

    # -- the StepObserver hooks (called by the run loop) ------------------------
    def step_begin(self, thread: int) -> bool:
        run = self._run
        if not run.opened:
            self._open((thread,), decided=False)
        run.opened = False
        node = run.node
        if run.stop or node is None:
            return False
        if node.thread != thread:
            return self._diverge(f"gt{thread} ran where the schedule asked for gt{node.thread}")
        run.wakes = []
        return True

    def step_end(self, thread: int, footprint: Footprint) -> None:
        run = self._run
        node = run.node
        assert node is not None
        run.steps.append(Step(thread, footprint, tuple(sorted(node.enabled)), run.advanced,
                              tuple(run.wakes), run.failed or _failed_now()))
        run.advanced = run.failed = False

    # -- the RunObserver hooks (footprint.py); read from the run itself until wired ------
    def clock_advanced(self, now: float) -> None:
        """The hub advanced the virtual clock before the next step."""
        self._run.advanced = True

    def step_failed(self, thread: int) -> None:
        """The run's first failure happened in the step now running."""
        self._run.failed = True

    # -- opening the node of the next step ----------------------------------------
    def _open(self, enabled: tuple[int, ...], decided: bool) -> _Node | None:
        run = self._run
        now = _virtual_now()
        if run.time is not None and now > run.time:
            run.advanced = True
        run.time = now
        self._close_step(enabled)
        if run.stop:
            return None
        pos = len(run.steps)
        if pos < len(self._stack):
            node = self._stack[pos]
            if node.enabled != enabled:
                self._diverge(f"step {pos} offers {_names(enabled)}, an earlier run of the same "
                              f"prefix offered {_names(node.enabled)}")
                return None
        else:
            node = self._new_node(pos, enabled, decided)
        run.node = node
        return node

    def _close_step(self, enabled: tuple[int, ...]) -> None:
        """The previous step is over and the next node's options are known: say whether it
        spawned, and keep its effective footprint on its node."""
        run = self._run
        fresh = max(enabled, default=-1)
        if run.steps and len(run.steps) <= len(self._stack):
            step = run.steps[-1]
            if not step.spawned and fresh > run.max_seen:
                step.spawned = True
            self._stack[len(run.steps) - 1].footprint = step.effective()
        run.max_seen = max(run.max_seen, fresh)

    def _new_node(self, pos: int, enabled: tuple[int, ...], decided: bool) -> _Node:
        run = self._run
        if pos:
            parent = self._stack[pos - 1]
            sleep = {} if run.advanced else _sleep_after(parent, enabled)
            preemptions = parent.preemptions + parent.cost(parent.thread)
        else:
            sleep, preemptions = {}, 0
        node = _Node(enabled, decided, sleep, self._seed, preemptions)
        self._seed = []
        self._stack.append(node)
        if node.wut:
            branch = node.wut.pop(0)
            self._seed = branch.children
            if branch.thread not in enabled:
                self._diverge(f"step {pos}: the wakeup sequence asks for gt{branch.thread}, which "
                              f"is not ready (ready: {_names(enabled)})")
            elif branch.thread in sleep:
                run.stop = "blocked"
            else:
                self._take(node, branch.thread)
        else:
            awake = [t for t in enabled if t not in sleep]
            if awake:
                self._take(node, awake[0])
            else:
                run.stop = "blocked"
        return node

    def _take(self, node: _Node, thread: int) -> None:
        node.thread = thread
        if self.bound is not None and node.preemptions + node.cost(thread) > self.bound:
            self.cut += 1
            node.thread = -1
            self._run.stop = "bound"

    def _choose_wake(self, decision: Decision) -> int:
        run = self._run
        node = run.node
        if node is None:
            return 0
        index = len(run.wakes)
        choice = node.wake[index] if index < len(node.wake) else 0
        if choice >= len(decision.options):
            self._diverge(f"WAKE choice {index} of gt{node.thread}'s step offers "
                          f"{len(decision.options)} waiters, the schedule asks for option {choice}")
            raise ScheduleDivergence(run.divergence)
        run.wakes.append((choice, len(decision.options)))
        return choice

    def _diverge(self, what: str) -> bool:
        run = self._run
        if not run.divergence:
            run.divergence = (
                f"dpor: {what}. The dependency model let two steps commute that do not (a step "
                "whose footprint misses a shared access, or a greenthread enabled or disabled by "
                "a step that does not say so), or the program is not deterministic (does it read "
                "the real clock, a random generator or set order?)")
        run.stop = "diverged"
        return False

    # -- after a run: races, wakeup sequences, the next branch ---------------------
    def _count_class(self, execution: Execution) -> None:
        if self._run.stop:
            return  # cut short: not a complete execution
        form = execution.canonical()
        if form in self._forms:
            self.redundant += 1
        self._forms.add(form)

    def _insert_races(self, execution: Execution) -> None:
        for race in execution.races:
            self.races += 1
            self._insert(race.first, execution.notdep(race))

    def _insert_failure_races(self, execution: Execution) -> None:
        """A failing step ends the run: every greenthread still ready before it is a step that
        never ran, which would have raced with it.  Each gets a branch from there."""
        last = execution.events[-1]
        width = len(last.clock)
        for thread in sorted(execution.steps[-1].enabled):
            if thread != last.thread:
                pending = Event(last.pos + 1, thread, 0, OPAQUE, [0] * width)
                self.races += 1
                self._insert(last.pos, [pending])

    def _insert(self, pos: int, seq: Sequence[Event]) -> None:
        node = self._stack[pos]
        if blocked_by_sleep(node.sleep, seq):
            return
        if insert(node.wut, seq):
            self.insertions += 1

    def _backtrack(self, executed: int) -> None:
        """Find the deepest node with a WAKE alternative or a wakeup branch left; drop the rest."""
        del self._stack[executed + 1:]
        while self._stack:
            node = self._stack[-1]
            if node.thread >= 0 and self._next_wake(node):
                return
            if node.thread >= 0:
                node.sleep[node.thread] = node.footprint
            node.thread = -1
            if self._next_branch(node):
                return
            self._stack.pop()
        self._done = True

    def _next_wake(self, node: _Node) -> bool:
        """Depth first over the WAKE choices of the node's step."""
        taken = node.taken
        for index in range(len(taken) - 1, -1, -1):
            choice, count = taken[index]
            if choice + 1 < count:
                node.wake = (*(c for c, _n in taken[:index]), choice + 1)
                self._seed = []
                self.wake_branches += 1
                return True
        return False

    def _next_branch(self, node: _Node) -> bool:
        while node.wut:
            branch = node.wut.pop(0)
            if branch.thread in node.sleep:
                continue
            if self.bound is not None and node.preemptions + node.cost(branch.thread) > self.bound:
                self.cut += 1
                continue
            node.thread, node.wake, node.taken = branch.thread, (), ()
            self._seed = branch.children
            return True
        return False


def _sleep_after(parent: _Node, enabled: tuple[int, ...]) -> dict[int, Footprint]:
    """The sleep set after ``parent``'s step: its sleepers that the step does not wake."""
    step = parent.footprint
    return {t: fp for t, fp in sorted(parent.sleep.items())
            if t != parent.thread and t in enabled and not dependent(fp, step)}


def _names(threads: Sequence[int]) -> str:
    return ", ".join(f"gt{t}" for t in threads) or "nothing"


def _virtual_now() -> float:
    """The run's virtual time (the hub's clock), read at each step: a later time than the
    previous step's means the hub advanced the clock in between."""
    run = points.active_run()
    return run.now() if run is not None else 0.0


def _failed_now() -> bool:
    """Whether the run has failed, read at the end of each step: the run loop stops at the first
    failure, so a failure seen here happened in this step."""
    return bool(getattr(points.active_run(), "failures", None))
