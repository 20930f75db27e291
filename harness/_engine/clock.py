"""Virtual time: every clock the code under test reads follows the run's clock.

During an exploration the clock sources are replaced by twins that return the
active run's virtual time when called from the run's OS thread, and the real
clock otherwise (between runs, from other threads).  All virtual clocks start
at ``EPOCH`` (2026-01-01T00:00:00Z) and agree.

The sources (``TIME_NAMES`` and two classes): ``time.time``, ``time.monotonic``,
``time.perf_counter``, their ``*_ns`` forms, the argument-less forms of
``time.localtime``, ``gmtime``, ``ctime``, ``asctime`` and ``strftime``, and
the classes ``datetime.datetime`` (``now``, ``utcnow``, ``today``) and
``datetime.date`` (``today``).  Library helpers built on them follow, e.g.
``oslo_utils.timeutils.utcnow()`` (``datetime.datetime.now``) and
``timeutils.StopWatch`` (``now = time.monotonic``).

The rule: at the start of an exploration, every reference *by identity* to a
real source, held in one of these places, is rebound to its virtual twin and
restored when the exploration ends:

1. the attributes of the ``time`` and ``datetime`` modules themselves;
2. the globals of every module in ``sys.modules`` (``from time import
   monotonic``, ``now = time.monotonic``, ``from datetime import datetime``);
3. the attributes of classes defined in those modules (``clock = time.time``
   or ``stamp = staticmethod(time.time)`` in a class body; the twin goes in as a
   staticmethod, so ``self.clock()`` still calls it without ``self``);
4. the ``__defaults__``, ``__kwdefaults__`` and closure cells of the functions
   found in 2 and 3 (module functions, methods, static and class methods,
   property accessors): ``def f(now=time.monotonic)``, and a closure over a
   clock made at import time and kept in a module global.

Not covered: references held anywhere else (an instance attribute, a list or
dict, ``functools.partial(time.time)``, a closure made at import time and kept
on an instance), C code reading the system clock, ``time.process_time`` and
``thread_time`` (CPU clocks, deliberately real), and the real ``datetime``
class reached through an existing instance (``some_datetime.now()``).  Those
reads are *detected* instead: the first run of every exploration (or every run,
``clock_audit="all"``; none, ``"off"``) watches calls into the real
``time.time``/``monotonic``/``perf_counter`` (and ``*_ns``) and
``datetime.now``/``utcnow``/``today``/``date.today`` with a profile hook, and
reports each place that read the real clock once per exploration, as a
``RealClockRead`` warning at that line and a ``real-clock`` event in the
trace.  (The calendar functions are not audited: called with an explicit time
they are legitimate, and a profile hook cannot see arguments.)
"""

from __future__ import annotations

import contextlib
import copyreg
import datetime as _datetime_module
import functools
import sys
import time
import types
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from harness._engine import points
from harness._engine.clock_unbind import functions_in, unbind_new_modules
from harness._engine.interrupts import shielded
from harness._engine.kinds import EventKind

EPOCH = 1_767_225_600.0
EPOCH_NS = 1_767_225_600 * 1_000_000_000
CLOCK_NAMES = ("time", "monotonic", "perf_counter")
NS_NAMES = ("time_ns", "monotonic_ns", "perf_counter_ns")
CALENDAR_NAMES = ("localtime", "gmtime", "ctime", "asctime", "strftime")
TIME_NAMES = CLOCK_NAMES + NS_NAMES + CALENDAR_NAMES
REAL: dict[str, Callable[..., Any]] = {name: getattr(time, name) for name in TIME_NAMES}
real_time: Callable[[], float] = REAL["time"]
real_monotonic: Callable[[], float] = REAL["monotonic"]
real_perf_counter: Callable[[], float] = REAL["perf_counter"]
REAL_DATETIME = _datetime_module.datetime
REAL_DATE = _datetime_module.date
AUDIT_POLICIES = ("off", "first", "all")


class RealClockRead(UserWarning):
    """Code under test read the real clock during a harness run (a path the harness
    does not virtualise); the run may not replay, and timeouts may not mean what they say."""


def _now() -> float | None:
    run = points.active_run()
    return None if run is None else run.now()


