"""The hooks rewritten code calls, one per kind of access (see ``access_transform.py``).

Each hook performs exactly the access the original bytecode did, in the same
order, with the same exceptions, after telling the run about it through
``access.py``.  Outside a run, or in a run whose accesses do not matter (the
cooperative model with a strategy that ignores footprints), a hook is the
plain access after one read and one test (``points._active is _quiet``):
instrumented code then adds no switch point, and cooperative verdicts
cannot change.

These functions run at every access of instrumented code, so they are
written flat, at the price of some repetition.  Per-run state (object names,
private objects) is rebuilt whenever the active run changes, so every run of
a schedule names the same objects alike.
"""

from __future__ import annotations

import builtins
import operator
import types
from collections.abc import Callable
from typing import Any

from harness._engine import points
from harness._engine.access import (
    REGISTRY,
    Namespace,
    RunState,
    Site,
    attr_access,
    global_access,
    item_access,
)
from harness._engine.access_names import (
    IMMUTABLE_TYPES,
    READ_KEY,
    WRITE_KEY,
    WRITE_WHOLE,
    forget_classes,
    is_code_value,
    loads_write,
    method_table,
)

_MISSING = object()
_BUILTIN_METHOD = types.BuiltinMethodType
_os_thread = points.os_thread_ident

_state: RunState | None = None
# The active run when its accesses do not matter (cooperative, no footprints), or None: every
# hook first compares ``points._active`` with it, one read and one test when nothing watches.
_quiet: Any = None


def _live() -> RunState | None:
    """The state of the active run if its accesses matter, else None."""
    run = points._active
    if run is None:
        return None
    state = _state
    if state is None or state.run is not run:
        state = _begin(run)
    if state.live and state.thread == _os_thread():
        return state
    return None


def _begin(run: Any) -> RunState:
    global _state, _quiet
    _state = RunState(run)
    _quiet = None if _state.live else run
    return _state


def reset() -> None:
    """Forget the last run's state (its objects); called when instrumentation changes."""
    global _state, _quiet
    _state = _quiet = None
    REGISTRY.known_classes.clear()
    forget_classes()


# -- hooks: attributes ------------------------------------------------------------

def get_attr(obj: Any, name: str, site: Site) -> Any:
    """``obj.name``."""
    state = _live() if points._active is not _quiet else None
    if state is not None:
        attr_access(state, obj, name, False, site)
    return getattr(obj, name)


def get_method(obj: Any, name: str, site: Site) -> Any:
    """``obj.name`` about to be called: a builtin container's method becomes an access
    at call time; a call into code that is not instrumented is an escape."""
    state = _live() if points._active is not _quiet else None
    if state is None:
        return getattr(obj, name)
    attr_access(state, obj, name, False, site)
    value = getattr(obj, name)
    if type(value) is _BUILTIN_METHOD and value.__self__ is obj:
        wrapped = _container_call(state, obj, value, site)
        if wrapped is not None:
            return wrapped
    if state.privacy is not None:
        state.privacy.calling(value)
    return value


def set_attr(value: Any, obj: Any, name: str, site: Site) -> Any:
    """``obj.name = value`` (value first: Python evaluates the right-hand side first)."""
    state = _live() if points._active is not _quiet else None
    if state is not None:
        attr_access(state, obj, name, True, site)
    setattr(obj, name, value)
    return value


def aug_attr_get(obj: Any, name: str, site: Site) -> tuple[Any, Any]:
    """The read half of ``obj.name op= operand``."""
    state = _live() if points._active is not _quiet else None
    if state is not None:
        attr_access(state, obj, name, False, site)
    return obj, getattr(obj, name)


def aug_attr_set(pair: tuple[Any, Any], operand: Any, op: Callable[[Any, Any], Any], site: Site) -> None:
    """The write half: compute, offer, store (a switch fits between the read and the write)."""
    result = op(pair[1], operand)
    state = _live() if points._active is not _quiet else None
    if state is not None:
        attr_access(state, pair[0], site.name, True, site)
    setattr(pair[0], site.name, result)


# -- hooks: items -------------------------------------------------------------

def get_item(obj: Any, key: Any, site: Site) -> Any:
    """``obj[key]``."""
    state = _live() if points._active is not _quiet else None
    if state is not None:
        item_access(state, obj, key, loads_write(obj), False, site, "get")
    return obj[key]


