"""Give back the real clocks to modules first imported during an exploration.

``virtual_clocks`` rebinds, at install, every reference to a real clock it
finds, and its undo records put each one back.  A module imported *during*
the exploration (inside a run, or by a strategy importing lazily) was not
there to be scanned: its ``from time import monotonic``, ``from datetime
import datetime``, class attributes, default arguments and closure cells
captured the twins themselves, and no undo record knew of them, so the module
kept virtual clocks for the rest of the process.  At the end of the
exploration those modules are scanned the same way, in reverse: every twin
found where ``virtual_clocks`` would have put one goes back to its real clock.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from typing import Any


def unbind_new_modules(known: set[int], reals: Mapping[int, Any], skip: frozenset[str]) -> int:
    """Replace the twins (``reals``: id of a twin -> its real clock) held by every module
    whose id is not in ``known``; returns how many references were given back."""
    given_back = 0
    for name, module in list(sys.modules.items()):
        if module is None or id(module) in known or name in skip:
            continue
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            given_back += _unbind_namespace(name, namespace, reals)
    return given_back


def _unbind_namespace(name: str, namespace: dict[str, Any], reals: Mapping[int, Any]) -> int:
    count = 0
    for key, value in list(namespace.items()):
        real = reals.get(id(value))
        if real is not None:
            namespace[key] = real
            count += 1
        elif isinstance(value, types.FunctionType):
            count += _unbind_function(value, reals)
        elif isinstance(value, type) and value.__module__ == name:
            count += _unbind_class(value, reals)
    return count


def _unbind_class(cls: type, reals: Mapping[int, Any]) -> int:
    count = 0
    for key, value in list(vars(cls).items()):
        inner = value.__func__ if isinstance(value, staticmethod) else value
        real = reals.get(id(inner))
        if real is not None:
            try:  # ``clock = time.time`` in the class body took the twin; the real is a builtin
                setattr(cls, key, staticmethod(real) if isinstance(value, staticmethod) else real)
            except (TypeError, AttributeError):  # an immutable (C) type
                continue
            count += 1
            continue
        for function in functions_in(value):
            count += _unbind_function(function, reals)
    return count


def _unbind_function(function: types.FunctionType, reals: Mapping[int, Any]) -> int:
    count = 0
    defaults = function.__defaults__
    if defaults and any(id(value) in reals for value in defaults):
        function.__defaults__ = tuple(reals.get(id(value), value) for value in defaults)
        count += 1
    kwdefaults = function.__kwdefaults__
    if kwdefaults and any(id(value) in reals for value in kwdefaults.values()):
        function.__kwdefaults__ = {key: reals.get(id(value), value) for key, value in kwdefaults.items()}
        count += 1
    for cell in function.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        real = reals.get(id(value))
        if real is not None:
            cell.cell_contents = real
            count += 1
    return count


def functions_in(value: Any) -> list[types.FunctionType]:
    """The plain functions a class attribute holds (through static/class methods, properties)."""
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        return [f for f in (value.fget, value.fset, value.fdel) if isinstance(f, types.FunctionType)]
    return [value] if isinstance(value, types.FunctionType) else []
