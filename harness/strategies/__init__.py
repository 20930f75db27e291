"""Strategies, one module each, behind the ``Strategy`` protocol."""

from __future__ import annotations

from harness.errors import InvalidSetting
from harness.strategies.base import Decision, ExecutionSummary, Option, Strategy
from harness.strategies.dfs import DfsStrategy
from harness.strategies.random import RandomStrategy
from harness.strategies.replay import ReplayStrategy

__all__ = [
    "Decision",
    "DfsStrategy",
    "ExecutionSummary",
    "Option",
    "RandomStrategy",
    "ReplayStrategy",
    "Strategy",
    "make_strategy",
]


def make_strategy(name: str | Strategy, seed: int = 0) -> Strategy:
    """The strategy called ``name`` (an instance passes through unchanged)."""
    if not isinstance(name, str):
        return name
    if name == "random":
        return RandomStrategy(seed)
    if name == "dfs":
        return DfsStrategy()
    raise InvalidSetting(f"unknown strategy {name!r}: choose one of random, dfs")
