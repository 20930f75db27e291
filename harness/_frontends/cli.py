"""``race-harness``: list, explore, replay, matrix, and plug-in commands.

Exit codes are made for CI and ``git bisect run``:

* explore: 0 no failure found, 1 failure found;
* replay: 1 failure reproduced (bad), 0 passed (good), 125 cannot replay on
  this code (a schedule for another target, a target that no longer exists,
  or a divergence that exploring from the schedule's prefix could not settle)
  so bisect skips the commit.  A diverged or stale replay is not taken at its
  word: see ``harness._search.recheck``;
* report: 0 the proof bundle was written;
* shrink: 1 the schedule fails (the shrunk schedule is printed), 0 it does not
  fail, 125 it cannot replay on this code;
* matrix: 0 every cell matches its expectation, 1 otherwise;
* 125 also for a run the harness refused (explore, replay, shrink, a matrix
  cell): the code under test escaped the scheduler (a native thread, a real
  socket or fd wait, a subprocess, a second hub, a tpool call), which says
  nothing about the race, so bisect skips the commit; one line on stderr says
  what escaped and what to do;
* 2: usage errors, malformed schedules and bad settings, one line, no traceback;
  also a crash of the harness itself (traceback, then one line saying so),
  never 1, which would read as a race found.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import NoReturn

from harness import _startup
from harness._errors import (
    HarnessError,
    InvalidSchedule,
    InvalidSetting,
    RunRefused,
    ScheduleDivergence,
    StaleSchedule,
    UnknownTarget,
)
from harness._options import Model, add_run_options
from harness._schedule import Schedule
from harness._search.explore import Exploration, explore, refusal_advice
from harness._search.failures import Failure
from harness._search.recheck import (
    DEFAULT_BUDGET,
    FOUND,
    INCONCLUSIVE,
    PROVED,
    REFUSED,
    REPRODUCED,
    Recheck,
    recheck,
)
from harness._search.session import RunSpec, spec_from_options
from harness._settings import Settings
from harness._targets import MODELS, Target, load_registry, resolve_target
from harness.strategies import registry

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_SKIP = 0, 1, 2, 125
COMMAND_GROUP = "race_harness.commands"


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (no usage block): CI logs and bisect output stay readable."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="race-harness",
        description="Deterministic race reproduction for eventlet code.",
    )
    parser.add_argument("--version", action="version", version=f"race-harness {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    listing = sub.add_parser("list", help="list the registered targets")
    listing.set_defaults(func=cmd_list)
    _add_explore(sub)
    _add_replay(sub)
    _add_report(sub)
    _add_shrink(sub)
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
    p.add_argument("--strategy", choices=registry.names(), default=None, help=registry.help_text())
    p.add_argument("--schedules", type=_positive, default=None)
    p.add_argument("--seed", type=_non_negative, default=None)
    p.add_argument("--preemption", choices=Model.values(), default=None)
    p.add_argument("--pct-depth", type=_positive, default=None, help="PCT bug depth d (default 3)")
    p.add_argument("--preemption-bound", type=_non_negative, default=None,
                   help="bounded: at most this many preemptions per schedule (default: no bound)")
    p.add_argument("--no-reduction", action="store_true", help="bounded: no sleep-set reduction")
    p.add_argument("--database", metavar="DIR", default=None,
                   help="failure database directory (default .race-harness, RACE_DATABASE)")
    p.add_argument("--no-database", action="store_true", help="neither replay nor store failures")
    p.add_argument("--verify-determinism", action=argparse.BooleanOptionalAction, default=None,
                   help="replay each failing schedule twice more and require the same trace "
                        "(default: on when CI=true; RACE_VERIFY_DETERMINISM)")
    add_run_options(p.add_argument)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_explore)


def _add_replay(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("replay", help="run one schedule exactly (exit 1 bad, 0 good, 125 skip)")
    p.add_argument("target", help="scenario:variant, or package.module:callable")
    p.add_argument("schedule", help="a schedule string rh1:...")
    p.add_argument("--json", action="store_true")
    p.add_argument("--trace", action="store_true", help="print the whole trace")
    p.add_argument("--no-fallback", action="store_true",
                   help="when the replay diverges, exit 125 at once instead of exploring from the "
                        "schedule's prefix")
    p.add_argument("--budget", type=_positive, default=DEFAULT_BUDGET,
                   help=f"schedules the fallback exploration may run (default {DEFAULT_BUDGET})")
    add_run_options(p.add_argument)
    p.set_defaults(func=cmd_replay)


def _add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="write a proof bundle (Markdown, JSON, HTML/SVG timeline, "
                                      "regression test) for a schedule")
    p.add_argument("target", help="scenario:variant, or package.module:callable")
    p.add_argument("schedule", help="a schedule string rh1:...")
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write the bundle into")
    p.add_argument("--no-shrink", action="store_true", help="report the schedule as given")
    p.add_argument("--regression-target", action="append", metavar="TARGET", default=None,
                   help="target(s) the regression test checks (default: TARGET; repeatable)")
    add_run_options(p.add_argument)
    p.set_defaults(func=cmd_report)


def _add_shrink(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("shrink", help="shrink a failing schedule (exit 1 with the shrunk schedule, "
                                      "0 if it does not fail, 125 if it cannot replay)")
    p.add_argument("target", help="scenario:variant, or package.module:callable")
    p.add_argument("schedule", help="a schedule string rh1:...")
    p.add_argument("--max-runs", type=_positive, default=1000, help="replays shrinking may use")
    p.add_argument("--prove", action="store_true",
                   help="then run every schedule with fewer preemptions to prove minimality")
    p.add_argument("--json", action="store_true")
    add_run_options(p.add_argument)
    p.set_defaults(func=cmd_shrink)


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
    """ASCII digits only: ``int`` also reads other scripts' digits (``--schedules`` in Arabic-Indic)."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise argparse.ArgumentTypeError(f"expected a whole number written with the digits 0-9, got {text!r}")
    return int(text)


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


