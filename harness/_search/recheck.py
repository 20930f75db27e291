"""Recheck a schedule on code that may have changed since it was recorded.

``replay`` is exact on the code a schedule was recorded on.  On other code (a
bisect step, a fixed variant, a later commit) the choices may no longer fit:
the replay diverges, or follows choices that now mean something else.  A
bisect that took such a replay at its word would mark a commit good or skip
it for the wrong reason, so ``recheck`` replays first and, when the replay
diverged or the schedule is stale and passed, explores from the schedule's
prefix within a small budget:

1. the recorded choices up to the divergence, then DFS over the rest;
2. the same prefix, then random choices;
3. DFS of the whole program, from scratch.

A failure found anywhere is a reproduction (bad).  If stage 3 exhausts the
space without one, the code is proved good under that preemption model.
Otherwise a diverged schedule is inconclusive (``git bisect`` should skip).
A run the harness refused (the code escaped the scheduler: a native thread,
a real socket, a subprocess, ...) is no verdict either: ``refused``, skip.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

from harness._engine.results import RunResult
from harness._errors import RunRefused, ScheduleDivergence, StaleSchedule
from harness._schedule import Schedule
from harness._search.explore import TargetSpec, explore
from harness._search.explore import replay as exact_replay
from harness._search.failures import Failure, failure_of
from harness._search.session import RunSpec
from harness._settings import Settings
from harness._targets import Target, resolve_target
from harness.strategies import DfsStrategy, PrefixStrategy, RandomStrategy, Strategy

DEFAULT_BUDGET = 200

# Verdicts, and what ``git bisect run`` should make of them.
REPRODUCED = "reproduced"      # the exact replay failed: bad
FOUND = "found"                # the fallback exploration found a failure: bad
PASSED = "passed"              # the replay passed (and, if stale, exploring found nothing): good
PROVED = "proved"              # the replay diverged, a full DFS found nothing: good
INCONCLUSIVE = "inconclusive"  # the replay diverged and the budget found nothing: skip
REFUSED = "refused"            # the code escaped the scheduler (failure.error is a RunRefused): skip


@dataclass
class Recheck:
    """What rechecking a schedule on this code showed, and how."""

    target: str
    schedule: str
    verdict: str
    failure: Failure | None = None
    divergence: str | None = None
    stale: bool = False
    explored: int = 0
    exhausted: bool = False
    result: RunResult | None = None

    @property
    def failed(self) -> bool:
        return self.verdict in (REPRODUCED, FOUND)

    def describe(self) -> str:
        """One paragraph: the verdict, how it was reached, and the failing schedule if any."""
        lines = [f"{self.target}: {self.verdict}"]
        if self.divergence:
            lines.append(f"  the replay diverged: {self.divergence}")
        elif self.stale:
            lines.append("  the schedule is stale (recorded on other code)")
        if self.explored:
            how = "exhaustive" if self.exhausted else "not exhaustive"
            lines.append(f"  explored {self.explored} schedule(s) from its prefix ({how})")
        if self.failure is not None:
            lines.append("  " + self.failure.describe().replace("\n", "\n  "))
        return "\n".join(lines)


def recheck(
    target: TargetSpec,
    schedule: str | Schedule,
    *,
    budget: int = DEFAULT_BUDGET,
    fallback: bool = True,
    retarget: bool = False,
    spec: RunSpec | None = None,
) -> Recheck:
    """Replay ``schedule`` on ``target``; explore from its prefix when the replay cannot be trusted.

    ``retarget`` replays the choices on a target other than the one named in
    the schedule (a fixed variant); ``fallback=False`` reports a divergence as
    inconclusive without exploring.  ``ScheduleDivergence`` for a schedule of
    another target is raised unless ``retarget``.  ``spec`` holds the options the
    schedule was found with (default: the ``RACE_*`` settings).
    """
    resolved = resolve_target(target)
    parsed = schedule if isinstance(schedule, Schedule) else Schedule.parse(schedule)
    if retarget and parsed.target != resolved.name:
        parsed = Schedule(resolved.name, parsed.model, resolved.fingerprint, parsed.choices)
    if parsed.target != resolved.name:
        exact_replay(resolved, parsed)  # raises the divergence that names the right target
    stale = parsed.fingerprint != resolved.fingerprint
    spec = (spec or RunSpec.of(resolved, Settings.from_env())).with_overrides(model=parsed.model)
    spec = replace(spec, target=resolved.name)
    outcome = Recheck(resolved.name, parsed.encode(), PASSED, stale=stale)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StaleSchedule)
            result = exact_replay(resolved, parsed, spec=spec)
    except ScheduleDivergence as exc:
        outcome.divergence = str(exc)
    else:
        outcome.result = result
        outcome.failure = failure_of(resolved, spec, result)
        if outcome.failure is not None:
            outcome.verdict = REFUSED if isinstance(outcome.failure.error, RunRefused) else REPRODUCED
            return outcome
        if not stale:
            return outcome
    if not fallback:
        outcome.verdict = INCONCLUSIVE if outcome.divergence else PASSED
        return outcome
    return _explore_prefix(resolved, parsed, spec, budget, outcome)


def _explore_prefix(target: Target, schedule: Schedule, spec: RunSpec, budget: int,
                    outcome: Recheck) -> Recheck:
    stages: list[tuple[Strategy, int]] = [
        (PrefixStrategy(schedule.choices, DfsStrategy()), max(1, budget // 2)),
        (PrefixStrategy(schedule.choices, RandomStrategy(0)), max(1, budget // 4)),
    ]
    left = budget
    for strategy, share in stages:
        left -= _stage(target, spec, strategy, min(share, left), outcome)
        if outcome.failure is not None or left <= 0:
            break
    if outcome.failure is None and left > 0:
        full = DfsStrategy()
        _stage(target, spec, full, left, outcome)
        outcome.exhausted = full.exhausted
    if outcome.failure is not None:
        outcome.verdict = REFUSED if isinstance(outcome.failure.error, RunRefused) else FOUND
    elif outcome.divergence:
        outcome.verdict = PROVED if outcome.exhausted else INCONCLUSIVE
    return outcome


def _stage(target: Target, spec: RunSpec, strategy: Strategy, schedules: int, outcome: Recheck) -> int:
    if schedules <= 0:
        return 0
    found = explore(target, strategy=strategy, schedules=schedules, preemption=spec.model,
                    stop_on_failure=True, database="off", until=spec.until, max_steps=spec.max_steps,
                    tpool=spec.tpool, uncontrolled=spec.uncontrolled,
                    unobserved_exceptions=spec.unobserved_exceptions)
    outcome.explored += found.schedules_run
    if found.failure is not None:
        outcome.failure = found.failure
    return found.schedules_run


