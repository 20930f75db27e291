"""Source labels for switch points: the user's line, not eventlet's.

A trace reads like the code when each switch is labelled with the eventlet
call that switched and the first frame outside eventlet and the harness, e.g.
``sleep at worker.py:12 in fetch``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import eventlet
import greenlet

# eventlet's package and the harness's (two levels up from this file).
_INTERNAL_ROOTS = (
    os.path.dirname(os.path.abspath(eventlet.__file__ or "")) + os.sep,
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
)
_internal_cache: dict[str, bool] = {}


def is_internal(filename: str) -> bool:
    """True for frames of eventlet, greenlet glue or the harness itself."""
    known = _internal_cache.get(filename)
    if known is None:
        known = filename.startswith(_INTERNAL_ROOTS) and "tests" + os.sep not in filename
        _internal_cache[filename] = known
    return known


# (code, instruction offset, api) -> label: a switch site is labelled once, not
# at every switch (this runs on every switch of every run).
_label_cache: dict[tuple[object, int, str], str] = {}


def caller_label(depth: int = 2) -> str:
    """``<api> at <file>:<line> in <function>`` for the nearest user frame."""
    frame = sys._getframe(depth)
    api = ""
    internal_cache = _internal_cache
    while frame is not None:
        code = frame.f_code
        internal = internal_cache.get(code.co_filename)
        if internal is None:
            internal = is_internal(code.co_filename)
        if not internal:
            key = (code, frame.f_lasti, api)
            label = _label_cache.get(key)
            if label is None:
                place = f"{os.path.basename(code.co_filename)}:{frame.f_lineno} in {code.co_name}"
                label = _label_cache[key] = f"{api} at {place}" if api else place
            return label
        api = code.co_name
        frame = frame.f_back  # type: ignore[assignment]
    return api or "?"


def caller_place(depth: int = 2) -> str:
    """``<file>:<line> in <function>`` of the nearest frame outside eventlet and the harness."""
    frame = sys._getframe(depth)
    while frame is not None:
        code = frame.f_code
        if not is_internal(code.co_filename):
            return f"{os.path.basename(code.co_filename)}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def spawned_name(thread: greenlet.greenlet) -> str:
    """``a greenthread blocked at worker.py:12 in wait_for_it``: its innermost user frame."""
    frame, place = thread.gr_frame, ""
    while frame is not None:
        if not is_internal(frame.f_code.co_filename):
            place = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} in {frame.f_code.co_name}"
            break
        frame = frame.f_back
    return f"a greenthread blocked at {place}" if place else "a greenthread"


def spawned_function(timer: Any) -> str:
    """The qualified name of the function a spawn timer starts (``spawn(f, ...)``), or ''."""
    _callback, args, _kwargs = timer.tpl
    if args and callable(args[0]):
        return getattr(args[0], "__qualname__", "")
    return ""
