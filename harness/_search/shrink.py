"""Shrinking: turn any failing schedule into a small one that fails the same way.

A schedule found by a random walk has dozens of needless preemptions; the
story of a race is in the one or two that matter.  Shrinking replays
candidate schedules and keeps a candidate only if it still fails *the same
way* (same error type, raised in the same function, same oracle violation
categories: ``harness/_search/signature.py``) and is strictly smaller: fewer
preemptions, then fewer decisions, then lexicographically smaller (a switch moved later).  That order is well
founded, so shrinking always ends.

Candidates come from named passes, as in Hypothesis's shrinker:

* ``truncate_tail``: drop everything from some preemption on (the rest runs
  in eventlet's default order);
* ``drop_preemption``: set one non-zero choice to 0;
* ``lower_choice``: pick a lower-numbered greenthread at a preemption;
* ``delta_debug``: delete chunks of the choice list, halving the chunk size
  (ddmin), which removes stretches of decisions at once;
* ``move_switch_later``: move a preemption to a later decision;
* ``search_fewer``: run schedules with fewer preemptions (bounded DFS, a
  small budget), for failures whose fewer-preemption form switches elsewhere.

Candidates are replayed leniently (a choice the program no longer offers
becomes 0), and the choices the run really made become the new schedule, so
every accepted schedule replays exactly.  ``prove_minimal`` then shows that
no schedule with fewer preemptions fails (the same way, when given the
signature), by exhausting them with the bounded DFS (without reduction, which
is only sound over the unbounded space).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness._engine.results import RunConfig, RunResult
from harness._errors import HarnessError, ScheduleDivergence
from harness._schedule import Schedule
from harness._search.failures import Failure, check_replayable, failure_of
from harness._search.session import RunSpec, environment, run_once
from harness._search.signature import FailureSignature, signature_of
from harness._settings import Settings
from harness._targets import Target, resolve_target
from harness.strategies.base import Strategy
from harness.strategies.bounded import BoundedDfsStrategy
from harness.strategies.replay import LenientReplay, ReplayStrategy

Key = tuple[int, int, tuple[int, ...]]
SEARCH_BUDGET = 200  # runs per search_fewer attempt


class ScheduleDoesNotFail(HarnessError):
    """The schedule given to shrink ran to the end without failing."""


def run_signature(result: RunResult) -> FailureSignature | None:
    """How ``result`` failed (None if it did not): what shrinking keeps constant."""
    first = result.failure
    return None if first is None else signature_of(first.error, result.trace)


def trimmed(choices: Sequence[int]) -> tuple[int, ...]:
    """The choices without trailing zeros (a replay treats missing choices as 0)."""
    end = len(choices)
    while end and choices[end - 1] == 0:
        end -= 1
    return tuple(choices[:end])


def size_key(choices: Sequence[int]) -> Key:
    """The shrink order: preemptions, then length, then lexicographic."""
    kept = trimmed(choices)
    return (sum(1 for c in kept if c), len(kept), kept)


@dataclass
class ShrinkResult:
    """A shrunk schedule with its failure and what shrinking did."""

    original: Schedule
    shrunk: Schedule
    failure: Failure
    runs: int
    passes: dict[str, int] = field(default_factory=dict)
    signature: FailureSignature | None = None
    spec: RunSpec | None = None

    @property
    def preemptions_before(self) -> int:
        return self.original.preemptions

    @property
    def preemptions_after(self) -> int:
        return self.shrunk.preemptions

    @property
    def size_before(self) -> int:
        return len(self.original.choices)

    @property
    def size_after(self) -> int:
        return len(self.shrunk.choices)

    def describe(self) -> str:
        used = ", ".join(f"{name} x{count}" for name, count in self.passes.items() if count) or "none"
        return "\n".join([
            f"{type(self.failure.error).__name__} in {self.failure.thread}: {self.failure.error}",
            *([f"kept:     {self.signature.describe()}"] if self.signature else []),
            f"shrunk:   {self.shrunk.encode()}",
            f"          {self.preemptions_before} -> {self.preemptions_after} preemptions, "
            f"{self.size_before} -> {self.size_after} choices, {self.runs} replays (passes: {used})",
            f"replay:   {self.failure.replay_command()}",
        ])


class Shrinker:
    """Holds the best failing choices so far and tries candidates against them."""

    def __init__(self, target: Target, schedule: Schedule, config: RunConfig, max_runs: int) -> None:
        self.target = target
        self.model = schedule.model
        self.config = config
        self.max_runs = max_runs
        self.runs = 0
        self.accepted: dict[str, int] = {name: 0 for name, _ in PASSES}
        self._seen: set[tuple[int, ...]] = set()
        first = self._run(ReplayStrategy(schedule.choices))
        divergence = next((f.error for f in first.failures if isinstance(f.error, ScheduleDivergence)), None)
        if divergence is not None:
            raise divergence
        if first.failure is None:
            raise ScheduleDoesNotFail(
                f"the schedule ran to the end without failing ({first.steps} steps): nothing to "
                "shrink")
        self.signature = signature_of(first.failure.error, first.trace)
        self.best = trimmed(first.choices)
        self.best_result = first

    @property
    def budget_left(self) -> bool:
        return self.runs < self.max_runs

    def attempt(self, candidate: Sequence[int], pass_name: str) -> bool:
        """Replay ``candidate``; keep it if it is smaller and fails the same way."""
        candidate = trimmed(candidate)
        if not self.budget_left or candidate in self._seen or size_key(candidate) >= size_key(self.best):
            return False
        self._seen.add(candidate)
        return self.consider(self._run(LenientReplay(candidate)), pass_name)

    def consider(self, result: RunResult, pass_name: str) -> bool:
        """Keep ``result``'s choices if the run failed the same way and they are smaller."""
        if run_signature(result) != self.signature:
            return False
        actual = trimmed(result.choices)
        if size_key(actual) >= size_key(self.best):
            return False
        self.best, self.best_result = actual, result
        self.accepted[pass_name] += 1
        return True

    def _run(self, strategy: Strategy) -> RunResult:
        self.runs += 1
        if isinstance(strategy, ReplayStrategy):
            strategy.new_execution()
        return run_once(self.target, strategy, self.config)


