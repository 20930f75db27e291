"""A change feed with one watcher: a lost wakeup through ``Event.reset``.

The story: a service publishes configuration changes; one watcher greenthread
applies them.  ``publish`` queues the change and wakes the watcher unless it
is already awake (``if not ready(): send()``).  The watcher waits, takes the
queued changes, applies each (green I/O), and then re-arms the event with
``reset()``.  A change published while the watcher applies the previous batch
finds the event still set, so it sends nothing; the watcher's ``reset()``
then throws that wake-up away, and it sleeps forever on a change that is
already queued.

The fix, ``FixedChangeFeed``: re-arm first, then take the changes.  A change
that arrives after the reset sends again; one that arrives before it is in
the batch being taken.
"""

from __future__ import annotations

from collections.abc import Callable

import eventlet
from eventlet.event import Event


class ChangeFeed:
    """Changes for one watcher.  Racy: see the module docstring."""

    def __init__(self) -> None:
        self._changes: list[str] = []
        self._wakeup = Event()

    def publish(self, change: str) -> None:
        self._changes.append(change)
        if not self._wakeup.ready():
            self._wakeup.send()

    def watch(self, apply: Callable[[str], None], count: int) -> None:
        """Apply ``count`` changes as they come, then return."""
        applied = 0
        while applied < count:
            self._wakeup.wait()
            applied += self._apply_batch(apply)
            self._wakeup.reset()  # a change published during the batch is lost here

    def _apply_batch(self, apply: Callable[[str], None]) -> int:
        changes, self._changes = self._changes, []
        for change in changes:
            apply(change)
        return len(changes)


class FixedChangeFeed(ChangeFeed):
    """The fix: re-arm the event before taking the changes."""

    def watch(self, apply: Callable[[str], None], count: int) -> None:
        applied = 0
        while applied < count:
            self._wakeup.wait()
            self._wakeup.reset()
            applied += self._apply_batch(apply)


def _publish_two(feed_class: type[ChangeFeed]) -> None:
    feed = feed_class()
    applied: list[str] = []

    def apply(change: str) -> None:
        eventlet.sleep(0)  # pushing the change to the device
        applied.append(change)

    def publisher() -> None:
        feed.publish("a")
        eventlet.sleep(0)  # between two API requests
        feed.publish("b")

    watcher = eventlet.spawn(feed.watch, apply, 2)
    eventlet.spawn(publisher).wait()
    watcher.wait()  # hangs forever on a lost wakeup: the harness reports a deadlock
    assert applied == ["a", "b"], applied


def buggy() -> None:
    _publish_two(ChangeFeed)


def fixed() -> None:
    _publish_two(FixedChangeFeed)
