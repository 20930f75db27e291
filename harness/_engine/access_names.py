"""What an automatic access touches: the logical object, the attribute or key, and its label.

``harness/_engine/access.py`` asks two questions at every access in an
instrumented module, and this module answers them without side effects on
the program (no user ``__getattr__``, ``__eq__`` or property is ever run to
answer them):

* *is it a data access?*  Reading a method or a module's function is a read
  of shared memory too, but a race on a method binding is monkeypatching,
  not what a developer hunts, and a switch at every method call would
  multiply the schedule space; such *code lookups* are recorded in the
  footprint and offer no switch.  Accesses to immutable builtin values
  (``str``, ``int``, ``datetime``...) touch nothing that can change: nothing
  at all.
* *what is its exact footprint?*  Objects are named ``Type#n`` in
  first-touch order within the run (replay is exact, so the same object has
  the same name in every run of a schedule prefix; never ``id()`` order),
  classes by their qualified name, modules by their name.  Keys are exact
  (``dict#2['vs1']``) for ``str``/``int``/``bool``/``bytes``/``None`` and
  tuples of those, normalised so that equal keys get equal names (``True``
  and ``1`` are one slot); any other key is coarse (the whole container).

The resource encoding is sound for ``footprint.dependent``:

* attribute ``x`` of an instance: ``Obj#n.x`` (read or written) plus a read
  of ``*.x``; of a class: ``Cls.x`` plus ``*.x`` (read or written).  What an
  instance attribute resolves to depends on the class attributes of that
  name anywhere in the MRO, so every instance access reads ``*.x`` and a
  class attribute write writes it;
* keyed container access: ``C[k]`` (read or written) plus an *append* to
  ``C[*]``; whole-container reads (iteration, ``keys()``, a coarse key) read
  ``C[*]``; whole-container writes (``clear``, ``append``, ``sort``...)
  write ``C[*]``.  Keyed accesses to different keys commute (appends
  commute), a keyed access never commutes with a whole one.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import functools
import types
from typing import Any

# Values that can never change: their attributes and items touch no shared state.
IMMUTABLE_TYPES: frozenset[type] = frozenset({
    str, bytes, int, float, complex, bool, type(None), tuple, frozenset, range, slice,
    type(Ellipsis), type(NotImplemented), datetime.date, datetime.datetime, datetime.time,
    datetime.timedelta, datetime.timezone, decimal.Decimal, fractions.Fraction, memoryview,
})

# What binds code rather than data: a lookup of one of these offers no switch.
CODE_TYPES: tuple[type, ...] = (
    types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType,
    classmethod, staticmethod, types.MethodDescriptorType, types.WrapperDescriptorType,
    types.ClassMethodDescriptorType, types.MethodWrapperType, functools.partial,
)

READ_WHOLE, WRITE_WHOLE, READ_KEY, WRITE_KEY = 0, 1, 2, 3

_WRITES = ("pop", "clear")
_DICT_METHODS = {
    "get": READ_KEY, "__contains__": READ_KEY, "__getitem__": READ_KEY,
    "setdefault": WRITE_KEY, "pop": WRITE_KEY, "__setitem__": WRITE_KEY, "__delitem__": WRITE_KEY,
    "popitem": WRITE_WHOLE, "update": WRITE_WHOLE, "clear": WRITE_WHOLE, "__ior__": WRITE_WHOLE,
    "keys": READ_WHOLE, "values": READ_WHOLE, "items": READ_WHOLE, "copy": READ_WHOLE,
    "move_to_end": WRITE_WHOLE, "most_common": READ_WHOLE, "subtract": WRITE_WHOLE,
}
_LIST_METHODS = {
    **dict.fromkeys(("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                     "__iadd__", "__setitem__", "__delitem__"), WRITE_WHOLE),
    **dict.fromkeys(("index", "count", "copy", "__getitem__", "__contains__"), READ_WHOLE),
}
_SET_METHODS = {
    **dict.fromkeys(("add", "discard", "remove"), WRITE_KEY),
    "__contains__": READ_KEY,
    **dict.fromkeys(("pop", "clear", "update", "difference_update", "intersection_update",
                     "symmetric_difference_update", "__ior__", "__iand__", "__isub__", "__ixor__"),
                    WRITE_WHOLE),
    **dict.fromkeys(("copy", "issubset", "issuperset", "isdisjoint", "union", "intersection",
                     "difference", "symmetric_difference"), READ_WHOLE),
}
_DEQUE_METHODS = {
    **dict.fromkeys(("append", "appendleft", "extend", "extendleft", "pop", "popleft", "remove",
                     "clear", "rotate", "insert", "reverse", "__iadd__", "__setitem__", "__delitem__"),
                    WRITE_WHOLE),
    **dict.fromkeys(("count", "index", "copy", "__getitem__", "__contains__"), READ_WHOLE),
}
_BYTEARRAY_METHODS = {
    **dict.fromkeys(("append", "extend", "insert", "pop", "remove", "clear", "reverse", "__iadd__",
                     "__setitem__", "__delitem__"), WRITE_WHOLE),
}
# Builtin containers whose C methods have a known effect (subclasses too, for the
# methods they do not override in Python: the bound method is then a builtin).
CONTAINER_METHODS: dict[type, dict[str, int]] = {
    dict: _DICT_METHODS, list: _LIST_METHODS, set: _SET_METHODS,
    collections.deque: _DEQUE_METHODS, bytearray: _BYTEARRAY_METHODS,
}
_SEQUENCES = (list, collections.deque)

_method_tables: dict[type, dict[str, int] | None] = {}


def method_table(cls: type) -> dict[str, int] | None:
    """The effect table of a builtin container type (or a subclass), else None."""
    try:
        return _method_tables[cls]
    except KeyError:
        table = next((CONTAINER_METHODS[base] for base in cls.__mro__ if base in CONTAINER_METHODS), None)
        _method_tables[cls] = table
        return table


def exact_key(key: object) -> str | None:
    """The name of a key that compares equal only to keys of the same name, else None."""
    kind = type(key)
    if kind is str or kind is bytes:
        return repr(key)
    if kind is int or kind is bool:
        return repr(int(key))  # type: ignore[call-overload]
    if key is None:
        return "None"
    if kind is tuple:
        parts = [exact_key(item) for item in key]  # type: ignore[attr-defined]
        if None in parts:
            return None
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"  # type: ignore[arg-type]
    return None


def item_key(container: object, key: object) -> str | None:
    """The exact key of ``container[key]``: a normalised index for sequences, the key for
    dicts and sets, None (coarse) otherwise."""
    if isinstance(container, _SEQUENCES):
        if type(key) is int or type(key) is bool:
            index = int(key)
            if index < 0:
                index += len(container)
            return str(index) if index >= 0 else None
        return None
    if isinstance(container, (dict, set, frozenset)):
        return exact_key(key)
    return None


_ITEM_METHODS = ("__getitem__", "__setitem__", "__delitem__", "__contains__")
_keyed_types: dict[type, bool] = {dict: True, list: True, set: True, collections.deque: True}


def keyed_container(container: object) -> bool:
    """True when item access to ``container`` runs the builtin container's code, so its
    footprint is the key; a subclass that maps keys its own way (a case-insensitive
    dict) is coarse: the whole container."""
    kind = type(container)
    known = _keyed_types.get(kind)
    if known is None:
        base = next((b for b in (dict, list, set, collections.deque) if issubclass(kind, b)), None)
        known = base is not None and all(getattr(kind, name, None) is getattr(base, name, None)
                                         for name in _ITEM_METHODS)
        _keyed_types[kind] = known
    return known


def loads_write(container: object) -> bool:
    """A subscript load that may insert (``defaultdict``, any dict with ``__missing__``)."""
    return isinstance(container, dict) and hasattr(type(container), "__missing__")


_class_lookups: dict[tuple[type, str], object] = {}
_MISSING = object()
_CODE_TYPE_SET = frozenset(CODE_TYPES)


def is_code_value(value: object) -> bool:
    """A function, method, class, module or descriptor of one: code, not data."""
    return type(value) in _CODE_TYPE_SET or isinstance(value, CODE_TYPES)


def class_attribute(cls: type, name: str) -> object:
    """``name`` as the MRO of ``cls`` holds it (no descriptor called), or a sentinel."""
    key = (cls, name)
    try:
        return _class_lookups[key]
    except KeyError:
        pass
    found: object = _MISSING
    for base in cls.__mro__:
        namespace = base.__dict__
        if name in namespace:
            found = namespace[name]
            break
    _class_lookups[key] = found
    return found


_DATA, _METHOD, _CODE, _MODULE, _CLASS = range(5)
_kinds: dict[tuple[type, str], int] = {}


def forget_classes() -> None:
    """A class attribute was written: cached lookups may be stale."""
    _class_lookups.clear()
    _kinds.clear()


def instance_dict(obj: object) -> dict[str, Any] | None:
    """``obj.__dict__`` without running a user ``__getattr__`` (None for ``__slots__``)."""
    try:
        found = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    return found if isinstance(found, dict) else None


def is_code_lookup(obj: object, name: str) -> bool:
    """True when ``obj.name`` reads a method or another code binding rather than data.

    Decided from the instance dict and the raw class attribute, so nothing of
    the program runs: an attribute in the instance dict, a data descriptor
    (property, ``__slots__`` member) or an unknown name is data.  What the
    type alone decides is cached per (type, name)."""
    kind_of = type(obj)
    kind = _kinds.get((kind_of, name))
    if kind is None:
        kind = _kinds[(kind_of, name)] = _lookup_kind(kind_of, name)
    if kind == _DATA:
        return False
    if kind == _METHOD:
        own = instance_dict(obj)
        return own is None or name not in own
    if kind == _MODULE:
        return is_code_value(obj.__dict__.get(name))
    if kind == _CLASS:
        return is_code_value(class_attribute(obj, name))  # type: ignore[arg-type]
    return True


def _lookup_kind(kind_of: type, name: str) -> int:
    if issubclass(kind_of, types.ModuleType):
        return _MODULE
    if issubclass(kind_of, type):
        return _CLASS
    if kind_of is super:
        return _CODE
    raw = class_attribute(kind_of, name)
    return _METHOD if is_code_value(raw) and not hasattr(type(raw), "__set__") else _DATA


class Names:
    """Logical names of the objects a run touched, in first-touch order.

    Holds the objects, so an address is never reused for another object
    within the run (the names would merge)."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._alive: list[object] = []
        self._counts: dict[str, int] = {}

    def name(self, obj: object) -> str:
        key = id(obj)
        known = self._names.get(key)
        if known is None:
            known = self._names[key] = self._new_name(obj)
            self._alive.append(obj)
        return known

    def _new_name(self, obj: object) -> str:
        if isinstance(obj, types.ModuleType):
            return obj.__name__
        if isinstance(obj, type):
            base = obj.__qualname__
            count = self._counts.get("class " + base, 0)
            self._counts["class " + base] = count + 1
            return base if count == 0 else f"{base}~{count}"
        base = type(obj).__qualname__
        count = self._counts.get(base, 0)
        self._counts[base] = count + 1
        return f"{base}#{count}"


def owner_name(obj: object) -> str:
    """How a label names the object: its type, its class name, or its module's last part."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__.rpartition(".")[2]
    if isinstance(obj, type):
        return obj.__qualname__
    return type(obj).__qualname__


def key_label(key: str | None) -> str:
    if key is None:
        return "..."
    return key if len(key) <= 40 else key[:37] + "..."
