"""Strategies, one module each, behind the ``Strategy`` protocol, named in one registry.

``registry.ENTRIES`` is the only list of strategy names; ``registry.build``
makes one from the exploration settings.  A custom strategy is any object
that follows ``Strategy``: pass it to ``harness.explore(strategy=...)``.
"""

from __future__ import annotations

from harness.strategies.base import Decision, DecisionKind, ExecutionSummary, Option, Strategy
from harness.strategies.bounded import BoundedDfsStrategy
from harness.strategies.dfs import DfsStrategy
from harness.strategies.pct import PctStrategy
from harness.strategies.prefix import PrefixStrategy
from harness.strategies.random import RandomStrategy
from harness.strategies.registry import Knobs, StrategyEntry, build, names
from harness.strategies.replay import LenientReplay, ReplayStrategy

__all__ = [
    "BoundedDfsStrategy",
    "Decision",
    "DecisionKind",
    "DfsStrategy",
    "ExecutionSummary",
    "Knobs",
    "LenientReplay",
    "Option",
    "PctStrategy",
    "PrefixStrategy",
    "RandomStrategy",
    "ReplayStrategy",
    "Strategy",
    "StrategyEntry",
    "build",
    "names",
]