# -- the time module's twins ------------------------------------------------------
def _float_clock(name: str) -> Callable[[], float]:
    real = REAL[name]

    def clock() -> float:
        now = _now()
        return float(real()) if now is None else now

    return clock


def _ns_clock(name: str) -> Callable[[], int]:
    real = REAL[name]

    def clock() -> int:
        now = _now()
        return int(real()) if now is None else EPOCH_NS + round((now - EPOCH) * 1e9)

    return clock


def _calendar(name: str) -> Callable[..., Any]:
    """``localtime(secs=None)`` and friends: a missing time argument means "now"."""
    real = REAL[name]
    real_localtime = REAL["localtime"]

    def convert(*args: Any) -> Any:
        # strftime(format[, t]); asctime([t]); localtime/gmtime/ctime([secs])
        given = args[1:] if name == "strftime" else args
        now = _now()
        if now is None or (given and given[0] is not None):
            return real(*args)
        if name == "strftime":
            return real(args[0], real_localtime(now))
        if name == "asctime":
            return real(real_localtime(now))
        return real(now)

    return convert


def _named(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    function.__name__ = name
    function.__qualname__ = f"virtual_{name}"
    function.__doc__ = f"Virtual-time {name}() inside a harness run; the real one outside."
    return function


VIRTUAL: dict[str, Callable[..., Any]] = {
    **{name: _named(_float_clock(name), name) for name in CLOCK_NAMES},
    **{name: _named(_ns_clock(name), name) for name in NS_NAMES},
    **{name: _named(_calendar(name), name) for name in CALENDAR_NAMES},
}


# -- the datetime twins -----------------------------------------------------------
class _PosingAs(type):
    """Metaclass of the datetime twins: ``isinstance(real_value, datetime.datetime)``
    stays true while the name is bound to the twin."""

    real: type

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, cls.real)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls.real)