def _version() -> str:
    try:
        return metadata.version("race-harness")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _spec(target: Target, args: argparse.Namespace, model: str | None = None) -> RunSpec:
    """The run options of a command line (``--tpool`` ...) over the ``RACE_*`` settings."""
    return spec_from_options(target, args, Settings.from_env(), model)


def cmd_explore(args: argparse.Namespace) -> int:
    from harness._search.stats import ProgressLine

    settings = Settings.from_env().with_overrides(
        pct_depth=args.pct_depth, preemption_bound=args.preemption_bound,
        reduction=False if args.no_reduction else None, database="off" if args.no_database else args.database,
    )
    _check_explore_options(args, args.strategy or settings.strategy)
    target = resolve_target(args.target)
    progress = ProgressLine.for_stream(sys.stderr, enabled=not args.json)
    try:
        outcome = explore(
            target, strategy=args.strategy, schedules=args.schedules, seed=args.seed,
            preemption=args.preemption, max_steps=args.max_steps, settings=settings, progress=progress,
            verify_determinism=args.verify_determinism, uncontrolled=args.uncontrolled, until=args.until,
            tpool=args.tpool, unobserved_exceptions=args.unobserved_exceptions,
            preempt_modules=args.preempt_modules,
        )
    finally:
        if progress is not None:
            progress.close()
    if args.json:
        print(json.dumps(_exploration_json(outcome), indent=2))
    else:
        _print_exploration(outcome)
    if outcome.refused and outcome.failure is not None:
        return _refused(outcome.failure, "--uncontrolled warn")
    return EXIT_FAILURE if outcome.failure is not None else EXIT_OK


