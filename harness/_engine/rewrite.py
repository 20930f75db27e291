"""Automatic preemption points: every shared-memory access of the named modules.

``preempt_modules(["mypkg"])`` makes each attribute, subscript and global
access, each ``in`` test and iteration of a builtin container and each call
of a builtin container's method in the code of ``mypkg`` and its submodules
a preemption point with an exact footprint (``harness/_engine/access*.py``),
while the context is entered, and undoes all of it on exit, whatever ends it
(a failure, an error, ``KeyboardInterrupt``).

Mechanism: code rewriting, as pytest rewrites assertions, but in memory and
in place.  Each module's source is read (never written: no file, no
``.pyc``), parsed, transformed (``access_transform.py``: every access becomes
a hook call, hooks and sites are constants of the code objects, so the
module's globals never change) and compiled; the untouched source is
compiled too, and its code objects, equal to the ones the import made if the
file did not change since, are paired position by position with the
rewritten ones.  Then every live function whose ``__code__`` is one of the
module's code objects gets the rewritten one: plain functions, methods,
class and static methods, properties, closures (same free variables, so the
closure cells fit), decorated functions (the wrapped original is found
through ``gc``, wherever it is referenced).  Nested functions, lambdas and
comprehensions created later come from their parent's (rewritten)
``co_consts``, so they are instrumented too.  On exit the saved code objects
go back, and every function created meanwhile from rewritten code gets the
original code; the label cache of switch sites is purged.

Why not opcode tracing (``sys.settrace`` with ``f_trace_opcodes``): a
preemption point switches greenlets from inside the hook, and tracing
across greenlet switches is fragile (DESIGN.md section 6); and tracing
costs every opcode of every frame, while rewritten code pays only at its
accesses.  Measured side by side (``benchmarks/bench_preempt.py``, CPU
time, 2-core machine): a no-op opcode tracer alone makes plain code 26-31x
slower; rewritten code outside a run, or in a cooperative run where the
hooks are inert, is 4.3-6.5x slower than uninstrumented code (one hook: one
call and one test, ~0.05-0.08 us).  Entering costs 0.9-1.7 s for
``requests`` and ``urllib3`` (58 modules, 5,961 access sites), leaving 0.02 s.

What is seen: in the instrumented modules' Python code (functions, methods,
class and static methods, properties, nested functions, lambdas,
comprehensions, generators, coroutines), attribute load, store and delete
on any object (``__slots__`` members, properties and class attributes
included: they are attribute accesses in the code; what a C-implemented
property reads inside is not), subscript load, store and delete,
module-global load and store (``global``), augmented assignments as a read
and a write with a switch point between them, ``in``/``not in`` and ``for``
over builtin containers, and calls of builtin container methods
(``list.append``, ``dict.setdefault``, ``dict.pop``, ``set.add``,
``deque.popleft``...), recognised at run time by the receiver's type, keyed
where the method takes a key.

What is not seen: code outside the named modules (the standard library,
C code), accesses made by builtins on the code's behalf (``getattr`` or
``setattr`` with a computed name, ``len``, ``sorted``, ``copy``;
``vars(obj)["x"]`` is seen, but as an item of a dict, not as ``obj.x``),
code compiled at run time (``eval``, ``exec``,
``dataclasses`` and ``namedtuple`` generated methods), module-level code (it
ran at import), submodules imported after entering, a ``global`` name bound
by ``import``, ``except ... as``, ``:=`` or a nested ``def``/``class``,
modules whose live code no longer matches their file (edited since import,
or rewritten by another tool such as pytest's assertion rewriting: listed in
``Instrumentation.unmatched``), and generators or coroutines suspended
before entering (their frames keep the old code).  Loading a builtin
(``len``) is no access; a code lookup (a method, a module's function, a
class) offers no switch but is in the footprint; an access to an immutable
value (``str``, ``int``, ``tuple``, ``datetime``) touches nothing.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import importlib.util
import os
import symtable
import sys
import types
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from harness._engine import access, access_hooks, labels
from harness._engine.access_transform import GLOBALS, PREFIX, Constants, RewriteError, rewrite

__all__ = ["Instrumentation", "RewriteError", "preempt_modules"]

# Never instrumented, whatever the prefix: the harness runs on them.
REFUSED = ("harness", "eventlet", "greenlet")


@dataclass
class Instrumentation:
    """What ``preempt_modules`` instrumented (the value of its ``with``)."""

    modules: list[str] = field(default_factory=list)
    functions: int = 0
    sites: int = 0
    skipped: list[str] = field(default_factory=list)  # "module: why"
    unmatched: list[str] = field(default_factory=list)  # functions whose code is not the file's

    def describe(self) -> str:
        text = f"{self.functions} function(s), {self.sites} access site(s) in {len(self.modules)} module(s)"
        if self.unmatched:
            text += f"; {len(self.unmatched)} function(s) not matching their source (edited since import?)"
        return text


@dataclass
class _Module:
    """One module's rewrite: original code object -> rewritten one, and back."""

    module: types.ModuleType
    filename: str
    forward: dict[types.CodeType, types.CodeType]
    backward: dict[int, types.CodeType]  # id(rewritten) -> original (the freshly compiled one)
    sites: int