class VirtualDate(REAL_DATE, metaclass=_PosingAs):
    """``datetime.date`` during an exploration: ``today()`` reads the run's clock.
    Every value it makes is a real ``date``; it poses as ``datetime.date`` for pickle."""

    real = REAL_DATE

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is VirtualDate:
            return REAL_DATE(*args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    @classmethod
    def today(cls) -> Any:
        now = _now()
        return REAL_DATE.today() if now is None else REAL_DATE.fromtimestamp(now)


class VirtualDatetime(REAL_DATETIME, metaclass=_PosingAs):
    """``datetime.datetime`` during an exploration: ``now()``, ``utcnow()`` and
    ``today()`` read the run's clock.  Every value it makes is a real ``datetime``."""

    real = REAL_DATETIME

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is VirtualDatetime:
            return REAL_DATETIME(*args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        now = _now()
        return REAL_DATETIME.now(tz) if now is None else REAL_DATETIME.fromtimestamp(now, tz)

    @classmethod
    def utcnow(cls) -> Any:
        now = _now()
        if now is None:
            return REAL_DATETIME.utcnow()
        return REAL_DATETIME.fromtimestamp(now, _datetime_module.timezone.utc).replace(tzinfo=None)

    @classmethod
    def today(cls) -> Any:
        return cls.now()


for _twin, _real in ((VirtualDate, REAL_DATE), (VirtualDatetime, REAL_DATETIME)):
    _twin.__module__ = _real.__module__  # pickle finds the twin where it finds the class
    _twin.__name__ = _twin.__qualname__ = _real.__name__

TWINS: dict[int, Any] = {id(REAL[name]): VIRTUAL[name] for name in TIME_NAMES}
TWINS[id(REAL_DATETIME)] = VirtualDatetime
TWINS[id(REAL_DATE)] = VirtualDate
_REAL_IDS = frozenset(TWINS)  # the real sources live as long as the process: ids are safe
REALS: dict[int, Any] = {id(VIRTUAL[name]): REAL[name] for name in TIME_NAMES}
REALS[id(VirtualDatetime)] = REAL_DATETIME
REALS[id(VirtualDate)] = REAL_DATE
_SKIP_MODULES = frozenset({__name__, "time", "datetime", "_datetime", "_pydatetime"})


def _is_real(value: object) -> bool:
    return id(value) in _REAL_IDS


# -- installing ---------------------------------------------------------------------
Undo = Callable[[], None]


@shielded  # a Ctrl-C while (un)installing would leave clocks virtual: see interrupts.py
def virtual_clocks(audit: str = "first") -> Iterator[int]:
    """Install the virtual clocks for the duration; yields how many bindings were patched.

    ``audit`` says which runs watch for real-clock reads: ``off``, ``first``
    (the first run of the exploration) or ``all``.
    """
    global _audit
    undo: list[Undo] = []
    previous = _audit
    known = {id(module) for module in list(sys.modules.values())}
    try:
        _install(undo)
        _audit = _Audit(audit)
        yield len(undo)
    finally:
        _audit = previous
        # modules first imported meanwhile bound twins that no undo record knows of
        unbind_new_modules(known, REALS, _SKIP_MODULES)
        for step in reversed(undo):
            step()


def _install(undo: list[Undo]) -> None:
    for name in TIME_NAMES:
        _set_attr(time, name, VIRTUAL[name], undo)
    _set_attr(_datetime_module, "datetime", VirtualDatetime, undo)
    _set_attr(_datetime_module, "date", VirtualDate, undo)
    for twin in (REAL_DATETIME, REAL_DATE):
        _set_pickling(twin, undo)
    for mod_name, module in list(sys.modules.items()):
        if module is None or mod_name in _SKIP_MODULES:
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        # An identity test at C speed first: almost no module holds a clock, and
        # a Python loop over every global of every module costs ~10 ms per run.
        if not _REAL_IDS.isdisjoint(map(id, namespace.values())):
            _rebind_globals(namespace, undo)
        for holder in _holders(mod_name, module, namespace):
            _rebind_holder(holder, undo)


def _set_attr(owner: Any, name: str, value: Any, undo: list[Undo]) -> None:
    original = owner.__dict__[name]
    setattr(owner, name, value)
    undo.append(lambda: setattr(owner, name, original))


def _set_pickling(real: type, undo: list[Undo]) -> None:
    """Pickle real dates through the twin (same bytes): pickle insists that
    ``datetime.datetime`` is the class it pickles, and for now it is the twin."""
    twin = TWINS[id(real)]
    had = copyreg.dispatch_table.get(real)
    copyreg.dispatch_table[real] = lambda value: (twin, value.__reduce__()[1])

    def restore() -> None:
        if had is None:
            copyreg.dispatch_table.pop(real, None)
        else:
            copyreg.dispatch_table[real] = had

    undo.append(restore)


def _rebind_globals(namespace: dict[str, Any], undo: list[Undo]) -> None:
    for key, value in list(namespace.items()):
        if _is_real(value):
            namespace[key] = TWINS[id(value)]
            undo.append(functools.partial(namespace.__setitem__, key, value))


# -- places other than module globals (rule items 3 and 4) ------------------------
_scanned: dict[str, tuple[Any, int, list[Any]]] = {}


def _holders(mod_name: str, module: Any, namespace: dict[str, Any]) -> list[Any]:
    """The classes and functions of a module that hold a real clock elsewhere than
    in a module global; cached per module (a scan of every function is slow)."""
    cached = _scanned.get(mod_name)
    if cached is not None and cached[0] is module and cached[1] == len(namespace):
        return cached[2]
    found: list[Any] = []
    for value in list(namespace.values()):
        if isinstance(value, types.FunctionType):
            # not our own twins (a global rebound a moment ago): their cells hold the real clock
            if value.__module__ != __name__ and _function_holds(value):
                found.append(value)
        elif isinstance(value, type) and value.__module__ == mod_name:
            found.extend(_class_holders(value))
    _scanned[mod_name] = (module, len(namespace), found)
    return found


def _class_holders(cls: type) -> list[Any]:
    found: list[Any] = []
    for value in list(vars(cls).values()):
        if _is_real(_unwrapped(value)):
            found.append(cls)
            continue
        for function in functions_in(value):
            if _function_holds(function):
                found.append(function)
    return found


def _function_holds(function: types.FunctionType) -> bool:
    defaults = function.__defaults__ or ()
    kwdefaults = function.__kwdefaults__ or {}
    cells = function.__closure__ or ()
    return (any(map(_is_real, defaults)) or any(map(_is_real, kwdefaults.values()))
            or any(_is_real(_cell_value(cell)) for cell in cells))


def _cell_value(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _unwrapped(value: Any) -> Any:
    return value.__func__ if isinstance(value, staticmethod) else value


def _rebind_holder(holder: Any, undo: list[Undo]) -> None:
    if isinstance(holder, type):
        for name, value in list(vars(holder).items()):
            real = _unwrapped(value)
            if _is_real(real):
                twin = TWINS[id(real)]
                # the real clocks are builtins, which do not bind to instances; the
                # twins are Python functions, which would: keep ``self.clock()`` working
                with contextlib.suppress(TypeError, AttributeError):  # an immutable (C) type
                    _set_attr(holder, name, twin if isinstance(twin, type) else staticmethod(twin), undo)
        return
    _rebind_function(holder, undo)


def _rebind_function(function: types.FunctionType, undo: list[Undo]) -> None:
    defaults = function.__defaults__
    if defaults and any(map(_is_real, defaults)):
        function.__defaults__ = tuple(_twin_of(value) for value in defaults)
        undo.append(lambda: setattr(function, "__defaults__", defaults))
    kwdefaults = function.__kwdefaults__
    if kwdefaults and any(map(_is_real, kwdefaults.values())):
        function.__kwdefaults__ = {key: _twin_of(value) for key, value in kwdefaults.items()}
        undo.append(lambda: setattr(function, "__kwdefaults__", kwdefaults))
    for cell in function.__closure__ or ():
        value = _cell_value(cell)
        if _is_real(value):
            cell.cell_contents = TWINS[id(value)]
            undo.append(functools.partial(setattr, cell, "cell_contents", value))


def _twin_of(value: Any) -> Any:
    return TWINS[id(value)] if _is_real(value) else value


# -- detecting what is not covered ------------------------------------------------
_AUDITED_IDS = frozenset(id(REAL[name]) for name in CLOCK_NAMES + NS_NAMES)
_AUDITED_METHODS = frozenset({"now", "utcnow", "today"})


class _Audit:
    """Which runs of the current exploration watch for real-clock reads, and what was reported."""

    def __init__(self, policy: str) -> None:
        if policy not in AUDIT_POLICIES:
            raise ValueError(f"clock_audit must be one of {', '.join(AUDIT_POLICIES)}, got {policy!r}")
        self.policy = policy
        self.runs = 0
        self.reported: set[tuple[str, int, str]] = set()

    def wants(self) -> bool:
        self.runs += 1
        return self.policy == "all" or (self.policy == "first" and self.runs == 1)


_audit: _Audit | None = None


def audited(run: Any) -> AbstractContextManager[object]:
    """Around ``run.execute()``: watch this run for real-clock reads if the policy says so."""
    audit = _audit
    if audit is None or not audit.wants() or sys.getprofile() is not None:
        return nullcontext()
    return _watching(run, audit)


@shielded
def _watching(run: Any, audit: _Audit) -> Iterator[None]:
    found: list[tuple[str, int, str]] = []
    note = run.note

    def profile(frame: types.FrameType, event: str, arg: Any) -> None:
        if event != "c_call":
            return
        if id(arg) in _AUDITED_IDS:
            what = f"time.{arg.__name__}()"
        elif _is_real_class(getattr(arg, "__self__", None)) and arg.__name__ in _AUDITED_METHODS:
            what = f"datetime.{arg.__self__.__name__}.{arg.__name__}()"
        else:
            return
        if frame.f_globals.get("__name__") == __name__ or points.active_run() is not run:
            return
        where = (frame.f_code.co_filename, frame.f_lineno, what)
        if where not in audit.reported:
            audit.reported.add(where)
            found.append(where)
            note(EventKind.REAL_CLOCK, f"{what} read the real clock at {_place(where)}")

    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(None)
    for filename, lineno, what in found:  # reported at the line that read the clock
        warnings.warn_explicit(RealClockRead(
            f"{what} read the real clock during a harness run: the harness virtualises time.*, "
            "datetime.* and clocks bound in module globals, class attributes, default arguments "
            "and closure cells, not this one. Read the clock through the time or datetime module "
            "at call time (see docs/racing-your-code.md, 'Clocks')."), RealClockRead, filename, lineno)


def _is_real_class(owner: object) -> bool:
    return owner is REAL_DATETIME or owner is REAL_DATE


def _place(where: tuple[str, int, str]) -> str:
    return f"{where[0]}:{where[1]}"
