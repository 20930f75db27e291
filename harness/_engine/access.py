"""What an automatic access does in a run: a preemption offer, then its exact footprint.

The hooks of ``access_hooks.py`` (which rewritten code calls) hand every
access of an instrumented module to ``attr_access``, ``item_access`` or
``global_access`` with the run's state.  Each goes to the run through
``points.access_sink``: a preemption offer (preemptive model only; not for
code lookups, immutable values or private objects: ``access_names.py``,
``access_private.py``), then the footprint, a partial declaration of the
step that performs the access (the one that resumes after the point).
Only what the run asks for is computed: no resource names without a
strategy that observes footprints, no label without an offer.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from harness._engine import points
from harness._engine.access_names import (
    CONTAINER_METHODS,
    IMMUTABLE_TYPES,
    Names,
    forget_classes,
    is_code_lookup,
    item_key,
    key_label,
    keyed_container,
    owner_name,
)
from harness._engine.access_private import Privacy
from harness._engine.footprint import StepObserver

_MISSING = object()
_NO: tuple[str, ...] = ()
_LABELS_PER_SITE = 32
_BUILTIN_METHOD = types.BuiltinMethodType
_MODULE = types.ModuleType
_SKIP_WRITES = IMMUTABLE_TYPES
_SKIP_READS = IMMUTABLE_TYPES | frozenset(CONTAINER_METHODS)  # a builtin container has no data attributes
_os_thread = points.os_thread_ident


class Site:
    """One access in the source: what it names, how, and where (labels are cached per type)."""

    __slots__ = ("file", "function", "labels", "line", "name", "op")

    def __init__(self, name: str, op: str, file: str, line: int, function: str) -> None:
        self.name = name
        self.op = op
        self.file = file
        self.line = line
        self.function = function
        self.labels: dict[object, str] = {}

    def __repr__(self) -> str:
        return f"<{self.op} {self.name or '[]'} at {self.file}:{self.line} in {self.function}>"


class Namespace:
    """A module's globals as rewritten code holds them: a code object's constants must be
    hashable (code objects are hashed, e.g. by the run's label cache), and a dict is not."""

    __slots__ = ("name", "short", "values")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.name = str(values.get("__name__", "?"))
        self.short = self.name.rpartition(".")[2]


class Registry:
    """What is instrumented right now (maintained by ``rewrite.preempt_modules``)."""

    def __init__(self) -> None:
        self.codes: set[int] = set()  # ids of the rewritten code objects (kept alive by rewrite)
        self.modules: set[str] = set()
        self.private_objects = True
        self.active = 0
        self.known_classes: dict[type, bool] = {}


REGISTRY = Registry()


class RunState:
    """What the hooks know about the active run."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.thread = run.thread_ident
        config = getattr(run, "config", None)
        self.preemptive = bool(getattr(config, "preemptive", True))
        # exact resources when a strategy reads footprints, or the run logs accesses for its race pair
        self.footprints = (isinstance(getattr(run, "strategy", None), StepObserver)
                           or bool(getattr(run, "logs_accesses", False)))
        self.live = REGISTRY.active > 0 and (self.preemptive or self.footprints)
        self.sink = points.access_sink(run)
        own = getattr(run, "access", None)
        self.offer: Callable[[str], None] = run.preempt if own is None else (
            lambda label: own(label, _NO, _NO, _NO, True))
        self.names = Names()
        self.privacy: Privacy | None = None
        if self.preemptive and REGISTRY.private_objects:
            self.privacy = Privacy(REGISTRY.codes, REGISTRY.modules, REGISTRY.known_classes)


# -- the accesses ---------------------------------------------------------------

def attr_access(state: RunState, obj: object, name: str, write: bool, site: Site) -> None:
    """Offer and declare ``obj.name``; called by a hook that instrumented code called
    (privacy looks 3 frames up from its check)."""
    kind = type(obj)
    if kind in (_SKIP_WRITES if write else _SKIP_READS):
        return
    privacy = state.privacy
    if privacy is not None and privacy.owners and privacy.private(obj, 3):
        offer = False
    elif write:
        if privacy is not None and privacy.owners:
            privacy.escape()
        if isinstance(obj, type):
            forget_classes()
        offer = state.preemptive
    else:
        offer = state.preemptive and not is_code_lookup(obj, name)
    if state.footprints:
        reads, writes = _attr_resources(state, obj, name, write)
        state.sink(_attr_label(obj, kind, site) if offer else "", reads, writes, _NO, offer)
    elif offer:
        state.offer(_attr_label(obj, kind, site))


def _attr_resources(state: RunState, obj: object, name: str, write: bool) -> tuple[tuple[str, ...],
                                                                                    tuple[str, ...]]:
    if type(obj) is super:  # a fresh proxy at every call: what it reads is the class attribute
        return ("*." + name,), ()
    slot = f"{state.names.name(obj)}.{name}"
    if isinstance(obj, _MODULE):
        return ((), (slot,)) if write else ((slot,), ())
    star = "*." + name
    if isinstance(obj, type):
        return ((), (slot, star)) if write else ((slot, star), ())
    return ((star,), (slot,)) if write else ((slot, star), ())


def _attr_label(obj: object, kind: type, site: Site) -> str:
    """``Session.svm set``: by the instance's type, or the class or module itself."""
    key: object = obj if kind is type or kind is _MODULE or isinstance(obj, type) else kind
    label = site.labels.get(key)
    if label is None:
        label = site.labels[key] = f"{owner_name(obj)}.{site.name} {site.op}"
    return label


def item_access(state: RunState, obj: object, key: object, write: bool, whole: bool, site: Site, op: str,
          depth: int = 3, builtin: bool = False) -> None:
    """Offer and declare an item access of ``obj`` (``key`` unused when ``whole``); the
    instrumented frame is ``depth`` frames up from the privacy check.  ``builtin``: the
    access is known to run the builtin container's code, so its key is its footprint."""
    if type(obj) in IMMUTABLE_TYPES:
        return
    privacy = state.privacy
    offer = state.preemptive
    if privacy is not None and privacy.owners:
        if privacy.private(obj, depth):
            offer = False
        elif write:
            privacy.escape()
    if not (offer or state.footprints):
        return
    exact = None if whole or not (builtin or keyed_container(obj)) else item_key(obj, key)
    label = _item_label(obj, exact, op, site) if offer else ""
    if not state.footprints:
        state.offer(label)
        return
    base = state.names.name(obj)
    if exact is None:
        whole_slot = (base + "[*]",)
        state.sink(label, _NO if write else whole_slot, whole_slot if write else _NO, _NO, offer)
    else:
        slot = (f"{base}[{exact}]",)
        state.sink(label, _NO if write else slot, slot if write else _NO, (base + "[*]",), offer)


def _item_label(obj: object, exact: str | None, op: str, site: Site) -> str:
    """``dict['vs1'] set``, ``list[...] get``; a method call: ``dict.setdefault('vs1')``
    (cached on the site for its first few keys)."""
    key = (type(obj), op, exact)
    label = site.labels.get(key)
    if label is not None:
        return label
    if op.endswith("()"):
        label = f"{type(obj).__qualname__}.{op[:-2]}({'' if exact is None else key_label(exact)})"
    else:
        label = f"{type(obj).__qualname__}[{key_label(exact)}] {op}"
    if len(site.labels) < _LABELS_PER_SITE:
        site.labels[key] = label
    return label


def global_access(state: RunState, namespace: Namespace, name: str, write: bool, code: bool,
            site: Site) -> None:
    """Offer and declare a module global (modules are never private)."""
    privacy = state.privacy
    if write and privacy is not None and privacy.owners:
        privacy.escape()
    offer = state.preemptive and not code
    label = ""
    if offer:
        label = site.labels.get(None) or site.labels.setdefault(None, f"{namespace.short}.{name} {site.op}")
    if state.footprints:
        resource = (f"{namespace.name}.{name}",)
        state.sink(label, _NO if write else resource, resource if write else _NO, _NO, offer)
    elif offer:
        state.offer(label)
