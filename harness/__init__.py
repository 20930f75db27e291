"""race-harness: deterministic interleaving exploration for eventlet programs."""

from __future__ import annotations

import warnings as _warnings

# eventlet announces its own deprecation on import; the harness exists to test
# eventlet code, so that one message (and only it) is noise here.
_warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from harness.errors import (
    DeadlockError,
    HarnessError,
    HubBypassError,
    InvalidSchedule,
    InvalidSetting,
    NondeterminismDetected,
    ScheduleDivergence,
    StaleSchedule,
    StepLimitExceeded,
    UncontrolledConcurrency,
    UnknownTarget,
)
from harness.points import (
    current_thread_name,
    in_run,
    io_point,
    note,
    now,
    record_failure,
    yield_point,
)
from harness.targets import Expectation, Registry, Target, fingerprint_of

__all__ = [
    "DeadlockError",
    "Expectation",
    "HarnessError",
    "HubBypassError",
    "InvalidSchedule",
    "InvalidSetting",
    "NondeterminismDetected",
    "Registry",
    "ScheduleDivergence",
    "StaleSchedule",
    "StepLimitExceeded",
    "Target",
    "UncontrolledConcurrency",
    "UnknownTarget",
    "current_thread_name",
    "fingerprint_of",
    "in_run",
    "io_point",
    "note",
    "now",
    "record_failure",
    "yield_point",
]

from harness.explore import Exploration, Failure, explore, replay  # noqa: E402
from harness.schedule import Schedule  # noqa: E402
from harness.scheduler import RunResult  # noqa: E402
from harness.settings import Settings  # noqa: E402

__all__ += ["Exploration", "Failure", "RunResult", "Schedule", "Settings", "explore", "replay"]