# -- the passes: each tries candidates and says whether one was kept -------------------
def truncate_tail(sh: Shrinker) -> bool:
    """Cut the schedule right before one of its preemptions, earliest cut first."""
    return any(sh.attempt(sh.best[:i], "truncate_tail") for i in _nonzero(sh.best))


def drop_preemption(sh: Shrinker) -> bool:
    """Set one preemption to the default choice, latest first."""
    improved = False
    for i in reversed(_nonzero(sh.best)):
        if i < len(sh.best) and sh.best[i] and sh.attempt(_with(sh.best, i, 0), "drop_preemption"):
            improved = True
    return improved


def lower_choice(sh: Shrinker) -> bool:
    """At a preemption, pick option 1 (the lowest-numbered other greenthread)."""
    improved = False
    for i in _nonzero(sh.best):
        if i < len(sh.best) and sh.best[i] > 1 and sh.attempt(_with(sh.best, i, 1), "lower_choice"):
            improved = True
    return improved


def delta_debug(sh: Shrinker) -> bool:
    """ddmin over the choice list: delete chunks, halving the chunk size down to 2, then 1."""
    improved = False
    sizes = sorted({max(1, len(sh.best) >> k) for k in range(1, 20)} | {2, 1}, reverse=True)
    for size in sizes:
        start = 0
        while start < len(sh.best) and sh.budget_left:
            if sh.attempt(sh.best[:start] + sh.best[start + size:], "delta_debug"):
                improved = True
            else:
                start += size
    return improved


def move_switch_later(sh: Shrinker) -> bool:
    """Move a preemption 1, 2, 4 ... decisions later (a later switch is a simpler story)."""
    improved = False
    for i in reversed(_nonzero(sh.best)):
        step = 1
        while i < len(sh.best) and i + step < len(sh.best) and sh.budget_left:
            value = sh.best[i]
            candidate = _with(_with(sh.best, i, 0), i + step, value)
            if sh.best[i + step] == 0 and sh.attempt(candidate, "move_switch_later"):
                improved = True
                break
            step *= 2
    return improved


def search_fewer(sh: Shrinker) -> bool:
    """Run schedules with fewer preemptions, fewest first, within SEARCH_BUDGET runs."""
    preemptions = size_key(sh.best)[0]
    if preemptions == 0:
        return False
    strategy = BoundedDfsStrategy(bound=preemptions - 1, reduction=False)
    for _ in range(SEARCH_BUDGET):
        if not sh.budget_left or not strategy.new_execution():
            return False
        if sh.consider(sh._run(strategy), "search_fewer"):
            return True
    return False


PASSES: tuple[tuple[str, Callable[[Shrinker], bool]], ...] = (
    ("truncate_tail", truncate_tail),
    ("drop_preemption", drop_preemption),
    ("lower_choice", lower_choice),
    ("delta_debug", delta_debug),
    ("move_switch_later", move_switch_later),
    ("search_fewer", search_fewer),
)


def _nonzero(choices: Sequence[int]) -> list[int]:
    return [i for i, c in enumerate(choices) if c]


def _with(choices: tuple[int, ...], index: int, value: int) -> tuple[int, ...]:
    return (*choices[:index], value, *choices[index + 1:])


