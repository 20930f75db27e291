"""Binding a run to its OS thread, and unbinding it, each as one step a Ctrl-C cannot split.

A run installs its ``DeterministicHub`` as the thread's eventlet hub and
itself as the thread's active run (``points``).  A KeyboardInterrupt between
two of those assignments used to leave the run's hub installed, or the run
active, after the run: every later eventlet call in the process then went to
a dead run.  Both steps are ``interrupts.critical``: a Ctrl-C is raised once
the step is whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventlet import hubs

from harness._engine import interrupts, points

if TYPE_CHECKING:
    from harness._engine.hub import DeterministicHub
    from harness._engine.run import Run


@interrupts.critical
def enter(run: Run, hub: DeterministicHub) -> None:
    """Make ``hub`` this thread's hub and ``run`` its active run."""
    hubs._threadlocal.hub = hub
    points._set_active(run)


@interrupts.critical
def leave(saved: Any) -> None:
    """Put back the hub the thread had (None: eventlet makes one when asked) and no active run."""
    points._set_active(None)
    local = hubs._threadlocal
    if saved is None:
        local.__dict__.pop("hub", None)
    else:
        local.hub = saved
