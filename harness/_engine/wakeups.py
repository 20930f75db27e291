"""Waiter sets whose wake-up order is a scheduling choice, not an address.

Eventlet keeps a queue's blocked getters and putters in plain sets and wakes
``set.pop()``'s pick: an order decided by object addresses, different in every
process.  Any waiter can be the one woken, so every one of them is a legal
outcome; which one is a decision the harness must own.

``ChoiceSet`` is the set the queues use during an exploration.  Inside a run
it iterates in greenthread-id order and ``pop()`` asks the run which waiter to
wake (``Run.choose``: option 0 is the lowest greenthread id, the others follow
in id order), so every wake-up order is explored and every run replays.
Outside a run it is a plain insertion-ordered set.  It is backed by a dict,
never by hashes: waiters with equal ids (none yet) keep their arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import greenlet

from harness._engine import points


class _Chooser(Protocol):
    def thread_id(self, thread: greenlet.greenlet) -> int: ...

    def choose(self, label: str, thread_ids: list[int]) -> int: ...


def _thread_of(item: Any) -> Any:
    """The greenlet a waiter stands for (queue Waiters carry ``.greenlet``)."""
    if isinstance(item, greenlet.greenlet):
        return item
    return getattr(item, "greenlet", item)


def _chooser() -> _Chooser | None:
    run: Any = points.active_run()
    return run  # type: ignore[no-any-return]


class ChoiceSet:
    """A set of waiters whose iteration and ``pop`` are deterministic inside a run."""

    __slots__ = ("_items", "label")

    def __init__(self, items: Iterable[Any] = (), label: str = "wake waiter") -> None:
        self._items: dict[Any, None] = dict.fromkeys(items)
        self.label = label

    def _ordered(self, run: _Chooser | None) -> list[Any]:
        items = list(self._items)
        if run is None or len(items) < 2:
            return items
        return sorted(items, key=lambda item: run.thread_id(_thread_of(item)))

    # -- the part of the set protocol eventlet's queues use -------------------
    def add(self, item: Any) -> None:
        self._items[item] = None

    def discard(self, item: Any) -> None:
        self._items.pop(item, None)

    def remove(self, item: Any) -> None:
        del self._items[item]

    def pop(self) -> Any:
        if not self._items:
            raise KeyError("pop from an empty set")
        run = _chooser()
        items = self._ordered(run)
        index = 0
        if run is not None and len(items) > 1:
            index = run.choose(self.label, [run.thread_id(_thread_of(item)) for item in items])
        chosen = items[index]
        del self._items[chosen]
        return chosen

    def clear(self) -> None:
        self._items.clear()

    def copy(self) -> ChoiceSet:
        return ChoiceSet(self._items, self.label)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        """Over a copy, in greenthread-id order inside a run (removing while iterating is safe)."""
        return iter(self._ordered(_chooser()))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __repr__(self) -> str:
        return f"ChoiceSet({list(self._items)!r})"


def as_choice_set(value: Any, label: str) -> ChoiceSet:
    """``value`` as a ChoiceSet (a plain set keeps its members, in its own order)."""
    if isinstance(value, ChoiceSet):
        return value
    return ChoiceSet(value or (), label)
