"""``race-harness fake-ontap serve``: the fake cluster on a loopback port.

For manual use (curl, a cinder-volume configured against it) and stress
baselines.  The command is a plug-in: :func:`register` adds it to whatever
argparse sub-command set the harness CLI builds (entry point group
``race_harness.commands``), following the ``set_defaults(func=...)``
convention: ``func(args)`` returns the exit code.  ``python -m
race_harness.fakes.ontap.cli fake-ontap serve`` runs it without the harness CLI.

Bad arguments (a port outside 0-65535, an admin SVM that is also a data SVM,
a FlexVol named twice) are usage errors: one line on stderr saying what is
wrong and what to do, exit 2, no traceback.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from race_harness.fakes.ontap.fake import DEFAULT_SVMS, FakeOntap
from race_harness.fakes.ontap.server import LoopbackServer
from race_harness.fakes.ontap.state import DEFAULT_ADMIN_SVM

EXIT_USAGE = 2


def parse_svms(spec: str) -> dict[str, list[str]]:
    """``"svm_a=vol1,vol2;svm_b=vol3"`` -> ``{"svm_a": ["vol1", "vol2"], "svm_b": ["vol3"]}``."""
    svms: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, sep, volumes = part.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(
                f"bad SVM spec {part!r}: write SVM=VOL,VOL (SVMs separated by ';')"
            )
        if name.strip() in svms:
            raise argparse.ArgumentTypeError(
                f"SVM {name.strip()!r} appears twice in the SVM spec: list each SVM once, with its FlexVols"
            )
        svms[name.strip()] = [v.strip() for v in volumes.split(",") if v.strip()]
    if not svms:
        raise argparse.ArgumentTypeError("empty SVM spec: write e.g. svm_data_001=vol1,vol2")
    return svms


def parse_port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535 (0: any free port), not {text!r}")
    return port


def cluster_problem(svms: dict[str, list[str]], admin_svm: str) -> str | None:
    """What makes ``--svms`` and ``--admin-svm`` impossible together, as one sentence
    that says what to change; None if the cluster can be built."""
    if not admin_svm.strip():
        return f"--admin-svm is empty: name the cluster admin SVM (default {DEFAULT_ADMIN_SVM})"
    if admin_svm in svms:
        return (f"--admin-svm {admin_svm!r} is also a data SVM in --svms: the admin SVM owns no FlexVols, "
                "so give it another name or rename the data SVM")
    for svm, volumes in svms.items():
        twice = sorted({v for v in volumes if volumes.count(v) > 1})
        if twice:
            return f"--svms names FlexVol {twice[0]!r} twice in SVM {svm!r}: name each FlexVol of an SVM once"
        if f"{svm}_root" in volumes:
            return (f"--svms names a FlexVol {svm}_root in SVM {svm!r}, the name of the SVM's own root "
                    "volume: pick another FlexVol name")
    return None


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``fake-ontap`` command (with its ``serve`` subcommand)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "fake-ontap", help="run the fake ONTAP REST server", description=__doc__
    )
    parser.set_defaults(func=lambda args: _usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the fake cluster on 127.0.0.1 until Ctrl-C")
    serve.add_argument("--port", type=parse_port, default=0, help="TCP port, 0-65535 (default 0: ephemeral)")
    serve.add_argument(
        "--svms",
        type=parse_svms,
        default=None,
        metavar="SPEC",
        help="data SVMs and their FlexVols, e.g. 'svm_data_001=vol1,vol2;svm_b=vol3' "
        "(default: svm_data_001=nfs_volume_ds01,nfs_volume_ds02)",
    )
    serve.add_argument("--admin-svm", default=DEFAULT_ADMIN_SVM, help="cluster admin SVM name")
    serve.set_defaults(func=run_serve)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_serve(args: argparse.Namespace) -> int:
    return serve(args)


def serve(args: argparse.Namespace, *, stop: threading.Event | None = None, out: TextIO | None = None) -> int:
    """Serve until Ctrl-C (or ``stop`` is set); the URL is printed on its own line."""
    out = out or sys.stdout
    svms = args.svms if args.svms is not None else DEFAULT_SVMS
    problem = cluster_problem({k: list(v) for k, v in svms.items()}, args.admin_svm)
    if problem is not None:
        print(f"fake-ontap: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    fake = FakeOntap.with_svms(svms, admin_svm=args.admin_svm, oracle="collect")
    stop = stop or threading.Event()
    try:
        server = LoopbackServer(fake, port=args.port).start()
    except OSError as exc:
        print(f"fake-ontap: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        print(server.url, file=out)
        print(f"username: {fake.username}", file=out)
        print(f"password: {fake.password}", file=out)
        for svm in fake.state.svms.values():
            volumes = [v.name for v in fake.state.volumes_of(svm.name)]
            kind = "admin SVM" if svm.is_admin else "data SVM"
            print(f"{kind} {svm.name}: {', '.join(volumes) or 'no FlexVols'}", file=out)
        print("Ctrl-C to stop.", file=out, flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print(f"fake-ontap: stopped after {len(fake.journal)} requests.", file=out, flush=True)
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, as the harness CLI prints them."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m race_harness.fakes.ontap.cli")
    register(parser.add_subparsers(title="commands", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
