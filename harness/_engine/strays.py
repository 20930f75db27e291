"""Greenthreads started outside the run (at import, in a fixture, on another hub) that the
run wakes: recognised by their parent chain, and refused, since the run cannot drive them.
Friend module of ``run.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import greenlet

from harness._engine import labels
from harness._errors import UncontrolledConcurrency

if TYPE_CHECKING:
    from harness._engine.hub import Entry
    from harness._engine.run import Run


def foreign(run: Run, thread: greenlet.greenlet) -> bool:
    """True for a greenthread started outside this run (at import, in a fixture, on
    another hub): its parents lead to neither this run's hub nor one of its threads."""
    if not run._by_id:  # gt0, which execute() is spawning
        return False
    hub, threads = run.hub_greenlet, run._threads
    link = thread.parent
    while link is not None:
        if link is hub or link in threads:
            return False
        link = link.parent
    return True

def refuse(run: Run, entry: Entry, thread: greenlet.greenlet, current: greenlet.greenlet) -> None:
    """Running it here would hand control to its own hub when it ends (a hang on real
    time), so its wake-up is dropped and the run fails."""
    entry.timer.called = True  # dead: the hub drops it
    waker = run._threads.get(current)
    run._record(UncontrolledConcurrency(
        f"{labels.spawned_name(thread)} was started outside this harness run and woken inside it "
        f"(by {waker.name if waker else 'the hub'}): it belongs to another hub, so the scheduler "
        "cannot run it. Start every greenthread inside the run (in the target's body), not at "
        "import time or in a fixture."), waker.name if waker else "hub")
