"""Targets: what the harness runs, and the registry scenarios plug into.

A target is a zero-argument body that runs as greenthread ``gt0`` of a run,
spawns greenthreads with plain eventlet calls and asserts what must hold.  A
registered target also carries the expectations ``race-harness matrix``
checks.  The engine never imports scenarios: they are found through the
``race_harness.targets`` entry point group, whose objects are called with the
registry and add their targets to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Literal

from harness._errors import UnknownTarget

Model = Literal["cooperative", "preemptive"]
MODELS: tuple[Model, ...] = ("cooperative", "preemptive")
Instrumenter = Callable[[], contextlib.AbstractContextManager[object]]


@dataclass(frozen=True)
class Expectation:
    """The verdict a target is expected to get under one preemption model.

    ``strategy`` and ``schedules`` say how the matrix decides the cell: ``dfs``
    with ``schedules`` as a budget aims at an exhaustive proof; ``bounded``
    runs every schedule with at most ``bound`` preemptions (a proof within
    that bound, for spaces too large to exhaust); ``random`` runs that many
    seeded schedules.  ``why`` is shown beside the verdict.
    """

    model: Model
    verdict: Literal["pass", "fail"]
    strategy: str = "dfs"
    schedules: int = 10_000
    seed: int = 0
    why: str = ""
    bound: int | None = None


@dataclass(frozen=True)
class Target:
    """A runnable program under test, with its identity for schedule strings."""

    name: str
    body: Callable[[], object]
    fingerprint: str
    until: float | None = None
    instrument: Instrumenter | None = None
    description: str = ""
    expectations: tuple[Expectation, ...] = field(default=())
    # True when every access to state shared between the target's greenthreads is
    # declared (``instrument``'s attributes, ``harness.touch``, the fakes' I/O
    # footprints): partial-order reduction may then treat a step that declares
    # nothing as touching nothing shared.  ``instrument`` is then entered under
    # the cooperative model too, where its points never switch but record accesses.
    complete_footprints: bool = False
    # Packages whose every shared access is a preemption point under the preemptive model
    # (``harness.explore(preempt_modules=...)``), with exact footprints.
    preempt_modules: tuple[str, ...] = ()

    def expectation(self, model: Model) -> Expectation | None:
        """The expectation for ``model``, or None when the target declares none."""
        for exp in self.expectations:
            if exp.model == model:
                return exp
        return None


def fingerprint_of(*objects: object) -> str:
    """A short hash of the source of the given modules, classes or functions.

    Any edit to that code changes the fingerprint, which is how a replay
    notices that a schedule was recorded on other code.
    """
    digest = hashlib.sha256()
    for obj in objects:
        try:
            source = inspect.getsource(obj)  # type: ignore[arg-type]
        except (OSError, TypeError):
            source = repr(getattr(obj, "__qualname__", obj))
        digest.update(source.encode())
    return digest.hexdigest()[:12]


class Registry:
    """Named targets, in registration order (never set or hash order).

    A plug-in whose targets are expensive to build (importing a large
    package) registers a factory for its scenario names instead: the factory
    runs only when one of those names is asked for, or when every target is
    listed, so ``race-harness replay other:target`` never pays for it.
    """

    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}
        self._factories: list[tuple[tuple[str, ...], Callable[[], list[Target]]]] = []

    def add(self, target: Target) -> None:
        if target.name in self._targets:
            raise ValueError(f"target {target.name!r} is registered twice")
        self._targets[target.name] = target

    def add_factory(self, scenarios: tuple[str, ...], factory: Callable[[], list[Target]]) -> None:
        """Register targets named ``<scenario>:<variant>`` for ``scenarios``, built on demand."""
        self._factories.append((scenarios, factory))

    def names(self) -> list[str]:
        self._build_all()
        return list(self._targets)

    def targets(self) -> list[Target]:
        self._build_all()
        return list(self._targets.values())

    def get(self, name: str) -> Target | None:
        scenario = name.partition(":")[0]
        for index, (scenarios, _factory) in enumerate(list(self._factories)):
            if scenario in scenarios:
                self._build(index)
                break
        return self._targets.get(name)

    def _build_all(self) -> None:
        while self._factories:
            self._build(0)

    def _build(self, index: int) -> None:
        _scenarios, factory = self._factories.pop(index)
        for target in factory():
            self.add(target)


ENTRY_POINT_GROUP = "race_harness.targets"


def load_registry() -> Registry:
    """Collect every target the installed plug-ins register."""
    registry = Registry()
    for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            register = entry.load()
            register(registry)
        except Exception as exc:  # noqa: BLE001 - one broken plug-in must not hide the others
            warnings.warn(f"target plug-in {entry.name!r} failed to load: {exc!r}", stacklevel=2)
    return registry


def resolve_target(spec: str | Target | Callable[[], object]) -> Target:
    """Turn a target spec into a Target.

    Accepts a Target, a zero-argument callable, a registered ``scenario:variant``
    name, or an importable ``package.module:callable``.
    """
    if isinstance(spec, Target):
        return spec
    if callable(spec):
        return target_from_callable(spec)
    if not isinstance(spec, str):
        raise UnknownTarget(f"a target is a name, a Target or a callable, not {type(spec).__name__}")
    registry = load_registry()
    registered = registry.get(spec)
    if registered is not None:
        return registered
    scenario, _, variant = spec.partition(":")
    # get() has built the scenario's targets if a plug-in knows it; names() would build every
    # plug-in's, which an import-string target must not pay for.
    built = list(registry._targets)
    variants = [name.partition(":")[2] for name in built if name.partition(":")[0] == scenario]
    if variants:
        raise UnknownTarget(
            f"unknown variant {variant!r} of scenario {scenario!r}; its variants are: {', '.join(variants)}"
        )
    return _import_target(spec)


def target_from_callable(func: Callable[[], object], name: str | None = None) -> Target:
    _check_no_arguments(func, name)
    module = sys.modules.get(getattr(func, "__module__", ""), None)
    label = name or f"{getattr(func, '__module__', '?')}:{getattr(func, '__qualname__', '?')}"
    return Target(name=_schedule_safe(label), body=func, fingerprint=fingerprint_of(module or func))


def _check_no_arguments(func: Callable[..., object], name: str | None) -> None:
    """A body is called with no arguments: refuse one that needs some, before it
    could fail every run with a TypeError that would read as a race."""
    label = str(name or getattr(func, "__qualname__", None) or repr(func))
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # a builtin without a signature: its docstring may tell
        _check_documented_call(func, label)
        return
    required = [p.name for p in signature.parameters.values()
                if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required:
        raise UnknownTarget(
            f"target {label!r} needs argument(s) {', '.join(required)}; a target body is called with "
            "none: wrap it, e.g. lambda: func(...)")


_CALL_FORM = re.compile(r"\s*[A-Za-z_][\w.]*\((.*)\)")


def _check_documented_call(func: Callable[..., object], label: str) -> None:
    """A callable without a signature (``time.sleep``, ``iter``) passes only if the call forms
    its docstring opens with (``time() -> float``, ``dict()``) include one without arguments."""
    forms = []
    for line in (getattr(func, "__doc__", None) or "").splitlines():
        match = _CALL_FORM.match(line)
        if match is None:
            break
        forms.append(match.group(1).strip())
    if any(not form or form.startswith("[") for form in forms):
        return
    if forms:
        needs = forms[0].split("[")[0].strip().rstrip(",")
        raise UnknownTarget(
            f"target {label!r} needs argument(s) {needs}; a target body is called with none: wrap it, "
            "e.g. lambda: func(...)")
    raise UnknownTarget(
        f"target {label!r} has no signature the harness can read, so it cannot tell whether it takes "
        "arguments; a target body is called with none: wrap it in a function of no arguments")


def _schedule_safe(label: str) -> str:
    """A name a schedule string can carry: ``f.<locals>.g`` -> ``f._locals_.g``."""
    return ":".join(re.sub(r"[^A-Za-z0-9_.\-]", "_", part) or "_" for part in label.split(":"))


def _import_target(spec: str) -> Target:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UnknownTarget(
            f"unknown target {spec!r}: not a registered scenario:variant and not "
            "'package.module:callable'. Run 'race-harness list' to see the registered ones."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownTarget(
            f"unknown target {spec!r}: module {module_name!r} cannot be imported ({exc}). "
            "Run 'race-harness list' to see the registered targets."
        ) from None
    except Exception as exc:  # noqa: BLE001 - the module exists but fails on import
        raise UnknownTarget(
            f"target {spec!r}: importing module {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    obj: object = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise UnknownTarget(
                f"unknown target {spec!r}: {module_name} has no attribute {attr!r}. "
                "Run 'race-harness list' to see the registered targets."
            )
    if isinstance(obj, Target):
        return obj
    if not callable(obj):
        raise UnknownTarget(f"target {spec!r} is not callable (it is a {type(obj).__name__})")
    return target_from_callable(obj, name=spec)


@contextlib.contextmanager
def no_instrumentation() -> Iterator[None]:
    yield