def _refused(refused: Failure, warn_option: str | None) -> int:
    """A refused run is no verdict: say what escaped and what to do; bisect skips (125)."""
    print(f"race-harness: refused ({type(refused.error).__name__} in {refused.thread}): the code under "
          "test escaped the scheduler, so this run says nothing about the race; exit 125 (git bisect "
          f"skips this commit). To explore it: {refusal_advice(refused.error, warn_option)}", file=sys.stderr)
    return EXIT_SKIP


def _check_explore_options(args: argparse.Namespace, strategy: str) -> None:
    """Refuse options the chosen strategy would silently ignore (what each reads: the registry)."""
    given = {"preemption_bound": args.preemption_bound is not None, "pct_depth": args.pct_depth is not None,
             "reduction": args.no_reduction}
    reads = registry.entry(strategy).reads
    for knob, flag in (("preemption_bound", "--preemption-bound"), ("pct_depth", "--pct-depth"),
                       ("reduction", "--no-reduction")):
        if given[knob] and knob not in reads:
            readers = " or ".join(e.name for e in registry.ENTRIES if knob in e.reads)
            raise InvalidSetting(f"{flag} applies to --strategy {readers}, not {strategy!r}")
    if args.no_reduction and strategy == "dfs" and args.preemption_bound is None:
        raise InvalidSetting("--no-reduction applies to bounded DFS (--strategy bounded, or dfs with "
                             f"--preemption-bound), not {strategy!r}")
    if args.database is not None and args.no_database:
        raise InvalidSetting("--database and --no-database contradict each other; give one")


def cmd_replay(args: argparse.Namespace) -> int:
    schedule = Schedule.parse(args.schedule)
    try:
        target = resolve_target(args.target)
    except UnknownTarget as exc:
        print(f"race-harness: cannot replay: {exc}", file=sys.stderr)
        return EXIT_SKIP
    try:
        checked = recheck(target, schedule, budget=args.budget, fallback=not args.no_fallback,
                          spec=_spec(target, args, schedule.model))
    except ScheduleDivergence as exc:
        print(f"race-harness: cannot replay on this code: {exc}", file=sys.stderr)
        return EXIT_SKIP
    if checked.stale:
        print(f"race-harness: warning: schedule fingerprint {schedule.fingerprint} differs from the "
              f"code's {target.fingerprint}: the target changed since the schedule was recorded",
              file=sys.stderr)
    if args.json:
        print(json.dumps(_recheck_json(checked), indent=2))
    else:
        _print_recheck(checked, args.trace)
    if checked.verdict == REFUSED and checked.failure is not None:
        return _refused(checked.failure, None)
    if checked.verdict == INCONCLUSIVE:
        return EXIT_SKIP
    return EXIT_FAILURE if checked.failed else EXIT_OK


def _print_recheck(checked: Recheck, whole_trace: bool) -> None:
    limit = None if whole_trace else 60
    if checked.divergence:
        print(f"race-harness: the replay diverged: {checked.divergence}", file=sys.stderr)
    if checked.verdict == REFUSED and checked.failure is not None:
        print(f"skip: refused, no verdict: {_refusal_text(checked.failure)}")
        print(checked.failure.trace.text(limit))
    elif checked.verdict == REPRODUCED and checked.failure is not None:
        print(f"FAIL: reproduced {_error_text(checked.failure.error)} in {checked.failure.thread}")
        print(checked.failure.trace.text(limit))
    elif checked.verdict == FOUND and checked.failure is not None:
        print(f"FAIL: exploring {checked.explored} schedule(s) from the recorded prefix found "
              f"{_error_text(checked.failure.error)} in {checked.failure.thread}")
        print(f"new schedule: {checked.failure.schedule}")
        print(checked.failure.trace.text(limit))
    elif checked.verdict == PROVED:
        print(f"pass: the schedule no longer fits, and all {checked.explored} schedules explored "
              "from its prefix and from scratch pass (the whole space was exhausted)")
    elif checked.verdict == INCONCLUSIVE:
        how = f"{checked.explored} schedule(s) explored from its prefix found nothing" \
            if checked.explored else "fallback disabled"
        print(f"skip: the schedule does not fit this code and {how}; cannot tell good from bad")
    else:
        steps = checked.result.steps if checked.result is not None else 0
        extra = f"; {checked.explored} more explored from its prefix found nothing" \
            if checked.explored else ""
        print(f"pass: the schedule ran to the end without failure ({steps} steps){extra}")


