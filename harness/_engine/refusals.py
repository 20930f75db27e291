"""Guards against concurrency and I/O the scheduler cannot control.

A run is only reproducible if everything that can interleave goes through the
deterministic hub.  During an exploration these entry points are wrapped so
that, when called from a greenthread of an active run, they fail the run with
a clear error instead of silently escaping the scheduler:

* ``threading.Thread.start`` and ``_thread.start_new_thread`` (a native
  thread runs outside the hub);
* blocking socket calls on real sockets (``connect``, ``connect_ex``,
  ``create_connection``, ``getaddrinfo``): the run would wait on the world;
* ``subprocess.Popen``, ``os.system`` and ``os.fork`` (another process, real time);
* ``eventlet.hubs.use_hub`` (a second hub would take over scheduling).
* ``input()`` and reads of ``sys.stdin`` (the run would wait on the terminal:
  ``StdinRefused``, see ``stdin.py``).

``strict=False`` turns the errors into ``UncontrolledConcurrency`` warnings
recorded in the trace (the call then goes ahead).  Outside a run the wrapped
functions behave exactly as before.
"""

from __future__ import annotations

import _thread
import builtins
import functools
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from eventlet import hubs

from harness._engine import points
from harness._engine.interrupts import shielded
from harness._engine.stdin import guard_input, guard_stdin
from harness._engine.stdlib import green_threads
from harness._engine.uncontrolled import fail_or_warn
from harness._errors import HubBypassError, UncontrolledConcurrency


def _refusal(what: str, kind: type[Exception], advice: str,
             permitted: Callable[[], bool] | None = None) -> Callable[[Callable[..., Any], bool], Any]:
    """``permitted``: when it answers True the call is under the scheduler after all."""

    def decorate(original: Callable[..., Any], strict: bool) -> Callable[..., Any]:
        @functools.wraps(original)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            run = points.active_run()
            if run is not None and not (permitted is not None and permitted()):
                message = f"{what} inside a harness run ({run.thread_name()}): {advice}"
                fail_or_warn(run, kind, message, strict, stacklevel=2)
            return original(*args, **kwargs)

        return guarded

    return decorate


_THREAD = _refusal(
    "a native thread was started", UncontrolledConcurrency,
    "the scheduler cannot interleave OS threads; use eventlet.spawn, or monkey-patch threading",
    permitted=green_threads,  # after eventlet.monkey_patch() a "thread" is a greenthread
)
_SOCKET = _refusal(
    "a real socket call was made", HubBypassError,
    "real network I/O makes the run depend on the outside world; route it through a fake "
    "(for HTTP, a requests-mock adapter)",
)
_PROCESS = _refusal(
    "a subprocess was started", UncontrolledConcurrency,
    "another process runs on real time outside the scheduler; fake it for the run",
)
_SHELL = _refusal(
    "a shell command was run", UncontrolledConcurrency,
    "another process runs on real time outside the scheduler; fake it for the run",
)
_FORK = _refusal(
    "the process was forked", UncontrolledConcurrency,
    "a forked process runs on real time outside the scheduler; fake it for the run",
)
_HUB = _refusal(
    "eventlet.hubs.use_hub was called", UncontrolledConcurrency,
    "a second hub would take scheduling away from the harness; install hubs outside the run",
)


@shielded  # installed and undone whole, even on Ctrl-C: see interrupts.py
def guarded(strict: bool = True) -> Iterator[None]:
    """Wrap the uncontrolled entry points for the duration of an exploration."""
    patches: list[tuple[Any, str, Any]] = [
        (threading.Thread, "start", _THREAD),
        (_thread, "start_new_thread", _THREAD),
        (socket.socket, "connect", _SOCKET),
        (socket.socket, "connect_ex", _SOCKET),
        (socket, "create_connection", _SOCKET),
        (socket, "getaddrinfo", _SOCKET),
        (subprocess.Popen, "__init__", _PROCESS),
        (os, "system", _SHELL),
        (os, "fork", _FORK),
        (hubs, "use_hub", _HUB),
        (builtins, "input", guard_input),
        (sys, "stdin", guard_stdin),
    ]
    saved: list[tuple[Any, str, Any, bool]] = []
    try:
        for owner, name, refusal in patches:
            own = name in vars(owner)
            original = vars(owner)[name] if own else getattr(owner, name)
            wrapped = refusal(original, strict)
            saved.append((owner, name, original, own))
            setattr(owner, name, wrapped)
        yield
    finally:
        for owner, name, original, own in reversed(saved):
            if own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
