"""oslo.service's ``FixedIntervalLoopingCall`` and the NetApp driver's task list.

The driver's periodic work (SSC refresh, EMS, housekeeping) runs in looping
calls: each ``start`` spawns a greenthread that sleeps ``initial_delay`` (only
when it is non-zero, as oslo does), then calls the function every
``interval`` seconds measured from the start of the previous call.  With the
harness's virtual clock an hour of this costs nothing, and two tasks due at
the same instant are a scheduling choice, as they are on a real hub.

A function that raises stops its loop (oslo's ``stop_on_exception``); the
exception is kept on the looping call, where oslo would log it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import eventlet
from eventlet.greenthread import GreenThread

ONE_MINUTE = 60.0
TEN_MINUTES = 600.0
ONE_HOUR = 3600.0


class FixedIntervalLoopingCall:
    """Call ``func`` every ``interval`` seconds in its own greenthread."""

    def __init__(self, func: Callable[[], object], name: str = "") -> None:
        self.func = func
        self.name = name or getattr(func, "__name__", "task")
        self.error: BaseException | None = None
        self.runs = 0
        self._running = False
        self._thread: GreenThread | None = None

    def start(self, interval: float, initial_delay: float = 0.0) -> GreenThread:
        self._running = True
        self._thread = eventlet.spawn(self._run_loop, interval, initial_delay)
        return self._thread

    def stop(self) -> None:
        self._running = False

    def _run_loop(self, interval: float, initial_delay: float) -> None:
        if initial_delay:
            eventlet.sleep(initial_delay)
        try:
            while self._running:
                started = time.monotonic()
                self.runs += 1
                self.func()
                if not self._running:
                    break
                eventlet.sleep(max(0.0, interval - (time.monotonic() - started)))
        except Exception as exc:  # noqa: BLE001 - oslo logs it and ends the loop
            self.error = exc


@dataclass
class LoopingTask:
    call: FixedIntervalLoopingCall
    interval: float
    initial_delay: float


@dataclass
class LoopingCalls:
    """The driver's task list, started together (``start_tasks``) in order."""

    tasks: list[LoopingTask] = field(default_factory=list)

    def add_task(self, func: Callable[[], object], interval: float, initial_delay: float = 0.0) -> None:
        self.tasks.append(LoopingTask(FixedIntervalLoopingCall(func), interval, initial_delay))

    def start_tasks(self) -> None:
        for task in self.tasks:
            task.call.start(task.interval, task.initial_delay)

    def stop_tasks(self) -> None:
        for task in self.tasks:
            task.call.stop()