def _recheck_json(checked: Recheck) -> dict[str, object]:
    failure = checked.failure
    trace = failure.trace if failure is not None else (checked.result.trace if checked.result else None)
    return {"target": checked.target, "schedule": checked.schedule, "verdict": checked.verdict,
            "failed": checked.failed, "refused": checked.verdict == REFUSED, "stale": checked.stale,
            "divergence": checked.divergence, "explored": checked.explored, "exhausted": checked.exhausted,
            "failing_schedule": failure.schedule if failure and checked.failed else None,
            "error": _error_text(failure.error) if failure else None,
            "trace": trace.lines() if trace is not None else []}


def cmd_report(args: argparse.Namespace) -> int:
    from harness._report import make_report, write_bundle

    target = resolve_target(args.target)
    try:
        report = make_report(target, args.schedule, shrink=not args.no_shrink,
                             spec=_spec(target, args, Schedule.parse(args.schedule).model))
    except ScheduleDivergence as exc:
        print(f"race-harness: cannot replay on this code: {exc}", file=sys.stderr)
        return EXIT_SKIP
    try:
        written = write_bundle(report, args.out, regression_targets=args.regression_target)
    except OSError as exc:
        print(f"race-harness: error: cannot write the bundle into {args.out}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_USAGE
    what = f"{report.error.type}: {report.error.message.splitlines()[0]}" if report.error else \
        "no failure (the schedule passed on this code)"
    print(f"{report.target}: {what}")
    print(f"schedule: {report.schedule} ({report.shrink_status})")
    for role, path in written.items():
        print(f"  {role:<10} {path}")
    return EXIT_OK


def cmd_shrink(args: argparse.Namespace) -> int:
    from harness._search.shrink import ScheduleDoesNotFail, prove_minimal, shrink

    schedule = Schedule.parse(args.schedule)
    try:
        target = resolve_target(args.target)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StaleSchedule)
            spec = _spec(target, args, schedule.model)
            result = shrink(target, schedule, max_runs=args.max_runs, spec=spec)
        for warning in caught:
            print(f"race-harness: warning: {warning.message}", file=sys.stderr)
        if isinstance(result.failure.error, RunRefused):
            print(json.dumps({"target": target.name, "original": schedule.encode(), "refused": True,
                              "error": _error_text(result.failure.error)}, indent=2, sort_keys=True)
                  if args.json else f"skip: refused, no verdict: {_refusal_text(result.failure)}")
            return _refused(result.failure, None)
    except (UnknownTarget, ScheduleDivergence) as exc:
        print(f"race-harness: cannot replay: {exc}", file=sys.stderr)
        return EXIT_SKIP
    except ScheduleDoesNotFail as exc:
        print(f"pass: {exc}")
        return EXIT_OK
    proof = prove_minimal(target, schedule.model, result.preemptions_after,
                          same_as=result.signature, spec=spec) if args.prove else None
    if args.json:
        print(json.dumps({
            "target": target.name, "original": schedule.encode(), "shrunk": result.shrunk.encode(),
            "error": _error_text(result.failure.error), "preemptions": [result.preemptions_before,
            result.preemptions_after], "choices": [result.size_before, result.size_after],
            "runs": result.runs, "passes": result.passes,
            "same_way": None if result.signature is None else result.signature.describe(),
            "minimal": None if proof is None else proof.proved,
        }, indent=2, sort_keys=True))
    else:
        print(result.describe())
        if proof is not None:
            print(f"proof:    {proof.describe()}")
    return EXIT_FAILURE


