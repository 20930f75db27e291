"""race-harness: deterministic interleaving exploration for eventlet programs.

The public surface: ``explore`` and ``replay`` a target, the ``yield_point``
family that instrumentation and fakes call, schedules, targets and errors.
"""

from __future__ import annotations

import warnings as _warnings

# First of all: when this process is the race-harness command, a Ctrl-C during
# the imports below is one line and exit 130, not a traceback (see _startup.py).
from harness import _startup  # noqa: F401

# eventlet announces its own deprecation on import; the harness exists to test
# eventlet code, so that one message (and only it) is noise here.
_warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from harness._engine.footprint import Footprint
from harness._engine.points import (
    current_thread_name,
    in_run,
    io_point,
    note,
    now,
    record_failure,
    touch,
    violation,
    yield_point,
)
from harness._engine.results import RunResult
from harness._errors import (
    DeadlockError,
    HarnessError,
    HubBypassError,
    InvalidSchedule,
    InvalidSetting,
    NondeterminismDetected,
    RunRefused,
    ScheduleDivergence,
    StaleSchedule,
    StepLimitExceeded,
    UncontrolledConcurrency,
    UnknownTarget,
)
from harness._options import Model
from harness._schedule import Schedule
from harness._search.explore import Exploration, explore, replay
from harness._search.failures import Failure
from harness._search.session import RunSpec
from harness._settings import Settings
from harness._targets import Expectation, Registry, Target, fingerprint_of

__all__ = [
    "DeadlockError",
    "Expectation",
    "Exploration",
    "Failure",
    "Footprint",
    "HarnessError",
    "HubBypassError",
    "InvalidSchedule",
    "InvalidSetting",
    "Model",
    "NondeterminismDetected",
    "Registry",
    "RunRefused",
    "RunResult",
    "RunSpec",
    "Schedule",
    "ScheduleDivergence",
    "Settings",
    "StaleSchedule",
    "StepLimitExceeded",
    "Target",
    "UncontrolledConcurrency",
    "UnknownTarget",
    "current_thread_name",
    "explore",
    "fingerprint_of",
    "in_run",
    "io_point",
    "note",
    "now",
    "record_failure",
    "replay",
    "touch",
    "violation",
    "yield_point",
]
