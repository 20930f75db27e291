"""Objects only their creator can reach yet: their accesses need no decision.

A greenthread building a request, a list of results or a new client object
touches memory nobody else can see; a switch before each of those accesses
is a decision that can only repeat an equivalent order.  The harness skips
the offer (the footprint is still recorded) while an object is *private*.

"Touched by one greenthread only" is not a sound test: an object older than
the run, or one handed over by ``eventlet.spawn(worker, obj)`` or a queue,
is reachable by others before they touch it, and a classic race (a thread
started in a constructor reads a field the constructor sets afterwards) lives
exactly there.  The rule used instead:

An object is private to greenthread G while

1. G created it in this run, as seen by instrumented code: a list, dict or
   set display or comprehension evaluated by G, or an instance at the entry
   of its instrumented ``__init__`` with an empty ``__dict__``, whose class
   and bases are all defined in instrumented modules (so its own operators
   and dunders are instrumented code too);
2. no other greenthread has touched it;
3. G has not *escaped* since: an escape is any write to a non-private
   object (it may store a reference to the object somewhere shared) and any
   call from instrumented code to code that is not instrumented (a C or
   library function may hand its arguments on: ``queue.put``,
   ``eventlet.spawn``, ``setattr``), except a fixed list of builtins that
   cannot keep or pass on their arguments (``len``, ``isinstance``, ...);
   an escape ends the privacy of everything G created before it;
4. every frame between the access and the bottom of the current run of
   instrumented frames is the one it was at G's last escape: if control went
   back to code that is not instrumented (a return, a ``yield``, an
   exception) and came back into instrumented code (a callback, a resumed
   generator), that code may have kept the object, so it is no longer private.

What the rule cannot see, and so would miss a switch for: code that is not
instrumented and reached implicitly with a private object as operand of a
non-instrumented object (``shared == private`` calling a library
``__eq__`` that stores its argument), finalizers, ``gc`` and frame
introspection.  ``preempt_modules(..., private_objects=False)`` turns the
rule off: every access of a shared or private object then offers a switch.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import greenlet

from harness._engine.access_names import instance_dict

# Per greenthread: at most this many private objects between two escapes.  More are
# simply shared (a loop building a million lists must not keep them all alive).
MAX_PRIVATE = 512


@dataclass
class _Thread:
    epoch: int = 0
    root: FrameType | None = None
    fresh: list[object] = field(default_factory=list)


class Privacy:
    """The private objects of each greenthread of one run (see the module docstring)."""

    def __init__(self, codes: set[int], modules: set[str], known_classes: dict[type, bool]) -> None:
        self._codes = codes
        self._modules = modules
        self._known_classes = known_classes
        self.owners: dict[int, tuple[greenlet.greenlet, int]] = {}
        self._threads: dict[greenlet.greenlet, _Thread] = {}

    def born(self, obj: object, depth: int) -> None:
        """``obj`` was just created by the current greenthread in the instrumented frame
        ``depth`` frames up (``sys._getframe(depth)`` from here)."""
        if id(obj) in self.owners:
            return
        frame = _frame(depth)
        if frame is None:
            return
        current = greenlet.getcurrent()
        thread = self._threads.get(current)
        if thread is None:
            thread = self._threads[current] = _Thread()
        root = self._root(frame)
        if thread.fresh and root is not thread.root:
            self._end_epoch(thread)
        if len(thread.fresh) >= MAX_PRIVATE:
            return
        thread.root = root
        thread.fresh.append(obj)
        self.owners[id(obj)] = (current, thread.epoch)

    def born_instance(self, obj: object, depth: int) -> None:
        """``obj`` entered its ``__init__``: born now if nothing set it up before."""
        if instance_dict(obj) == {} and self.known_class(type(obj)):
            self.born(obj, depth + 1)

    def private(self, obj: object, depth: int) -> bool:
        """True when only the current greenthread can reach ``obj``, accessed by the
        instrumented frame ``depth`` frames up."""
        owners = self.owners
        if not owners:
            return False
        record = owners.get(id(obj))
        if record is None:
            return False
        current = greenlet.getcurrent()
        thread = self._threads.get(current)
        if record[0] is not current or thread is None or record[1] != thread.epoch:
            del owners[id(obj)]
            return False
        frame = _frame(depth)
        if frame is None or self._root(frame) is not thread.root:
            self._end_epoch(thread)
            return False
        return True

    def escape(self) -> None:
        """The current greenthread may have published what it created: end their privacy."""
        if not self.owners:
            return
        thread = self._threads.get(greenlet.getcurrent())
        if thread is not None and thread.fresh:
            self._end_epoch(thread)

    def calling(self, func: object) -> None:
        """Instrumented code is about to call ``func``: an escape unless ``func`` is known code."""
        if self.owners and not self.known_callable(func):
            self.escape()

    def known_callable(self, func: Any) -> bool:
        """Calling ``func`` runs only instrumented code or a builtin that keeps nothing."""
        kind = type(func)
        if kind is _FUNCTION:
            return id(func.__code__) in self._codes
        if kind is _METHOD:
            inner = func.__func__
            return type(inner) is _FUNCTION and id(inner.__code__) in self._codes
        if kind is _BUILTIN:
            owner = func.__self__
            if owner is _BUILTINS_MODULE:
                return id(func) in SAFE_BUILTIN_IDS
            return type(owner) in _SAFE_RECEIVERS
        if kind is type:
            return func in SAFE_TYPES or self.known_class(func)
        return not callable(func)

    def known_class(self, cls: type) -> bool:
        """Every class in the MRO but ``object`` is instrumented, with the default metaclass
        and ``__new__``: constructing and operating on it runs only instrumented code."""
        known = self._known_classes.get(cls)
        if known is None:
            plain = type(cls) is type and cls.__new__ is object.__new__  # type: ignore[comparison-overlap]
            known = plain and all(base is object or _instrumented_class(base, self._modules, self._codes)
                                  for base in cls.__mro__)
            self._known_classes[cls] = known
        return known

    def _root(self, frame: FrameType) -> FrameType:
        """The bottom of the run of instrumented frames ``frame`` is in."""
        codes = self._codes
        root = frame
        link = frame.f_back
        while link is not None and id(link.f_code) in codes:
            root = link
            link = link.f_back
        return root

    def _end_epoch(self, thread: _Thread) -> None:
        owners = self.owners
        for obj in thread.fresh:
            owners.pop(id(obj), None)
        thread.fresh = []
        thread.epoch += 1
        thread.root = None


def _instrumented_class(cls: type, modules: set[str], codes: set[int]) -> bool:
    """A class of an instrumented module whose every callable attribute is instrumented code."""
    if cls.__module__ not in modules:
        return False
    for value in vars(cls).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            if not all(f is None or (type(f) is _FUNCTION and id(f.__code__) in codes)
                       for f in (value.fget, value.fset, value.fdel)):
                return False
        elif type(value) is _FUNCTION:
            if id(value.__code__) not in codes:
                return False
        elif callable(value) and not isinstance(value, type):
            return False
    return True


def _frame(depth: int) -> FrameType | None:
    """The frame ``depth`` frames above the caller of this function."""
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None


_FUNCTION = types.FunctionType
_METHOD = types.MethodType
_BUILTIN = types.BuiltinFunctionType
_BUILTINS_MODULE = sys.modules["builtins"]
_SAFE_RECEIVERS = frozenset({str, bytes, int, float, tuple, frozenset, type(None)})
# Builtins that neither keep nor pass on their arguments to code of their own choosing.
SAFE_BUILTIN_NAMES = (
    "abs", "all", "any", "ascii", "bin", "callable", "chr", "divmod", "format", "getattr", "hasattr",
    "hash", "hex", "id", "isinstance", "issubclass", "iter", "len", "next", "oct", "ord", "pow", "print",
    "repr", "round", "sum", "vars",
)
SAFE_BUILTIN_IDS = frozenset(id(getattr(_BUILTINS_MODULE, name)) for name in SAFE_BUILTIN_NAMES)
SAFE_TYPES = frozenset({
    bool, bytearray, bytes, complex, dict, enumerate, float, frozenset, int, list, object, range,
    reversed, set, slice, str, super, tuple, type, zip,
})
SAFE_CALLEE_NAMES = frozenset(SAFE_BUILTIN_NAMES) | {t.__name__ for t in SAFE_TYPES}
