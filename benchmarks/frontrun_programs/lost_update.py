"""Lost update: two threads do ``counter.value += 1`` (a read, then a write back).

Both read 0 when one is preempted between its read and its write: the
counter ends at 1.  The twin takes a lock around the increment.
"""

from __future__ import annotations

import threading


class Counter:
    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()


def setup() -> Counter:
    return Counter()


def increment(counter: Counter) -> None:
    counter.value += 1


def increment_locked(counter: Counter) -> None:
    with counter.lock:
        counter.value += 1


WORKERS = (increment, increment)
LOCKED_WORKERS = (increment_locked, increment_locked)


def invariant(counter: Counter) -> bool:
    return counter.value == 2
