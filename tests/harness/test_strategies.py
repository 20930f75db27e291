"""Strategies on their own: fed synthetic decisions, no eventlet involved."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from harness._errors import InvalidSetting, ScheduleDivergence
from harness._settings import Settings
from harness.strategies import (
    BoundedDfsStrategy,
    DfsStrategy,
    RandomStrategy,
    ReplayStrategy,
    Strategy,
    registry,
)
from harness.strategies.base import Decision, ExecutionSummary, LazyOptions, Option


def _decision(index: int, width: int) -> Decision:
    options = tuple(Option(thread, f"label {thread}") for thread in range(width))
    return Decision(index, index * 2, options, 0, False)


def _drive(strategy: Strategy, widths: list[int], limit: int = 10_000) -> list[tuple[int, ...]]:
    """Run a program whose every run offers decisions of the given widths."""
    runs: list[tuple[int, ...]] = []
    while len(runs) < limit and strategy.new_execution():
        choices = tuple(strategy.choose(_decision(i, w)) for i, w in enumerate(widths))
        strategy.end_execution(ExecutionSummary(choices, tuple(widths), False, len(widths)))
        runs.append(choices)
    return runs


def test_dfs_enumerates_every_choice_sequence_once_in_lexicographic_order() -> None:
    strategy = DfsStrategy()
    runs = _drive(strategy, [2, 3, 2])
    assert runs == list(itertools.product(range(2), range(3), range(2)))
    assert strategy.exhausted
    assert strategy.describe() == "exhaustive DFS"
    assert not strategy.new_execution()


def test_dfs_follows_a_tree_whose_shape_depends_on_the_choices() -> None:
    # the second decision only exists after choice 1 at the first
    strategy = DfsStrategy()
    runs: list[tuple[int, ...]] = []
    while strategy.new_execution():
        first = strategy.choose(_decision(0, 2))
        choices: tuple[int, ...] = (first,)
        counts: tuple[int, ...] = (2,)
        if first == 1:
            choices += (strategy.choose(_decision(1, 3)),)
            counts += (3,)
        strategy.end_execution(ExecutionSummary(choices, counts, False, 3))
        runs.append(choices)
    assert runs == [(0,), (1, 0), (1, 1), (1, 2)]


def test_dfs_with_no_decisions_runs_once() -> None:
    strategy = DfsStrategy()
    assert _drive(strategy, []) == [()]
    assert strategy.exhausted


def test_dfs_not_exhausted_until_the_last_schedule() -> None:
    strategy = DfsStrategy()
    _drive(strategy, [2, 2], limit=3)
    assert not strategy.exhausted
    assert strategy.describe() == "DFS (not exhausted)"


def test_random_is_reproducible_per_seed_and_differs_between_seeds() -> None:
    widths = [2, 3, 4, 5] * 5
    assert _drive(RandomStrategy(1), widths, limit=20) == _drive(RandomStrategy(1), widths, limit=20)
    assert _drive(RandomStrategy(1), widths, limit=20) != _drive(RandomStrategy(2), widths, limit=20)
    runs = _drive(RandomStrategy(1), widths, limit=50)
    assert len(set(runs)) == 50  # schedule N differs from schedule M
    assert all(0 <= c < w for run in runs for c, w in zip(run, widths, strict=True))
    assert not RandomStrategy(1).exhausted


def test_random_ignores_the_global_generator() -> None:
    import random

    widths = [3] * 10
    random.seed(1)
    first = _drive(RandomStrategy(5), widths, limit=5)
    random.seed(2)
    assert _drive(RandomStrategy(5), widths, limit=5) == first


def test_replay_follows_its_choices_then_zeros_and_runs_once() -> None:
    strategy = ReplayStrategy([1, 2])
    assert _drive(strategy, [2, 3, 4, 2]) == [(1, 2, 0, 0)]
    assert strategy.exhausted


def test_replay_divergence_names_the_decision_and_what_could_run() -> None:
    strategy = ReplayStrategy([0, 3])
    strategy.new_execution()
    strategy.choose(_decision(0, 2))
    with pytest.raises(ScheduleDivergence) as info:
        strategy.choose(_decision(1, 2))
    message = str(info.value)
    assert "decision 1 (step 2)" in message
    assert "option 3 but only 2 could run: gt0 (label 0), gt1 (label 1)" in message


def test_lazy_options_are_built_once_and_only_when_looked_at() -> None:
    built: list[str] = []
    two = (Option(3, "a"), Option(1, "b"))

    def build(key: str) -> tuple[Option, ...]:
        built.append(key)
        return two

    options = LazyOptions(2, build, "key")
    assert len(options) == 2 and built == []  # a random walk only needs the count
    assert options[1] == Option(1, "b") and built == ["key"]
    assert list(options) == list(two) and options[:1] == two[:1] and options == two
    assert hash(options) == hash(two) and repr(options) == repr(two)
    assert options.seal() is options.seal() and built == ["key"]
    assert Decision(0, 0, options, -1, False) == Decision(0, 0, LazyOptions(2, build, "again"), -1, False)


def test_the_registry_builds_each_strategy_from_the_knobs_it_reads() -> None:
    assert isinstance(registry.build("dfs", registry.Knobs()), DfsStrategy)
    assert isinstance(registry.build("dfs", registry.Knobs(preemption_bound=1)), BoundedDfsStrategy)
    random_walk = registry.build("random", registry.Knobs(seed=4))
    assert isinstance(random_walk, RandomStrategy) and random_walk.seed == 4
    with pytest.raises(InvalidSetting, match="strategy 'nonsense' is not one of: random, dfs, bounded"):
        registry.build("nonsense", registry.Knobs())
    with pytest.raises(InvalidSetting, match="runs one given schedule"):
        registry.build("replay", registry.Knobs())
    for row in registry.ENTRIES:
        assert set(row.reads) <= {f.name for f in dataclasses.fields(registry.Knobs)}, row.name


def test_every_front_end_offers_the_registrys_names() -> None:
    """The marker, --race-strategy, the CLI and Settings accept exactly the registry's names."""
    from harness._frontends import cli, marker_values

    names = registry.names()
    assert "bounded" in names and "replay" not in names
    for name in names:
        assert Settings(strategy=name).strategy == name
        assert marker_values.strategy(name) == name
    explore = cli.build_parser()._subparsers._group_actions[0].choices["explore"]  # type: ignore[union-attr]
    strategy = next(a for a in explore._actions if a.dest == "strategy")
    assert tuple(strategy.choices or ()) == names


def test_no_other_module_spells_the_strategy_names_out() -> None:
    """One table: a tuple literal of two or more strategy names anywhere else in harness/
    is a second list that can drift (as the marker's did)."""
    import ast
    import pathlib

    root = pathlib.Path(registry.__file__).parents[1]
    names = set(registry.names(exploring=False))
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "registry.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                words = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if len(words & names) >= 2:
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("strategy", [DfsStrategy(), RandomStrategy(), ReplayStrategy(())])
def test_every_strategy_satisfies_the_protocol(strategy: object) -> None:
    assert isinstance(strategy, Strategy)
