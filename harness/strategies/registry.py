"""The one table of strategy names: what each is, which options it reads, how to build it.

``Settings`` validates ``strategy`` against it, the CLI offers its names and
help, the pytest plugin's marker and ``--race-strategy`` accept the same
names, and the docs list it (``race-harness explore --help``).  Nothing else
spells a strategy name out: adding one is adding a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness._errors import InvalidSetting
from harness.strategies.base import Strategy
from harness.strategies.bounded import BoundedDfsStrategy
from harness.strategies.dfs import DfsStrategy
from harness.strategies.dpor import DporStrategy
from harness.strategies.pct import PctStrategy
from harness.strategies.random import RandomStrategy


@dataclass(frozen=True)
class Knobs:
    """The exploration settings a strategy may read (a view of ``Settings``)."""

    seed: int = 0
    schedules: int = 1000
    pct_depth: int = 3
    preemption_bound: int | None = None
    reduction: bool = True


@dataclass(frozen=True)
class StrategyEntry:
    """One strategy: its name, a line of help, the ``Knobs`` it reads, its factory.

    ``build`` is None for ``replay``, which runs one given schedule and explores
    nothing; ``exhaustive`` says whether the strategy can exhaust the space (and
    so prove a pass); ``shardable``, whether its schedule N is drawn from a stream of
    its own, so that shards running disjoint ranges of N explore disjoint schedules."""

    name: str
    help: str
    reads: tuple[str, ...]
    build: Callable[[Knobs], Strategy] | None
    exhaustive: bool = False
    shardable: bool = False


def _dfs(knobs: Knobs) -> Strategy:
    """Plain DFS; with a preemption bound, DFS is the bounded one."""
    if knobs.preemption_bound is None:
        return DfsStrategy()
    return BoundedDfsStrategy(knobs.preemption_bound, knobs.reduction)


def _hypothesis(knobs: Knobs) -> Strategy:
    from harness.strategies.hypothesis_search import HypothesisSearch

    return HypothesisSearch(knobs.schedules, seed=knobs.seed)


ENTRIES: tuple[StrategyEntry, ...] = (
    StrategyEntry("random", "a uniformly random option at every decision (seeded)", ("seed",),
                  lambda k: RandomStrategy(k.seed), shardable=True),
    StrategyEntry("dfs", "every schedule, depth first: an exhaustive proof when it finishes",
                  ("preemption_bound", "reduction"), _dfs, exhaustive=True),
    StrategyEntry("bounded", "every schedule with 0, then 1, 2... preemptions (iterative context "
                  "bounding, sleep sets)", ("preemption_bound", "reduction"),
                  lambda k: BoundedDfsStrategy(k.preemption_bound, reduction=k.reduction), exhaustive=True),
    StrategyEntry("dpor", "optimal DPOR (source sets, wakeup trees): one execution per equivalence class "
                  "of interleavings; exhaustive proofs", ("preemption_bound",),
                  lambda k: DporStrategy(k.preemption_bound), exhaustive=True),
    StrategyEntry("pct", "probabilistic concurrency testing: random priorities, d-1 change points",
                  ("seed", "pct_depth"), lambda k: PctStrategy(k.seed, depth=k.pct_depth), shardable=True),
    StrategyEntry("hypothesis", "choices drawn by Hypothesis, which shrinks a failure to the fewest "
                  "preemptions", ("seed", "schedules"), _hypothesis),
    StrategyEntry("replay", "run one given schedule exactly (harness.replay, race-harness replay)",
                  (), None),
)
_BY_NAME = {entry.name: entry for entry in ENTRIES}


def names(*, exploring: bool = True) -> tuple[str, ...]:
    """The strategy names, in table order; ``exploring`` leaves out ``replay``."""
    return tuple(e.name for e in ENTRIES if e.build is not None or not exploring)


def entry(name: str) -> StrategyEntry:
    """The row for ``name``; InvalidSetting with the choices otherwise."""
    found = _BY_NAME.get(name)
    if found is None:
        raise InvalidSetting(f"strategy {name!r} is not one of: {', '.join(names(exploring=False))}")
    return found


def build(name: str, knobs: Knobs) -> Strategy:
    """A fresh strategy called ``name``, reading ``knobs``."""
    row = entry(name)
    if row.build is None:
        raise InvalidSetting(f"strategy {name!r} runs one given schedule, it does not explore: use "
                             "harness.replay(target, schedule), or race-harness replay TARGET SCHEDULE")
    return row.build(knobs)


def shardable() -> tuple[str, ...]:
    """The strategies a race test may split over shards by schedule number."""
    return tuple(e.name for e in ENTRIES if e.shardable)


def help_text() -> str:
    """``name: help`` for every exploring strategy, for ``--help`` and the docs."""
    return "; ".join(f"{e.name}: {e.help}" for e in ENTRIES if e.build is not None)