@contextlib.contextmanager
def preempt_modules(prefixes: Sequence[str], *, private_objects: bool = True) -> Iterator[Instrumentation]:
    """Instrument every shared-memory access of the modules under ``prefixes`` while entered.

    A prefix names a package and everything under it (``"cinder.volume"``
    covers ``cinder.volume.drivers.netapp``); it is imported if it is not
    yet.  Modules already instrumented by an enclosing ``preempt_modules``
    are left to it.  ``private_objects=False`` offers a switch at accesses
    of objects no other greenthread can reach yet, too (see
    ``access_private.py``).  Raises ``ValueError`` for a prefix that names the
    harness, eventlet, greenlet or the standard library, ``ImportError`` for
    one that cannot be imported, ``RewriteError`` when a module's source
    cannot be rewritten faithfully.
    """
    report = Instrumentation()
    plans = [_plan(module, report) for module in _select(prefixes, report)]
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    codes = {id_ for plan in plans for id_ in plan.backward}
    previous_private = access.REGISTRY.private_objects
    try:
        _register(plans, codes, private_objects)
        report.functions = _swap_in(plans, swapped, report)
        yield report
    finally:
        _swap_out(plans, swapped)
        _unregister(plans, codes, previous_private)


# -- choosing the modules ------------------------------------------------------------

def _select(prefixes: Sequence[str], report: Instrumentation) -> list[types.ModuleType]:
    if isinstance(prefixes, str):
        raise TypeError("preempt_modules takes a list of module prefixes, not one string")
    if not prefixes:
        raise ValueError("preempt_modules needs at least one module prefix")
    for prefix in prefixes:
        _check_prefix(prefix)
        if prefix not in sys.modules:
            importlib.import_module(prefix)
    chosen: dict[str, types.ModuleType] = {}
    seen: set[int] = set()  # ids of the chosen modules (alive in sys.modules)
    for name in sorted(sys.modules):
        module = sys.modules[name]
        if module is None or not any(name == p or name.startswith(p + ".") for p in prefixes):
            continue
        reason = _unusable(name, module)
        if id(module) in seen:
            reason = "another name of a module already chosen"  # requests.packages.urllib3 is urllib3
        if reason:
            report.skipped.append(f"{name}: {reason}")
        else:
            chosen[name] = module
            seen.add(id(module))
    report.modules = list(chosen)
    return list(chosen.values())


def _check_prefix(prefix: str) -> None:
    if not isinstance(prefix, str) or not all(part.isidentifier() for part in prefix.split(".")):
        raise ValueError(f"{prefix!r} is not a module name (a dotted package prefix, e.g. 'mypkg.client')")
    top = prefix.partition(".")[0]
    if top in REFUSED:
        raise ValueError(f"{prefix!r} is the harness's own code or what it runs on ({top}); it is never "
                         "instrumented. Name the package of the code under test instead.")
    if top in sys.stdlib_module_names:
        raise ValueError(f"{prefix!r} is part of the standard library, which the harness itself runs on; "
                         "instrumenting it is not supported. Name the package of the code under test.")


def _unusable(name: str, module: types.ModuleType) -> str:
    """Why a matching module cannot be instrumented (an empty string when it can)."""
    if name in access.REGISTRY.modules:
        return "already instrumented by an enclosing preempt_modules"
    filename = getattr(module, "__file__", None)
    if not filename or not filename.endswith(".py") or not os.path.isfile(filename):
        return "no Python source file"
    return ""


# -- rewriting one module --------------------------------------------------------------

def _plan(module: types.ModuleType, report: Instrumentation) -> _Module:
    """Rewrite and compile ``module`` (nothing of the program changes yet)."""
    spec = getattr(module, "__spec__", None)
    filename = getattr(spec, "origin", None) or str(module.__file__)
    with open(filename, "rb") as handle:
        source = importlib.util.decode_source(handle.read())
    optimize = sys.flags.optimize
    original = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
    constants = Constants()
    tree = rewrite(ast.parse(source, filename), symtable.symtable(source, filename, "exec"), filename,
                   constants)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "'str' object is not callable": the placeholders
        rewritten = compile(tree, filename, "exec", dont_inherit=True, optimize=optimize)
    constants.objects[GLOBALS] = access.Namespace(module.__dict__)
    forward: dict[types.CodeType, types.CodeType] = {}
    backward: dict[int, types.CodeType] = {}
    _pair(original, rewritten, constants.objects, forward, backward)
    report.sites += len(constants.sites)
    return _Module(module, filename, forward, backward, len(constants.sites))


