"""Strategies, one module each, behind the ``Strategy`` protocol."""

from __future__ import annotations

from harness._errors import InvalidSetting
from harness.strategies.base import Decision, ExecutionSummary, Option, Strategy
from harness.strategies.bounded import BoundedDfsStrategy
from harness.strategies.dfs import DfsStrategy
from harness.strategies.pct import PctStrategy
from harness.strategies.random import RandomStrategy
from harness.strategies.replay import ReplayStrategy

__all__ = [
    "BoundedDfsStrategy",
    "Decision",
    "DfsStrategy",
    "ExecutionSummary",
    "Option",
    "PctStrategy",
    "RandomStrategy",
    "ReplayStrategy",
    "Strategy",
    "make_strategy",
]


def make_strategy(
    name: str | Strategy, seed: int = 0, *, pct_depth: int = 3, preemption_bound: int | None = None,
    reduction: bool = True,
) -> Strategy:
    """The strategy called ``name`` (an instance passes through unchanged).

    ``hypothesis`` is not built here: Hypothesis drives its own search loop,
    which ``explore(strategy="hypothesis")`` runs.
    """
    if not isinstance(name, str):
        return name
    if name == "random":
        return RandomStrategy(seed)
    if name == "dfs":  # with a preemption bound, DFS is the bounded one
        return DfsStrategy() if preemption_bound is None else BoundedDfsStrategy(preemption_bound, reduction)
    if name == "pct":
        return PctStrategy(seed, depth=pct_depth)
    if name == "bounded":
        return BoundedDfsStrategy(preemption_bound, reduction=reduction)
    if name == "replay":
        raise InvalidSetting("strategy 'replay' runs one given schedule, it does not explore: use "
                             "harness.replay(target, schedule), or race-harness replay TARGET SCHEDULE")
    raise InvalidSetting(f"unknown strategy {name!r}: choose one of random, dfs, pct, bounded, hypothesis")
