"""Ctrl-C during an exploration: deferred while the harness installs or restores, never lost.

A SIGINT becomes a KeyboardInterrupt at whatever bytecode the main thread is
running.  Landing in the middle of the code that installs or restores the
exploration's environment (clock twins, eventlet patches, guards, the hub),
it left half of it installed for the rest of the process.  So that code runs
*shielded*:

* ``shielded`` is ``contextlib.contextmanager`` for generators whose code
  before and after ``yield`` must not be interrupted; ``critical`` marks a
  plain function the same way.  While such code runs, a SIGINT is held back
  and raised as KeyboardInterrupt as soon as the outermost shielded code has
  finished, so a Ctrl-C during the install also undoes the install.
* The outermost shielded context manager installs the SIGINT handler for
  its whole extent (the body too), on the main thread only: a handler
  installed only while restoring would come too late for a signal that
  arrives as ``__exit__`` begins.  The handler looks at the interrupted
  frames: inside shielded code it blocks SIGINT and sends it again to this
  thread, so the kernel holds it until the shielded code unblocks it at its
  end; anywhere else it calls the previous handler (KeyboardInterrupt).
* A KeyboardInterrupt raised where Python cannot propagate it (a finalizer
  run by the garbage collector, a ``__del__``, library code that catches
  everything) would be lost, and the exploration would go on as if Ctrl-C had
  never been pressed: ``surface_lost`` raises it again at the end of the run,
  and the outermost shielded ``__exit__`` at the latest.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
import types
from collections.abc import Callable, Generator, Iterator
from typing import Any, Generic, ParamSpec, TypeVar, cast

from eventlet import patcher

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

_real_thread: Any = patcher.original("_thread")  # the OS thread, even under monkey_patch()
_Handler = Callable[[int, Any], Any]


class _State:
    """The shield's state: one per process (only the main thread receives signals)."""

    def __init__(self) -> None:
        self.depth = 0  # shielded context managers entered, outermost first
        self.previous: _Handler | None = None  # the handler ours replaced (None: not installed)
        self.held = False  # a SIGINT is blocked and pending, to be raised when the shield lifts
        self.raised = False  # our handler raised a KeyboardInterrupt not yet seen leaving the shield
        self.settling: types.FrameType | None = None  # the frame lifting the shield: not protected


_state = _State()
_PROTECTED: set[types.CodeType] = set()


def _protected(frame: types.FrameType | None) -> bool:
    """Whether ``frame`` or a caller of it is shielded code."""
    protected, settling = _PROTECTED, _state.settling
    while frame is not None:
        if frame.f_code in protected and frame is not settling:
            return True
        frame = frame.f_back
    return False


def _handler(signum: int, frame: types.FrameType | None) -> None:
    state = _state
    if _protected(frame):
        # Hold it: blocked, then sent again to this very thread, it stays pending in the
        # kernel until _settle unblocks it (sending it with SIGINT unblocked would recurse).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        signal.pthread_kill(_real_thread.get_ident(), signum)
        state.held = True
        return
    previous = state.previous
    if previous is None or not callable(previous):
        previous = signal.default_int_handler
    try:
        previous(signum, frame)
    except KeyboardInterrupt:
        state.raised = True
        raise


def _on_main_thread() -> bool:
    """Only the main thread receives signals (and its shield state is the one kept here)."""
    return bool(_real_thread.get_ident() == threading.main_thread().ident)


def _settle(frame: types.FrameType) -> None:
    """At the end of shielded code (``frame``): raise the held SIGINT, unless code further
    out is shielded too (it settles then)."""
    state = _state
    if not state.held or _protected(frame.f_back) or not _on_main_thread():
        return
    state.held = False
    state.settling = frame
    try:
        # The kernel delivers the pending SIGINT now; the handler raises it right here.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    finally:
        state.settling = None


def _begin() -> bool:
    """Enter a shielded context manager: the outermost installs the handler.  False on
    another thread than the main one: signals never interrupt it, there is nothing to do.

    The depth is counted only once the handler is in: a KeyboardInterrupt before
    that leaves nothing behind (a depth left at 1 would keep the shield off for good)."""
    if not _on_main_thread():
        return False
    state = _state
    if state.depth == 0:
        _install(state)
    state.depth += 1
    return True


def _install(state: _State) -> None:
    if state.held:  # left by an exploration that ended without settling: deliver it now
        state.held = False
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    state.raised = False
    previous = signal.getsignal(signal.SIGINT)
    if callable(previous) and previous is not _handler:  # not SIG_IGN, SIG_DFL, or set from C
        with contextlib.suppress(ValueError):  # not the main interpreter
            signal.signal(signal.SIGINT, _handler)
            state.previous = previous


