"""A background worker whose shutdown flag races its queue.

The story: ``Worker`` runs submitted jobs on a greenthread that loops
``while not self._stopping: job = self._jobs.get(); handle(job)``.
``stop()`` sets the flag and waits for the loop to end.  Two ways it goes
wrong: the loop may see the flag before it took the jobs already submitted
(they are silently dropped), or it may be blocked in ``get()`` when the flag
is set (nothing will ever wake it: ``stop()`` hangs).

The fix, ``FixedWorker``: ``stop()`` enqueues a sentinel behind the jobs; the
loop ends when it takes it, after every job submitted before ``stop()``.
"""

from __future__ import annotations

from collections.abc import Callable

import eventlet
from eventlet.queue import LightQueue


class Worker:
    """Runs jobs in submission order on one greenthread.  Racy: see the module docstring."""

    def __init__(self, handle: Callable[[object], None]) -> None:
        self._handle = handle
        self._jobs: LightQueue = LightQueue()
        self._stopping = False
        self._thread = eventlet.spawn(self._run)

    def submit(self, job: object) -> None:
        self._jobs.put(job)

    def _run(self) -> None:
        while not self._stopping:
            self._handle(self._jobs.get())

    def stop(self) -> None:
        self._stopping = True
        self._thread.wait()


_STOP = object()


class FixedWorker(Worker):
    """The fix: a sentinel behind the jobs instead of a flag beside them."""

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            self._handle(job)

    def stop(self) -> None:
        self._jobs.put(_STOP)
        self._thread.wait()


def _submit_then_stop(worker_class: type[Worker]) -> None:
    handled: list[object] = []

    def handle(job: object) -> None:
        eventlet.sleep(0)  # the job's I/O
        handled.append(job)

    worker = worker_class(handle)
    worker.submit(1)
    eventlet.sleep(0)  # the caller does something else meanwhile
    worker.submit(2)
    worker.stop()
    assert handled == [1, 2], f"jobs handled before stop() returned: {handled}"


def buggy() -> None:
    _submit_then_stop(Worker)


def fixed() -> None:
    _submit_then_stop(FixedWorker)