def cmd_matrix(args: argparse.Namespace) -> int:
    from harness._frontends.matrix import render_json, render_table, run_matrix

    targets = load_registry().targets()
    if args.scenario:
        targets = [t for t in targets if t.name.startswith(args.scenario)]
    if not targets:
        print("no registered targets match; run 'race-harness list'", file=sys.stderr)
        return EXIT_USAGE
    models = (args.model,) if args.model else MODELS
    cells = run_matrix(targets, models)
    print(render_json(cells) if args.json else render_table(cells))
    refused = [c for c in cells if c.refused]
    if any(not c.matches for c in cells if not c.refused):
        return EXIT_FAILURE  # a judged cell differs: a finding, whatever else was refused
    for cell in refused:
        print(f"race-harness: {cell.target} [{cell.model}]: refused: {cell.error}", file=sys.stderr)
    if refused:
        print(f"race-harness: {len(refused)} cell(s) refused: the code escaped the scheduler, so those "
              "cells have no verdict (exit 125: git bisect skips this commit)", file=sys.stderr)
        return EXIT_SKIP
    return EXIT_OK


def _print_exploration(outcome: Exploration) -> None:
    print(f"{outcome.target}: {outcome.verdict()}")
    print(f"  {outcome.schedules_run} schedules in {outcome.elapsed:.2f} s, "
          f"{outcome.decisions} decisions ({outcome.strategy})")
    print(f"  {outcome.stats.summary()}")
    stale = outcome.stats.database.get("stale") or []
    if stale:
        print(f"  failure database: dropped {len(stale)} stale schedule(s) recorded on other code")
    if outcome.stats.database.get("error"):
        print(f"race-harness: warning: {outcome.stats.database['error']}", file=sys.stderr)
    for warning in outcome.warnings:
        print(f"race-harness: warning: uncontrolled concurrency: {warning}", file=sys.stderr)
    if outcome.stats.database.get("reproduced"):
        print(f"  failure database: a stored failing schedule reproduced ({outcome.stats.database['path']})")
    if outcome.failure is not None and outcome.refused:
        print(outcome.failure.trace.text(40))  # the verdict named the escape; not a race: no replay line
    elif outcome.failure is not None:
        print(outcome.failure.describe())
        print(outcome.failure.trace.text(40))


def _exploration_json(outcome: Exploration) -> dict[str, object]:
    refusal = outcome.failure if outcome.refused else None
    failure = None if refusal is not None else outcome.failure
    return {
        "target": outcome.target, "model": outcome.model, "strategy": outcome.strategy,
        "verdict": outcome.verdict(), "failed": failure is not None, "refused": refusal is not None,
        "refusal": _error_text(refusal.error) if refusal else None,
        "schedules_run": outcome.schedules_run, "exhausted": outcome.exhausted,
        "elapsed": outcome.elapsed, "decisions": outcome.decisions,
        "schedule": failure.schedule if failure else None,
        "error": _error_text(failure.error) if failure else None,
        "replay": failure.replay_command() if failure else None,
        "stats": outcome.stats.as_dict(), "warnings": list(outcome.warnings),
    }


def _refusal_text(refused: Failure) -> str:
    return f"{type(refused.error).__name__} in {refused.thread}: {refused.error}"


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def main(argv: Sequence[str] | None = None) -> int:
    _startup.guard_streams()  # the command's output may go to a reader that leaves (| head)
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    _startup.command_starts()  # start-up is over: from here Ctrl-C is reported below
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
    except Exception as exc:  # noqa: BLE001 - a crash must not exit 1, which means "race found"
        traceback.print_exc(file=sys.stderr)
        print(f"race-harness: internal error: {type(exc).__name__}: {exc} (a bug in the harness or a "
              "plug-in, not a verdict on the target)", file=sys.stderr)
        return EXIT_USAGE
