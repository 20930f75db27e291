"""The declared interfaces between the run loop and the code that calls back into it.

``Run`` (``run.py``) implements both.  The hub calls ``HubOwner`` (a timer was
armed, a greenthread switched out, run the loop); the switch points and the
eventlet patches reach the active run through ``points.active_run()`` and call
``ActiveRun``.  Nothing else of ``Run`` is called from outside ``run.py`` and
its friend ``teardown.py``: a change to either side shows up here first, and
mypy checks both sides against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import greenlet

if TYPE_CHECKING:
    from harness._engine.footprint import Footprint
    from harness._engine.hub import DeterministicHub, Entry
    from harness._engine.kinds import EventKind


class HubOwner(Protocol):
    """What the deterministic hub calls on the run that owns it."""

    def on_timer_armed(self, entry: Entry, current: greenlet.greenlet) -> None: ...

    def on_switch_out(self, current: greenlet.greenlet) -> None: ...

    def loop(self, hub: DeterministicHub) -> None: ...

    def where(self) -> str: ...

    def fail(self, error: BaseException) -> None: ...


class ActiveRun(Protocol):
    """What switch points (``points.py``), automatic points and the eventlet patches call
    on the run controlling the calling OS thread."""

    thread_ident: int

    # switch points and their footprints
    def preempt(self, label: str, opaque: bool) -> None: ...

    def access(self, label: str, reads: tuple[str, ...], writes: tuple[str, ...],
               appends: tuple[str, ...], offer: bool) -> None: ...

    def io(self, label: str, delay: float, footprint: Footprint | None) -> None: ...

    def touch(self, resource: object, write: bool, append: bool, partial: bool) -> None: ...

    # the trace and failures
    def note(self, kind: EventKind | str, detail: str) -> None: ...

    def fail(self, error: BaseException) -> None: ...

    def report_escape(self, thread: greenlet.greenlet, exc: BaseException) -> None: ...

    def report_unhandled(self, thread: greenlet.greenlet, exc: BaseException) -> None: ...

    def mark_observed(self, thread: greenlet.greenlet) -> None: ...

    # greenthreads, time and the choices eventlet leaves to sets
    def thread_name(self) -> str: ...

    def thread_id(self, thread: greenlet.greenlet) -> int: ...

    def now(self) -> float: ...

    def choose(self, label: str, thread_ids: Sequence[int]) -> int: ...

    def synchronized(self, lock: object, acquired: bool, declare: bool = True) -> None: ...
