"""The harness's error family: every error the harness raises on purpose is a
``HarnessError``, and every message says what happened and what to do next."""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


class InvalidSchedule(HarnessError):
    """A schedule string could not be parsed; the message names the bad part."""


class ScheduleDivergence(HarnessError):
    """A replayed schedule asked for a choice the program no longer offers."""


class StaleSchedule(UserWarning):
    """A schedule recorded on other code (fingerprint differs) is being replayed."""


class DeadlockError(HarnessError):
    """Nothing can run, no timer is pending, and greenthreads are still blocked."""


class StepLimitExceeded(HarnessError):
    """A run took more scheduling steps than allowed: a livelock or a runaway loop."""


class RunRefused(HarnessError):
    """Base of the refusals: the code under test escaped the scheduler, so the run was stopped.

    A refused run is no verdict on the race (neither a failure nor a pass): the
    CLI exits 125 (``git bisect run`` skips the commit) and
    ``Exploration.refused`` is true.
    """


class HubBypassError(RunRefused):
    """Code under the harness waited on a real file descriptor or socket.

    A real wait would make the run depend on the outside world, so the harness
    refuses it.  Route the I/O through a fake (for HTTP, a requests-mock adapter).
    """


class UnknownTarget(HarnessError):
    """A target name matches no registered scenario and no importable callable."""


class InvalidSetting(HarnessError):
    """A setting (argument or RACE_* environment variable) has an invalid value."""


class UncontrolledConcurrency(RunRefused):
    """Code under the harness started concurrency the scheduler cannot control."""


class NondeterminismDetected(HarnessError):
    """Replaying the same schedule gave a different trace."""


class TpoolRefused(UncontrolledConcurrency):
    """``eventlet.tpool.execute`` was called in a run: it runs work on real OS threads."""


class StdinRefused(RunRefused):
    """Code under the harness read the real standard input (``input()``, ``sys.stdin``).

    A run that waits on the terminal or a pipe depends on the outside world (and
    hangs an unattended CI job), so the harness refuses it like other real I/O.
    """