def set_item(value: Any, obj: Any, key: Any, site: Site) -> Any:
    """``obj[key] = value``."""
    state = _live() if points._active is not _quiet else None
    if state is not None:
        item_access(state, obj, key, True, False, site, "set")
    obj[key] = value
    return value


def aug_item_get(obj: Any, key: Any, site: Site) -> tuple[Any, Any, Any]:
    state = _live() if points._active is not _quiet else None
    if state is not None:
        item_access(state, obj, key, loads_write(obj), False, site, "get")
    return obj, key, obj[key]


def aug_item_set(triple: tuple[Any, Any, Any], operand: Any, op: Callable[[Any, Any], Any],
                 site: Site) -> None:
    result = op(triple[2], operand)
    state = _live() if points._active is not _quiet else None
    if state is not None:
        item_access(state, triple[0], triple[1], True, False, site, "set")
    triple[0][triple[1]] = result


def contains(key: Any, container: Any, site: Site) -> bool:
    """``key in container``: a keyed read of a dict or set, a whole read of a list."""
    state = _live() if points._active is not _quiet else None
    if state is not None and method_table(type(container)) is not None:
        item_access(state, container, key, False, not isinstance(container, (dict, set)), site, "in")
    return key in container


def iterate(iterable: Any, site: Site) -> Any:
    """The iterable of a ``for`` or a comprehension: a whole read of a builtin container."""
    state = _live() if points._active is not _quiet else None
    if state is not None and method_table(type(iterable)) is not None:
        item_access(state, iterable, None, False, True, site, "iter")
    return iterable


class _ContainerCall:
    """A bound builtin container method, called right away: the access happens at the call."""

    __slots__ = ("_effect", "_method", "_obj", "_op", "_site", "_state")

    def __init__(self, state: RunState, obj: object, method: Callable[..., Any], effect: int,
                 site: Site) -> None:
        self._state = state
        self._obj = obj
        self._method = method
        self._effect = effect
        self._site = site
        self._op = method.__name__ + "()"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        effect = self._effect
        keyed = effect in (READ_KEY, WRITE_KEY) and bool(args)
        item_access(self._state, self._obj, args[0] if keyed else None, effect in (WRITE_KEY, WRITE_WHOLE),
                    not keyed, self._site, self._op, 3, True)
        return self._method(*args, **kwargs)


def _container_call(state: RunState, obj: object, method: Any, site: Site) -> _ContainerCall | None:
    table = method_table(type(obj))
    effect = table.get(method.__name__) if table is not None else None
    return None if effect is None else _ContainerCall(state, obj, method, effect, site)


def callee(func: Any, site: Site) -> Any:
    """A called expression other than an attribute or a global: a bound builtin container
    method becomes an access; anything not instrumented is an escape."""
    state = _live() if points._active is not _quiet else None
    if state is None:
        return func
    if type(func) is _BUILTIN_METHOD:
        wrapped = _container_call(state, func.__self__, func, site)
        if wrapped is not None:
            return wrapped
    if state.privacy is not None:
        state.privacy.calling(func)
    return func


# -- hooks: globals -----------------------------------------------------------

def get_global(namespace: Namespace, name: str, site: Site) -> Any:
    """A module global (``LOAD_GLOBAL``: the module's dict, then its builtins; a builtin is
    no access)."""
    values = namespace.values
    state = _live() if points._active is not _quiet else None
    if state is not None:
        value = values.get(name, _MISSING)
        if value is not _MISSING:
            global_access(state, namespace, name, False, is_code_value(value), site)
    try:
        return values[name]
    except KeyError:
        return _builtin(values, name)


def get_global_callee(namespace: Namespace, name: str, site: Site) -> Any:
    """A module global about to be called."""
    values = namespace.values
    state = _live() if points._active is not _quiet else None
    if state is None:
        try:
            return values[name]
        except KeyError:
            return _builtin(values, name)
    value = values.get(name, _MISSING)
    if value is not _MISSING:
        global_access(state, namespace, name, False, is_code_value(value), site)
    try:
        value = values[name]
    except KeyError:
        value = _builtin(values, name)
    if state.privacy is not None:
        state.privacy.calling(value)
    return value


def set_global(value: Any, namespace: Namespace, name: str, site: Site) -> Any:
    """``global name; name = value``."""
    state = _live() if points._active is not _quiet else None
    if state is not None:
        global_access(state, namespace, name, True, False, site)
    namespace.values[name] = value
    return value


