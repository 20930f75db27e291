"""The values of the options that change what a run does, as enums.

One table per option: ``Settings`` validates against it, the CLI and the
pytest plugin offer its values, ``RunSpec`` carries it with a failure.  Each
enum is a ``str`` subclass, so ``settings.tpool == "inline"`` and
``Tpool("inline")`` both work and a value prints as the word users type.

``RUN_OPTIONS`` names the options of a run that a schedule string cannot carry
(``RunSpec`` fields): how the CLI spells them, their values and their help.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from harness._errors import InvalidSetting


class Choice(str, Enum):
    """Base of the option enums: the value is the word users type."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)


class Model(Choice):
    """Which switch points a run offers: eventlet's own, or also preemption points."""

    COOPERATIVE = "cooperative"
    PREEMPTIVE = "preemptive"

    @property
    def code(self) -> str:
        """The one-letter form in schedule strings (``c`` / ``p``)."""
        return self.value[0]


class Uncontrolled(Choice):
    """A native thread, real socket, subprocess or second hub in a run: fail it, or warn."""

    ERROR = "error"
    WARN = "warn"


class Unobserved(Choice):
    """An exception nobody can observe (a spawn_n greenlet dying): fail the run, or note it."""

    FAIL = "fail"
    IGNORE = "ignore"


class Tpool(Choice):
    """``eventlet.tpool.execute`` in a run: refuse it (real OS threads), or run the call inline."""

    REFUSE = "refuse"
    INLINE = "inline"


class ClockAudit(Choice):
    """Which runs watch for reads of the real clock the harness does not virtualise."""

    FIRST = "first"
    ALL = "all"
    OFF = "off"


# The run options whose values are enums, by field name (Settings and RunSpec alike; the
# model is ``preemption`` in Settings and ``model`` in a RunSpec).
CHOICE_FIELDS: dict[str, type[Choice]] = {
    "preemption": Model, "model": Model, "tpool": Tpool, "uncontrolled": Uncontrolled,
    "unobserved_exceptions": Unobserved, "clock_audit": ClockAudit,
}

C = TypeVar("C", bound=Choice)


def coerce_choices(obj: object) -> None:
    """Turn the choice fields of a frozen dataclass ``obj`` into enum members (strings in),
    raising InvalidSetting for a value that is not one of them."""
    for name, kind in CHOICE_FIELDS.items():
        if hasattr(obj, name):
            object.__setattr__(obj, name, parse_choice(kind, name, getattr(obj, name)))


def parse_choice(kind: type[C], name: str, value: object) -> C:
    """``value`` as a member of ``kind``; InvalidSetting naming ``name`` and the choices otherwise."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        raise InvalidSetting(f"{name} {value!r} is not one of: {', '.join(kind.values())}") from None


DEFAULT_MAX_STEPS = 200_000


@dataclass(frozen=True)
class RunOption:
    """One option of ``RunSpec`` that a schedule string cannot carry: how it is spelled."""

    field: str
    flag: str
    kind: type[Choice] | type[float] | type[int] | type[tuple[str, ...]]
    help: str

    def spell(self, value: object) -> str:
        if isinstance(value, tuple):  # a repeatable flag: one per value
            return " ".join(f"{self.flag} {item}" for item in value)
        return f"{self.flag} {value:g}" if isinstance(value, float) else f"{self.flag} {value}"


RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption("preempt_modules", "--preempt-module", tuple,
              "preemptive model: every shared-memory access in the code of this package (and "
              "everything under it) is a preemption point with an exact footprint; repeatable "
              "(RACE_PREEMPT_MODULES, comma-separated)"),
    RunOption("tpool", "--tpool", Tpool,
              "eventlet.tpool.execute in a run: refuse it (the default) or run the call inline (RACE_TPOOL)"),
    RunOption("uncontrolled", "--uncontrolled", Uncontrolled,
              "native threads, real sockets, subprocesses or a second hub in a run: fail the run "
              "(error, the default) or only warn (RACE_UNCONTROLLED)"),
    RunOption("unobserved_exceptions", "--unobserved-exceptions", Unobserved,
              "an exception nobody can observe (a spawn_n greenlet dying): fail the run (the default) "
              "or only note it (RACE_UNOBSERVED_EXCEPTIONS)"),
    RunOption("until", "--until", float,
              "virtual-time horizon in seconds: periodic loops are stopped cleanly there "
              "(default: the target's own)"),
    RunOption("max_steps", "--max-steps", int,
              f"steps one run may take before it counts as a livelock (default {DEFAULT_MAX_STEPS})"),
)


def add_run_options(add_argument: Callable[..., Any], skip: Sequence[str] = ()) -> None:
    """Add ``RUN_OPTIONS`` as flags (``parser.add_argument`` or a plugin group's ``addoption``)."""
    for option in RUN_OPTIONS:
        if option.field in skip:
            continue
        if issubclass(option.kind, Choice):
            add_argument(option.flag, dest=option.field, choices=option.kind.values(), default=None,
                         help=option.help)
        elif option.kind is tuple:
            add_argument(option.flag, dest=option.field, action="append", default=None, metavar="PKG",
                         type=_module_name, help=option.help)
        elif option.kind is int or option.kind is float:
            add_argument(option.flag, dest=option.field, type=_number(option.kind), default=None,
                         metavar="N", help=option.help)


def _number(kind: type[float] | type[int]) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        try:
            value = kind(text) if text.isascii() else None
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise argparse.ArgumentTypeError(f"expected a {'number' if kind is float else 'whole number'} "
                                             f"> 0, got {text!r}")
        return value

    return parse


_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _module_name(text: str) -> str:
    if not text.isascii() or _MODULE_NAME.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"expected a dotted package name such as mypkg.sub, got {text!r}")
    return text


def module_names(value: object, name: str = "preempt_modules") -> tuple[str, ...]:
    """``value`` (a name, or a sequence of names) as a tuple of package names, checked."""
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else None
    if items is None or not all(isinstance(i, str) and _MODULE_NAME.fullmatch(i) for i in items):
        raise InvalidSetting(f"{name} must be dotted package names such as ['mypkg.sub'], got {value!r}")
    return tuple(dict.fromkeys(items))
