"""Source labels for switch points: the user's line, not eventlet's.

A trace reads like the code when each switch is labelled with the eventlet
call that switched and the first frame outside eventlet and the harness, e.g.
``sleep at worker.py:12 in fetch``.
"""

from __future__ import annotations

import os
import sys

import eventlet

import harness

_INTERNAL_ROOTS = tuple(
    os.path.dirname(os.path.abspath(module.__file__ or "")) + os.sep for module in (eventlet, harness)
)
_internal_cache: dict[str, bool] = {}


def is_internal(filename: str) -> bool:
    """True for frames of eventlet, greenlet glue or the harness itself."""
    known = _internal_cache.get(filename)
    if known is None:
        known = filename.startswith(_INTERNAL_ROOTS) and "tests" + os.sep not in filename
        _internal_cache[filename] = known
    return known


def caller_label(depth: int = 2) -> str:
    """``<api> at <file>:<line> in <function>`` for the nearest user frame."""
    frame = sys._getframe(depth)
    api = ""
    while frame is not None:
        code = frame.f_code
        if not is_internal(code.co_filename):
            place = f"{os.path.basename(code.co_filename)}:{frame.f_lineno} in {code.co_name}"
            return f"{api} at {place}" if api else place
        api = code.co_name
        frame = frame.f_back  # type: ignore[assignment]
    return api or "?"
