"""Which strategies this checkout of the harness offers (others add them in parallel).

Why ask at run time: the benchmark must run on whatever ``make_strategy``
accepts today and say what it skipped, rather than fail on a missing one.
"""

from __future__ import annotations

from harness._errors import InvalidSetting
from harness.strategies import Strategy, make_strategy

WANTED = ("random", "pct", "dfs", "bounded")


def available_strategies(wanted: tuple[str, ...] = WANTED) -> list[str]:
    """The wanted strategy names that ``make_strategy`` builds, in order."""
    return [name for name in wanted if strategy(name) is not None]


def missing_strategies(wanted: tuple[str, ...] = WANTED) -> list[str]:
    return [name for name in wanted if strategy(name) is None]


def strategy(name: str, seed: int = 0, reduction: bool = True) -> Strategy | None:
    """A fresh instance, or None when this harness does not know ``name``."""
    try:
        return make_strategy(name, seed, reduction=reduction)
    except (InvalidSetting, TypeError):
        return None


def reducing_strategy(reduction: bool) -> Strategy | None:
    """The unbounded bounded-DFS with or without sleep sets, when it exists."""
    return strategy("bounded", reduction=reduction)
