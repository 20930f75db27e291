"""What the run does when the code under test escapes the scheduler: with ``strict`` fail it
(the error is a ``RunRefused``: no verdict), else note a warning in its trace and go on."""

from __future__ import annotations

import warnings

from harness._engine.hooks import ActiveRun
from harness._engine.kinds import EventKind


def fail_or_warn(run: ActiveRun, kind: type[Exception], message: str, strict: bool, stacklevel: int) -> None:
    """Fail ``run`` with ``kind(message)`` and raise it (strict), or warn and return.
    ``stacklevel`` counts from the caller, as for ``warnings.warn``."""
    if strict:
        error = kind(message)
        run.fail(error)
        raise error
    run.note(EventKind.WARNING, message)
    warnings.warn(message, RuntimeWarning, stacklevel=stacklevel + 1)
