"""The ``race-harness`` process around its command: a Ctrl-C while it starts, a closed stdout.

Imported first by ``harness/__init__.py``, so that it runs before the
imports that take the command's start-up time (eventlet, the engine, the
plug-ins).  It does nothing unless this process *is* the command (the
``race-harness`` script or ``python -m harness``): importing ``harness``
from a program or a test changes nothing.  For the command:

* Ctrl-C before the command starts (imports, plug-in loading, parsing) prints
  ``race-harness: interrupted`` and exits 130, where Python would print a
  traceback of whatever import it interrupted and die by the signal.
  ``cli.main`` calls ``command_starts`` just before it runs the command: from
  there a Ctrl-C is a KeyboardInterrupt, which main reports the same way.
* A closed stdout (``race-harness list | head -1``) is no error: the streams
  ``guard_streams`` puts in place send what is written after the reader left
  to ``/dev/null``, so the command ends normally with its own exit code, with
  no BrokenPipeError traceback (and no exit code 2 or 120).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, TextIO, cast

COMMAND = "race-harness"
INTERRUPTED = f"{COMMAND}: interrupted"
EXIT_INTERRUPTED = 130


def _is_the_command() -> bool:
    """``race-harness ...`` (the console script) or ``python [options] -m harness ...``."""
    if sys.argv and os.path.basename(sys.argv[0]).split(".")[0] == COMMAND:
        return True
    argv = list(getattr(sys, "orig_argv", []))
    return "-m" in argv and argv[argv.index("-m") + 1:argv.index("-m") + 2] == ["harness"]


def _interrupted_while_starting(_signum: int, _frame: Any) -> None:
    """One line and exit 130, at once: a KeyboardInterrupt in the middle of an import would
    unwind through code that was never meant to be interrupted."""
    os.write(2, (INTERRUPTED + "\n").encode())
    os._exit(EXIT_INTERRUPTED)


def _guard_start() -> bool:
    """Install the start-up handler if this is the command and nobody changed SIGINT's."""
    if not _is_the_command() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    try:
        signal.signal(signal.SIGINT, _interrupted_while_starting)
    except ValueError:  # not the main thread
        return False
    return True


IS_COMMAND = _guard_start()


def command_starts() -> None:
    """The command runs now: Ctrl-C is a KeyboardInterrupt again (``cli.main`` reports it)."""
    if signal.getsignal(signal.SIGINT) is _interrupted_while_starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class ReaderGone:
    """A standard stream whose reader may leave (a pipe to ``head``): writes after that go
    to ``/dev/null`` instead of raising BrokenPipeError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.gone = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._to_devnull()
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()
            self._stream.flush()  # what was left in the buffer goes to /dev/null now

    def _to_devnull(self) -> None:
        self.gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)


def guard_streams() -> None:
    """For the command: stdout and stderr that a reader leaving cannot break."""
    if not IS_COMMAND:
        return
    if _unreplaced(sys.stdout, sys.__stdout__):
        sys.stdout = cast(TextIO, ReaderGone(sys.stdout))
    if _unreplaced(sys.stderr, sys.__stderr__):
        sys.stderr = cast(TextIO, ReaderGone(sys.stderr))


def _unreplaced(stream: object, original: object) -> bool:
    """The process's own stream (not a capture, not already guarded, not closed)."""
    return stream is not None and stream is original