def _pair(original: types.CodeType, rewritten: types.CodeType, objects: dict[str, object],
          forward: dict[types.CodeType, types.CodeType], backward: dict[int, types.CodeType]
          ) -> types.CodeType:
    """The final form of ``rewritten`` (placeholders replaced, children paired), recorded
    against ``original``."""
    _check_same_shape(original, rewritten)
    children = iter([c for c in original.co_consts if isinstance(c, types.CodeType)])
    consts: list[object] = []
    for const in rewritten.co_consts:
        if isinstance(const, types.CodeType):
            consts.append(_pair(next(children), const, objects, forward, backward))
        elif type(const) is str and const.startswith(PREFIX):
            consts.append(objects[const])
        else:
            _check_no_placeholder(const, rewritten)
            consts.append(const)
    final = rewritten.replace(co_consts=tuple(consts))
    hash(final)  # code objects are hashed (label caches): every constant must be hashable
    forward[original] = final
    backward[id(final)] = original
    return final


def _check_same_shape(original: types.CodeType, rewritten: types.CodeType) -> None:
    """The rewrite must not change what a code object is: its name, locals, cells, free variables
    and nested code objects (``__code__`` swapping and closures rely on it)."""
    fields = ("co_qualname", "co_varnames", "co_cellvars", "co_freevars", "co_flags")
    same = all(getattr(original, name) == getattr(rewritten, name) for name in fields) and (
        [c.co_qualname for c in original.co_consts if isinstance(c, types.CodeType)]
        == [c.co_qualname for c in rewritten.co_consts if isinstance(c, types.CodeType)])
    if not same:
        raise RewriteError(f"{original.co_filename}: the rewritten {original.co_qualname} (line "
                           f"{original.co_firstlineno}) differs in shape from the original; please report it")


def _check_no_placeholder(const: object, code: types.CodeType) -> None:
    if isinstance(const, (tuple, frozenset)) and any(type(c) is str and c.startswith(PREFIX) for c in const):
        raise RewriteError(f"{code.co_filename}: a hook placeholder was folded into a constant in "
                           f"{code.co_qualname}; please report it")


# -- swapping code ---------------------------------------------------------------------

def _register(plans: list[_Module], codes: set[int], private_objects: bool) -> None:
    registry = access.REGISTRY
    registry.codes |= codes
    registry.modules |= {plan.module.__name__ for plan in plans}
    registry.private_objects = private_objects
    registry.active += 1
    access_hooks.reset()


def _unregister(plans: list[_Module], codes: set[int], previous_private: bool) -> None:
    registry = access.REGISTRY
    registry.codes -= codes
    registry.modules -= {plan.module.__name__ for plan in plans}
    registry.private_objects = previous_private
    registry.active -= 1
    access_hooks.reset()
    cache = labels._label_cache
    for key in [key for key in cache if id(key[0]) in codes]:
        del cache[key]


def _functions() -> list[types.FunctionType]:
    return [obj for obj in gc.get_objects() if type(obj) is types.FunctionType]


def _swap_in(plans: list[_Module], swapped: list[tuple[types.FunctionType, types.CodeType]],
             report: Instrumentation) -> int:
    """Give every live function of the planned modules its rewritten code."""
    by_file = {plan.filename: plan for plan in plans}
    for func in _functions():
        code = func.__code__
        plan = by_file.get(code.co_filename)
        if plan is None:
            continue
        new = plan.forward.get(code)
        if new is None or func.__globals__ is not plan.module.__dict__:
            report.unmatched.append(f"{plan.module.__name__}.{func.__qualname__}")
            continue
        func.__code__ = new
        swapped.append((func, code))
    return len(swapped)


def _swap_out(plans: list[_Module], swapped: list[tuple[types.FunctionType, types.CodeType]]) -> None:
    """Put back every saved code object, and the original code into functions created since."""
    for func, code in reversed(swapped):
        func.__code__ = code
    backward = {id_: code for plan in plans for id_, code in plan.backward.items()}
    if not backward:
        return
    for func in _functions():
        original = backward.get(id(func.__code__))
        if original is not None:
            func.__code__ = original
