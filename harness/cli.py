"""``race-harness``: list, explore, replay, matrix, and plug-in commands.

Exit codes are made for CI and ``git bisect run``:

* explore: 0 no failure found, 1 failure found;
* replay: 1 failure reproduced (bad), 0 passed (good), 125 cannot replay on
  this code (divergence, a schedule for another target, a target that no
  longer exists) so bisect skips the commit;
* matrix: 0 every cell matches its expectation, 1 otherwise;
* 2: usage errors, malformed schedules and bad settings, one line, no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib import metadata

from harness.errors import (
    HarnessError,
    InvalidSchedule,
    InvalidSetting,
    ScheduleDivergence,
    StaleSchedule,
    UnknownTarget,
)
from harness.explore import Exploration, explore, failure_of, replay
from harness.schedule import Schedule
from harness.settings import PREEMPTION_MODELS, STRATEGIES
from harness.targets import MODELS, load_registry, resolve_target

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_SKIP = 0, 1, 2, 125
COMMAND_GROUP = "race_harness.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="race-harness",
        description="Deterministic race reproduction for eventlet code.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    listing = sub.add_parser("list", help="list the registered targets")
    listing.set_defaults(func=cmd_list)
    _add_explore(sub)
    _add_replay(sub)
    _add_matrix(sub)
    for entry in sorted(metadata.entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        try:
            entry.load()(sub)
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not break the CLI
            print(f"race-harness: warning: command plug-in {entry.name!r} failed to load: {exc!r}",
                  file=sys.stderr)
    return parser


def _add_explore(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("explore", help="run many schedules of a target, report the first failure")
    p.add_argument("target", help="scenario:variant, or package.module:callable")
    p.add_argument("--strategy", choices=[s for s in STRATEGIES if s != "replay"], default=None)
    p.add_argument("--schedules", type=_positive, default=None)
    p.add_argument("--seed", type=_non_negative, default=None)
    p.add_argument("--preemption", choices=PREEMPTION_MODELS, default=None)
    p.add_argument("--max-steps", type=_positive, default=None)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_explore)


def _add_replay(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("replay", help="run one schedule exactly (exit 1 bad, 0 good, 125 skip)")
    p.add_argument("target", help="scenario:variant, or package.module:callable")
    p.add_argument("schedule", help="a schedule string rh1:...")
    p.add_argument("--json", action="store_true")
    p.add_argument("--trace", action="store_true", help="print the whole trace")
    p.set_defaults(func=cmd_replay)


def _add_matrix(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("matrix", help="decide every registered target's verdicts under both models")
    p.add_argument("--scenario", help="only targets whose name starts with SCENARIO")
    p.add_argument("--model", choices=MODELS, help="only this preemption model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_matrix)


def _positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _non_negative(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


# -- commands ------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    registry = load_registry()
    if not registry.names():
        print("no targets registered (install a plug-in, e.g. pip install -e .)")
    for target in registry.targets():
        expected = ", ".join(f"{e.model}={e.verdict}" for e in target.expectations)
        print(f"{target.name:<40} {expected}")
        if target.description:
            print(f"    {target.description.splitlines()[0]}")
    return EXIT_OK


def cmd_explore(args: argparse.Namespace) -> int:
    target = resolve_target(args.target)
    outcome = explore(
        target, strategy=args.strategy, schedules=args.schedules, seed=args.seed,
        preemption=args.preemption, max_steps=args.max_steps,
    )
    if args.json:
        print(json.dumps(_exploration_json(outcome), indent=2))
    else:
        _print_exploration(outcome)
    return EXIT_FAILURE if outcome.failure is not None else EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    schedule = Schedule.parse(args.schedule)
    try:
        target = resolve_target(args.target)
    except UnknownTarget as exc:
        print(f"race-harness: cannot replay: {exc}", file=sys.stderr)
        return EXIT_SKIP
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StaleSchedule)
        try:
            result = replay(target, schedule)
        except ScheduleDivergence as exc:
            print(f"race-harness: cannot replay on this code: {exc}", file=sys.stderr)
            return EXIT_SKIP
    for warning in caught:
        if issubclass(warning.category, StaleSchedule):
            print(f"race-harness: warning: {warning.message}", file=sys.stderr)
    failure = failure_of(target, schedule.model, result)
    if args.json:
        print(json.dumps({"target": target.name, "schedule": schedule.encode(),
                          "failed": failure is not None,
                          "error": _error_text(failure.error) if failure else None,
                          "trace": result.trace.lines()}, indent=2))
    elif failure is not None:
        print(f"FAIL: reproduced {_error_text(failure.error)} in {failure.thread}")
        print(result.trace.text(None if args.trace else 60))
    else:
        print(f"pass: the schedule ran to the end without failure ({result.steps} steps)")
    return EXIT_FAILURE if failure is not None else EXIT_OK


def cmd_matrix(args: argparse.Namespace) -> int:
    from harness.matrix import render_json, render_table, run_matrix

    targets = load_registry().targets()
    if args.scenario:
        targets = [t for t in targets if t.name.startswith(args.scenario)]
    if not targets:
        print("no registered targets match; run 'race-harness list'", file=sys.stderr)
        return EXIT_USAGE
    models = (args.model,) if args.model else MODELS
    cells = run_matrix(targets, models)
    print(render_json(cells) if args.json else render_table(cells))
    return EXIT_OK if all(c.matches for c in cells) else EXIT_FAILURE


def _print_exploration(outcome: Exploration) -> None:
    print(f"{outcome.target}: {outcome.verdict()}")
    print(f"  {outcome.schedules_run} schedules in {outcome.elapsed:.2f} s, "
          f"{outcome.decisions} decisions ({outcome.strategy})")
    if outcome.failure is not None:
        print(outcome.failure.describe())
        print(outcome.failure.trace.text(40))


def _exploration_json(outcome: Exploration) -> dict[str, object]:
    failure = outcome.failure
    return {
        "target": outcome.target, "model": outcome.model, "strategy": outcome.strategy,
        "verdict": outcome.verdict(), "failed": failure is not None,
        "schedules_run": outcome.schedules_run, "exhausted": outcome.exhausted,
        "elapsed": outcome.elapsed, "decisions": outcome.decisions,
        "schedule": failure.schedule if failure else None,
        "error": _error_text(failure.error) if failure else None,
        "replay": f"race-harness replay {outcome.target} {failure.schedule}" if failure else None,
    }


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (InvalidSchedule, InvalidSetting) as exc:
        print(f"race-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UnknownTarget as exc:
        print(f"race-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessError as exc:
        print(f"race-harness: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("race-harness: interrupted", file=sys.stderr)
        return 130
