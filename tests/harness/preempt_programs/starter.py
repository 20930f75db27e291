"""A constructor that starts its worker before it finishes setting the object up.

On native threads the worker can run at once and read ``self.ready`` before
the constructor sets it: the object is reachable by another thread from the
moment it is handed to ``spawn``, although no other thread has touched it yet.
"""

from __future__ import annotations

import eventlet


class Worker:
    def __init__(self) -> None:
        self._thread = eventlet.spawn(self._run)
        self.ready = True

    def _run(self) -> None:
        assert self.ready

    def join(self) -> None:
        self._thread.wait()


def nap(box: list[int]) -> int:
    """A green wait in the middle of instrumented code (the run labels it with this line)."""
    box.append(1)
    eventlet.sleep(0)
    return len(box)
