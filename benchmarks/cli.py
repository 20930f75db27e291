"""``race-harness bench [TARGET...] [--json FILE] [--quick]``: the performance claims, measured.

A plug-in command (entry point group ``race_harness.commands``):
:func:`register` adds ``bench`` to the harness CLI's sub-commands with
``set_defaults(func=...)``, and ``func(args)`` returns the exit code (0: the
benchmark ran; missed targets are figures, not errors).  Progress goes to
stderr, the table to stdout, the JSON to ``--json``.  ``python -m
race_harness.benchmarks.cli`` runs it without the harness CLI.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DESCRIPTION = (
    "Measure the harness side by side with plain sequential requests and with naive race hunting "
    "(OS threads, stock eventlet hub), in one run: overhead, schedules/s, time to first failure, "
    "exhaustive proofs, scale, replay and shrink."
)


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench", help="measure the harness against plain runs and naive race hunting",
        description=DESCRIPTION)
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="scenario:variant for the overhead and schedules/s sections "
                             "(default: the model scenarios' old and patched variants)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write every figure here")
    parser.add_argument("--quick", action="store_true", help="small budgets: finishes in under a minute")
    parser.add_argument("--markdown", type=Path, default=None, metavar="FILE",
                        help="also write the table here (RESULTS.md)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=run_bench)
    return parser


def run_bench(args: argparse.Namespace) -> int:
    from race_harness.benchmarks import runner, table
    from race_harness.benchmarks.common import progress

    command = "race-harness bench " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 \
        else "race-harness bench"
    say = progress(sys.stderr, enabled=not args.quiet)
    results = runner.run(args.targets or None, args.quick, say, command=command.strip())
    text = table.render(results)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.markdown is not None:
        args.markdown.write_text(text + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m race_harness.benchmarks.cli")
    register(parser.add_subparsers(title="commands", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