def _end(active: bool) -> None:
    """Leave a shielded context manager: the outermost puts the previous handler back."""
    if not active:
        return
    state = _state
    state.depth -= 1
    if state.depth > 0 or state.previous is None:
        return
    previous, state.previous = state.previous, None
    signal.signal(signal.SIGINT, previous)
    if state.held:  # held while leaving, after the last settle: the previous handler raises it
        state.held = False
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _lift(frame: types.FrameType, active: bool) -> None:
    """The end of a shielded ``__enter__`` or ``__exit__``: raise a held SIGINT (through our
    handler, which is still in), then leave (the outermost takes the handler out)."""
    try:
        _settle(frame)
    finally:
        _end(active)


def installed() -> bool:
    """Whether the shield's SIGINT handler is installed (an exploration is running)."""
    return _state.previous is not None


def surface_lost() -> None:
    """Raise the KeyboardInterrupt that code under test swallowed since the shield went up
    (a finalizer, an ``except BaseException``): Ctrl-C must stop the exploration."""
    if _state.raised:
        _state.raised = False
        raise KeyboardInterrupt("interrupted (the KeyboardInterrupt was swallowed inside a run)")


class Shielded(Generic[T]):
    """The context manager ``shielded`` makes: a generator driven as by
    ``contextlib.contextmanager``, its ``__enter__`` and ``__exit__`` shielded."""

    def __init__(self, gen: Iterator[T]) -> None:
        self._gen = cast(Generator[T, None, None], gen)  # what a generator function returns
        self._active = False

    def __enter__(self) -> T:
        self._active = _begin()
        entered = False
        try:
            value = self._first()
            entered = True
        finally:
            if not entered:  # the install failed: its finally clauses undid it
                _lift(sys._getframe(), self._active)
        if _state.held and self._active and not _protected(sys._getframe().f_back):
            self._undo_install(sys._getframe())  # Ctrl-C came during the install: undo it, raise it
        return value

    def _first(self) -> T:
        try:
            return next(self._gen)
        except StopIteration:
            raise RuntimeError("generator didn't yield") from None

    def _undo_install(self, enter: types.FrameType) -> None:
        try:
            self._gen.close()  # runs the generator's finally clauses
        finally:
            _lift(enter, self._active)

    def __exit__(self, typ: type[BaseException] | None, value: BaseException | None,
                 tb: types.TracebackType | None) -> bool:
        try:
            return self._resume(typ, value, tb)
        finally:
            outermost = self._active and _state.depth == 1
            _lift(sys._getframe(), self._active)
            _lost_at_exit(typ, outermost)

    def _resume(self, typ: type[BaseException] | None, value: BaseException | None,
                tb: types.TracebackType | None) -> bool:
        """``contextlib.contextmanager``'s exit: resume the generator after its ``yield``."""
        if typ is None:
            try:
                next(self._gen)
            except StopIteration:
                return False
            raise RuntimeError("generator didn't stop")
        if value is None:
            value = typ()
        try:
            self._gen.throw(value)
        except StopIteration as exc:
            return exc is not value
        except BaseException as exc:
            if exc is value:
                exc.__traceback__ = tb
                return False
            raise
        raise RuntimeError("generator didn't stop after throw()")


def _lost_at_exit(typ: type[BaseException] | None, outermost: bool) -> None:
    """A KeyboardInterrupt leaving a shielded context manager was seen; at the outermost
    exit one our handler raised and nobody saw leave was lost: raise it."""
    if typ is not None and issubclass(typ, KeyboardInterrupt):
        _state.raised = False
    elif outermost:
        surface_lost()


def shielded(func: Callable[P, Iterator[T]]) -> Callable[P, Shielded[T]]:
    """``contextlib.contextmanager``, with the code before and after ``yield`` shielded."""

    @functools.wraps(func)
    def make(*args: P.args, **kwargs: P.kwargs) -> Shielded[T]:
        return Shielded(func(*args, **kwargs))

    return make


def critical(func: Callable[P, R]) -> Callable[P, R]:
    """Shield a plain function (a restore step that must run whole)."""

    @functools.wraps(func)
    def critical_call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        finally:
            _settle(sys._getframe())

    return critical_call


def _code_of(outer: Callable[..., Any], name: str) -> types.CodeType:
    """The code object of the function ``name`` defined inside ``outer``."""
    return next(c for c in outer.__code__.co_consts if isinstance(c, types.CodeType) and c.co_name == name)


_PROTECTED.update({Shielded.__enter__.__code__, Shielded.__exit__.__code__,
                   _code_of(critical, "critical_call")})
