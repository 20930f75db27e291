"""The values a race marker keyword, an ini line or a ``--race-*`` option may take.

Each converter raises ValueError with what was wrong; the plugin shows it as
a usage error naming where the value came from (``convert``).  Strategy names
and the run options' values come from their one tables (the strategy registry,
``harness._options``).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import pytest

from harness._errors import InvalidSetting
from harness._options import RUN_OPTIONS, Choice, Model, module_names
from harness.strategies import registry

MODELS = Model.values()


def spec_options(kw: Mapping[str, Any]) -> dict[str, Any]:
    """The marker's RunSpec options, checked against their tables."""
    options: dict[str, Any] = {}
    for option in RUN_OPTIONS:
        value = kw.get(option.field)
        if value is None or option.field in ("until", "max_steps"):
            continue
        if issubclass(option.kind, Choice):
            options[option.field] = convert(f"race({option.field}=...)", value, choice(option.kind))
        elif option.kind is tuple:
            options[option.field] = convert(f"race({option.field}=...)", value, packages)
    return options


def packages(value: Any) -> tuple[str, ...]:
    try:
        return module_names(value)
    except InvalidSetting as exc:
        raise ValueError(str(exc)) from None


def choice(kind: type[Choice]) -> Any:
    def convert(value: Any) -> str:
        if value not in kind.values():
            raise ValueError(f"{value!r} is not one of {', '.join(kind.values())}")
        return str(value)

    return convert


def convert(where: str, value: Any, convert: Any) -> Any:
    try:
        return convert(value)
    except (ValueError, TypeError) as exc:
        raise pytest.UsageError(f"race-harness: {where}: {exc}") from None


def option(convert: Any) -> Any:
    def parse(text: str) -> Any:
        try:
            return convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = convert.__name__.lstrip("_")
    return parse


def positive(value: Any) -> int:
    number = whole(value)
    if number < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return number


def seed(value: Any) -> int:
    number = whole(value)
    if number < 0:
        raise ValueError(f"expected a seed >= 0, got {value!r}")
    return number


def whole(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a whole number, got {value!r}") from None


def strategy(value: Any) -> str:
    if value not in registry.names():
        raise ValueError(f"strategy {value!r} is not one of {', '.join(registry.names())}")
    return str(value)


def model(value: Any) -> str:
    if value not in MODELS:
        raise ValueError(f"preemption model {value!r} is not one of {', '.join(MODELS)}")
    return str(value)
