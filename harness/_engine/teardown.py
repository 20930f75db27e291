"""The end of a run: judging what is left (escaped exceptions nobody observed, a
deadlock), and stopping every greenthread still alive so that none outlives it.

Friend module of ``run.py``: these functions read the run's bookkeeping.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

import greenlet

from harness._engine import escapes, interrupts
from harness._engine.kinds import EventKind
from harness._errors import DeadlockError, HarnessError

if TYPE_CHECKING:
    from harness._engine.hub import DeterministicHub
    from harness._engine.run import Run


def check_end(run: Run, hub: DeterministicHub) -> None:
    """Judge what the run left: an exception nobody observed fails it, and so do
    greenthreads blocked forever (a deadlock), unless the horizon stopped the run."""
    for thread, exc in run._escaped:
        info = run._threads[thread]
        if not info.observed:
            escapes.unhandled(run, exc, info.name)
            if run.failures:
                return
    if run.stop_reason == "horizon":
        return
    blocked = [t for t in run._by_id if t and not t.dead and t is not greenlet.getcurrent()]
    if blocked:
        run.stop_reason = "deadlock"
        run._record(DeadlockError(deadlock_message(run, blocked)), "hub", "")


def deadlock_message(run: Run, blocked: list[greenlet.greenlet]) -> str:
    parts = ["nothing can run, no timer is pending, and these greenthreads are blocked forever:"]
    for thread in blocked:
        info = run._threads[thread]
        stack = "".join(traceback.format_stack(thread.gr_frame)) if thread.gr_frame else ""
        parts.append(f"  {info.name} blocked at {info.label}\n{_indent(stack)}")
    parts.append("A lost wakeup or a circular wait; replay the schedule to watch it happen.")
    return "\n".join(parts)


@interrupts.critical  # a Ctrl-C waits until every greenthread is stopped
def teardown(run: Run, hub: DeterministicHub) -> None:
    """Stop every greenthread still alive, in id order; none outlives the run.

    A KeyboardInterrupt may have ended the run half-way through the hub's
    bookkeeping of a timer (armed in ``ready`` but not yet in its index, or
    fired but still indexed): the index is not trusted from here on, and the
    timers are found by scanning ``ready`` (a KeyError from the index used
    to replace the KeyboardInterrupt)."""
    hub.stale = True
    run.stopping = True
    for _round in range(3):
        alive = [t for t in run._by_id if not t.dead and t is not greenlet.getcurrent()]
        if not alive:
            break
        for thread in alive:
            if not thread.dead:
                kill(run, thread)
        drain(run, hub)
    survivors = [run._threads[t].name for t in run._by_id if not t.dead]
    if survivors and run.interrupted is None:
        run._record(HarnessError(
            f"greenthreads {', '.join(survivors)} would not stop (they swallow GreenletExit)"), "hub")
    hub.clear()


def kill(run: Run, thread: greenlet.greenlet) -> None:
    try:
        thread.throw(greenlet.GreenletExit)
    except greenlet.GreenletExit:
        pass
    except (KeyboardInterrupt, SystemExit) as exc:
        interrupted_in_teardown(run, exc)
    except BaseException as exc:  # noqa: BLE001
        run._add(run._threads[thread].name, EventKind.STOP, f"raised while stopping: {exc!r}")


def drain(run: Run, hub: DeterministicHub) -> None:
    budget = run.config.teardown_steps
    while budget > 0:
        candidates = hub.candidates()
        if not candidates:
            if not hub.advance(None):
                return
            continue
        budget -= 1
        try:
            run._fire(hub, candidates[0])
        except (KeyboardInterrupt, SystemExit) as exc:
            interrupted_in_teardown(run, exc)


def interrupted_in_teardown(run: Run, exc: BaseException) -> None:
    """An interrupt while stopping greenthreads: finish stopping the others
    first (none may outlive the run), then ``execute`` raises it."""
    if run.interrupted is None:
        run.interrupted = exc
        run.stop_reason = "interrupted"


def _indent(text: str) -> str:
    return "".join("      " + line + "\n" for line in text.splitlines())
