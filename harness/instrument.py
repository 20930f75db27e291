"""The preemptive model: switch points at shared-state accesses.

Native threads can be preempted between any two bytecodes; eventlet
greenthreads only at I/O.  To model native threads (OpenStack's
eventlet-removal mode, or a logging handler doing green I/O) the harness
offers a switch before chosen shared-state accesses:

* ``shared_attributes(cls, "a", "b")`` installs data descriptors on ``cls``
  so that every get and set of those instance attributes first calls
  ``yield_point("Cls.a get")`` / ``("Cls.a set")``;
* ``preempt_calls(owner, "f")`` wraps a function or method so that each call
  first calls ``yield_point("call owner.f")``.

Both only add ``yield_point`` calls (which are no-ops under the cooperative
model and outside runs) and are undone on exit, so the code under test is
never edited.  They do not change the values read or written.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from harness._engine.points import access, yield_point

_MISSING = object()


class SharedAttribute:
    """A data descriptor that offers a preemption before each access.

    Values live in the instance ``__dict__`` under the same name, exactly
    where they were before the descriptor was installed, so removing the
    descriptor leaves every object as it was.
    """

    def __init__(self, owner: type, name: str, previous: Any) -> None:
        self.name = name
        self.previous = previous
        self.get_label = f"{owner.__name__}.{name} get"
        self.set_label = f"{owner.__name__}.{name} set"
        # class-wide, so coarse but sound: every instance's attribute is one resource
        self.resource = (f"attr:{owner.__qualname__}.{name}",)

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self if self.previous is _MISSING else self.previous
        access(self.get_label, reads=self.resource)
        try:
            return obj.__dict__[self.name]
        except KeyError:
            if self.previous is not _MISSING:
                if hasattr(self.previous, "__get__"):
                    return self.previous.__get__(obj, objtype)
                return self.previous
            raise AttributeError(f"{type(obj).__name__!r} object has no attribute {self.name!r}") from None

    def __set__(self, obj: Any, value: Any) -> None:
        access(self.set_label, writes=self.resource)
        obj.__dict__[self.name] = value

    def __delete__(self, obj: Any) -> None:
        access(self.set_label, writes=self.resource)
        try:
            del obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


@contextlib.contextmanager
def shared_attributes(cls: type, *names: str) -> Iterator[None]:
    """Offer a preemption before every get/set of ``names`` on instances of ``cls``."""
    if not names:
        raise ValueError("shared_attributes needs at least one attribute name")
    installed: list[tuple[str, Any]] = []
    try:
        for name in names:
            previous = cls.__dict__.get(name, _MISSING)
            if isinstance(previous, SharedAttribute):
                continue
            if hasattr(previous, "__set__"):
                raise TypeError(f"{cls.__name__}.{name} is already a data descriptor (property?); "
                                "instrument the methods that use it with preempt_calls instead")
            setattr(cls, name, SharedAttribute(cls, name, previous))
            installed.append((name, previous))
        yield
    finally:
        for name, previous in reversed(installed):
            if previous is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, previous)


def _preempting(func: Callable[..., Any], label: str) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        yield_point(label, opaque=True)  # what the call touches is unknown
        return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def preempt_calls(owner: Any, *names: str) -> Iterator[None]:
    """Offer a preemption before each call of ``owner.<name>`` (module, class or object)."""
    if not names:
        raise ValueError("preempt_calls needs at least one function name")
    owner_name = getattr(owner, "__name__", type(owner).__name__)
    saved: list[tuple[str, Any, bool]] = []
    try:
        for name in names:
            in_dict = name in vars(owner)
            original = vars(owner)[name] if in_dict else getattr(owner, name)
            func = original.__func__ if isinstance(original, (staticmethod, classmethod)) else original
            wrapped: Any = _preempting(func, f"call {owner_name}.{name}")
            if isinstance(original, staticmethod):
                wrapped = staticmethod(wrapped)
            elif isinstance(original, classmethod):
                wrapped = classmethod(wrapped)
            setattr(owner, name, wrapped)
            saved.append((name, original, in_dict))
        yield
    finally:
        for name, original, in_dict in reversed(saved):
            if in_dict:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