# -- entry points --------------------------------------------------------------------
def shrink(target: Target | str | Callable[[], object], schedule: str | Schedule, *,
           max_runs: int = 1000, max_steps: int | None = None, until: float | None = None,
           spec: RunSpec | None = None) -> ShrinkResult:
    """Shrink a failing schedule of ``target``, run under ``spec`` (the options it was
    found with: ``Failure.spec``; default, the ``RACE_*`` settings).

    Raises InvalidSchedule (malformed), ScheduleDivergence (cannot replay on
    this code) or ScheduleDoesNotFail (nothing to shrink).
    """
    parsed = schedule if isinstance(schedule, Schedule) else Schedule.parse(schedule)
    resolved = resolve_target(target)
    check_replayable(resolved, parsed)
    spec = _spec(resolved, spec, parsed.model, max_steps, until)
    with environment(resolved, spec):
        sh = Shrinker(resolved, parsed, spec.config(resolved), max_runs)
        _run_passes(sh)
    shrunk = Schedule(resolved.name, parsed.model, resolved.fingerprint, sh.best)
    failure = failure_of(resolved, spec, sh.best_result)
    assert failure is not None
    return ShrinkResult(parsed, shrunk, failure, sh.runs, dict(sh.accepted), sh.signature, spec)


def _spec(target: Target, spec: RunSpec | None, model: str, max_steps: int | None,
          until: float | None) -> RunSpec:
    base = spec if spec is not None else RunSpec.of(target, Settings.from_env())
    return base.with_overrides(model=model, max_steps=max_steps, until=until)


def shrink_installed(target: Target, schedule: Schedule, config: RunConfig,
                     max_runs: int) -> tuple[Schedule, RunResult, int]:
    """Shrink with the exploration environment already installed (from inside an
    exploration or a Hypothesis test); returns the schedule, its run and the replays used."""
    sh = Shrinker(target, schedule, config, max_runs)
    _run_passes(sh)
    return Schedule(target.name, schedule.model, target.fingerprint, sh.best), sh.best_result, sh.runs


def _run_passes(sh: Shrinker) -> None:
    """Run every pass in turn until a whole round keeps nothing (or the budget is spent)."""
    while sh.budget_left:
        before = sh.best
        for _name, shrink_pass in PASSES:
            shrink_pass(sh)
        if sh.best == before:
            return


@dataclass
class MinimalityProof:
    """The outcome of ``prove_minimal``: did every schedule with fewer preemptions pass?"""

    target: str
    model: str
    preemptions: int
    schedules_run: int
    exhausted: bool
    counterexample: Failure | None
    same_as: FailureSignature | None = None

    @property
    def proved(self) -> bool:
        return self.exhausted and self.counterexample is None

    def describe(self) -> str:
        if self.counterexample is not None:
            return (f"not minimal: a schedule with {self.counterexample.preemptions} preemption(s) fails "
                    f"too: {self.counterexample.schedule}")
        if self.preemptions == 0:
            return ("minimal: 0 preemptions, eventlet's default order already fails, so a plain "
                    "test run shows the bug")
        fewer = f"schedules with fewer than {self.preemptions} preemption(s)"
        if self.same_as is None:
            passed = f"all {self.schedules_run} {fewer} pass"
        else:
            passed = (f"none of the {self.schedules_run} {fewer} fails this way "
                      f"({self.same_as.describe()})")
        if not self.exhausted:
            return f"unproved: {passed}, but the budget ran out before all were run"
        return f"minimal: {passed} ({self.model}, exhaustive bounded DFS)"


def prove_minimal(target: Target | str | Callable[[], object], model: str, k: int, *,
                  same_as: FailureSignature | None = None, max_schedules: int = 100_000,
                  max_steps: int | None = None, until: float | None = None,
                  spec: RunSpec | None = None) -> MinimalityProof:
    """Run every schedule with fewer than ``k`` preemptions; proved when none fails
    (none fails ``same_as``, when given: another failure is not a counterexample)."""
    resolved = resolve_target(target)
    proof = MinimalityProof(resolved.name, model, k, 0, k == 0, None, same_as)
    if k == 0:
        return proof
    strategy = BoundedDfsStrategy(bound=k - 1, reduction=False)
    run_spec = _spec(resolved, spec, model, max_steps, until)
    config = run_spec.config(resolved)
    with environment(resolved, run_spec):
        while proof.schedules_run < max_schedules and strategy.new_execution():
            result = run_once(resolved, strategy, config)
            proof.schedules_run += 1
            if same_as is not None and run_signature(result) != same_as:
                continue
            proof.counterexample = failure_of(resolved, run_spec, result)
            if proof.counterexample is not None:
                break
        else:
            proof.exhausted = strategy.bound_exhausted
    return proof
