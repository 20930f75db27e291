"""The real standard input, refused inside a run (``input()``, ``sys.stdin`` reads).

A body that calls ``input()`` or reads ``sys.stdin`` would wait on the
terminal or a pipe: the run would depend on the outside world, and an
unattended CI job would hang.  During an exploration ``builtins.input`` is
wrapped (``refusals.guarded``) and ``sys.stdin`` is a ``GuardedStdin`` whose
reads, from a greenthread of an active run, fail the run with
``StdinRefused`` (or, with ``uncontrolled="warn"``, are noted and go ahead).
Outside a run both behave exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness._engine import points
from harness._engine.uncontrolled import fail_or_warn
from harness._errors import StdinRefused

ADVICE = ("a run must not wait on the terminal or a pipe; give the code its input in the test "
          "(monkeypatch builtins.input, or sys.stdin with an io.StringIO)")


def refuse(what: str, strict: bool) -> None:
    """Fail the active run (strict) or note a warning in it; nothing outside a run."""
    run = points.active_run()
    if run is None:
        return
    message = f"{what} read the real standard input inside a harness run ({run.thread_name()}): {ADVICE}"
    fail_or_warn(run, StdinRefused, message, strict, stacklevel=3)


class GuardedStdin:
    """``sys.stdin`` (or its ``buffer``) during an exploration: reads from a run are refused,
    everything else is the real stream's."""

    def __init__(self, stream: Any, strict: bool, name: str = "sys.stdin") -> None:
        self._stream = stream
        self._strict = strict
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._stream, attribute)

    @property
    def buffer(self) -> GuardedStdin:
        return GuardedStdin(self._stream.buffer, self._strict, f"{self._name}.buffer")

    def _reading(self, how: str) -> None:
        refuse(f"{self._name}.{how}", self._strict)

    def read(self, *args: Any) -> Any:
        self._reading("read()")
        return self._stream.read(*args)

    def read1(self, *args: Any) -> Any:
        self._reading("read1()")
        return self._stream.read1(*args)

    def readinto(self, *args: Any) -> Any:
        self._reading("readinto()")
        return self._stream.readinto(*args)

    def readline(self, *args: Any) -> Any:
        self._reading("readline()")
        return self._stream.readline(*args)

    def readlines(self, *args: Any) -> Any:
        self._reading("readlines()")
        return self._stream.readlines(*args)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        self._reading("__next__() (a for loop over it)")
        return next(self._stream)


def guard_stdin(original: Any, strict: bool) -> Any:
    """What ``refusals.guarded`` binds to ``sys.stdin``: the guard, or None when there is none."""
    return original if original is None else GuardedStdin(original, strict)


def guard_input(original: Any, strict: bool) -> Any:
    """What ``refusals.guarded`` binds to ``builtins.input``."""

    def input(prompt: object = "") -> str:  # stands in for the builtin
        refuse("input()", strict)
        return str(original(prompt))

    input.__wrapped__ = original  # type: ignore[attr-defined]
    return input
