"""Waiter sets whose wake-up order is a scheduling choice, not an address.

Eventlet keeps queue getters and putters (and event waiters) in plain sets
and wakes ``set.pop()``'s pick: an order decided by object addresses,
different in every process.  ``ChoiceSet`` is a set that, inside a run,
iterates in greenthread-id order and lets the scheduler choose which waiter
``pop()`` returns (option 0 is the earliest greenthread), so every legal
wake-up order can be explored and every run replays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import greenlet

from harness import points


def _thread_of(item: Any) -> Any:
    """The greenlet a waiter stands for (queue Waiters carry ``.greenlet``)."""
    if isinstance(item, greenlet.greenlet):
        return item
    return getattr(item, "greenlet", item)


def _order(items: list[Any]) -> list[Any]:
    run = points.active_run()
    if run is None:
        return items
    return sorted(items, key=lambda item: run.thread_id(_thread_of(item)))  # type: ignore[attr-defined]


class ChoiceSet(set[Any]):
    """A set whose iteration and ``pop`` are deterministic inside a run."""

    label = "wake waiter"

    def __iter__(self) -> Iterator[Any]:
        return iter(_order(list(set.__iter__(self))))

    def pop(self) -> Any:
        run = points.active_run()
        if run is None or len(self) < 2:
            return set.pop(self)
        items = _order(list(set.__iter__(self)))
        ids = [run.thread_id(_thread_of(item)) for item in items]  # type: ignore[attr-defined]
        index = run.choose(self.label, ids)  # type: ignore[attr-defined]
        chosen = items[index]
        self.discard(chosen)
        return chosen