def _builtin(values: dict[str, Any], name: str) -> Any:
    found = values.get("__builtins__", builtins)
    table = found.__dict__ if isinstance(found, types.ModuleType) else found
    try:
        return table[name]
    except KeyError:
        raise NameError(f"name {name!r} is not defined", name=name) from None


# -- hooks: store and delete targets -----------------------------------------------

class _Target:
    """Stands for the object of an assignment or ``del`` target (tuple unpacking, ``for``
    and ``with`` targets, ``del``): the store is offered, declared, then done on the object."""

    __slots__ = ("_obj", "_site")
    _obj: Any
    _site: Site

    def __init__(self, obj: object, site: Site) -> None:
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_site", site)

    def __setattr__(self, name: str, value: Any) -> None:
        state = _live() if points._active is not _quiet else None
        if state is not None:
            attr_access(state, self._obj, name, True, self._site)
        setattr(self._obj, name, value)

    def __delattr__(self, name: str) -> None:
        state = _live() if points._active is not _quiet else None
        if state is not None:
            attr_access(state, self._obj, name, True, self._site)
        delattr(self._obj, name)

    def __setitem__(self, key: Any, value: Any) -> None:
        state = _live() if points._active is not _quiet else None
        if state is not None:
            item_access(state, self._obj, key, True, False, self._site, self._site.op)
        self._obj[key] = value

    def __delitem__(self, key: Any) -> None:
        state = _live() if points._active is not _quiet else None
        if state is not None:
            item_access(state, self._obj, key, True, False, self._site, self._site.op)
        del self._obj[key]


def target(obj: Any, site: Site) -> Any:
    """The object of a store or delete target: itself when nothing is watching."""
    if points._active is _quiet or _live() is None or type(obj) in IMMUTABLE_TYPES:
        return obj
    return _Target(obj, site)


class _GlobalTarget:
    """A module's globals as a store or ``del`` target: ``global x; del x`` raises NameError."""

    __slots__ = ("_namespace", "_site")

    def __init__(self, namespace: Namespace, site: Site) -> None:
        self._namespace = namespace
        self._site = site

    def __setitem__(self, name: str, value: Any) -> None:
        state = _live() if points._active is not _quiet else None
        if state is not None:
            global_access(state, self._namespace, name, True, False, self._site)
        self._namespace.values[name] = value

    def __delitem__(self, name: str) -> None:
        state = _live() if points._active is not _quiet else None
        if state is not None:
            global_access(state, self._namespace, name, True, False, self._site)
        try:
            del self._namespace.values[name]
        except KeyError:
            raise NameError(f"name {name!r} is not defined", name=name) from None


def global_target(namespace: Namespace, site: Site) -> _GlobalTarget:
    return _GlobalTarget(namespace, site)


# -- hooks: creation -----------------------------------------------------------

def born(obj: Any) -> Any:
    """A list, dict or set display or comprehension just made ``obj``."""
    state = _live() if points._active is not _quiet else None
    if state is not None and state.privacy is not None:
        state.privacy.born(obj, 2)
    return obj


def born_init(obj: Any) -> None:
    """An instrumented ``__init__`` starts on ``obj``."""
    state = _live() if points._active is not _quiet else None
    if state is not None and state.privacy is not None:
        state.privacy.born_instance(obj, 2)


# The hooks by the name the rewriter uses for them, and the operators of augmented assignment.
_HOOK_NAMES = ("get_attr", "get_method", "set_attr", "aug_attr_get", "aug_attr_set", "get_item", "set_item",
               "aug_item_get", "aug_item_set", "contains", "iterate", "callee", "get_global",
               "get_global_callee", "set_global", "target", "global_target", "born", "born_init")
HOOKS: dict[str, object] = {name: globals()[name] for name in _HOOK_NAMES}
HOOKS["slice"] = slice
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": operator.iadd, "Sub": operator.isub, "Mult": operator.imul, "MatMult": operator.imatmul,
    "Div": operator.itruediv, "FloorDiv": operator.ifloordiv, "Mod": operator.imod, "Pow": operator.ipow,
    "LShift": operator.ilshift, "RShift": operator.irshift, "BitOr": operator.ior,
    "BitXor": operator.ixor, "BitAnd": operator.iand,
}
