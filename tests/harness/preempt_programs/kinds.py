"""One function per access kind, on objects older than any run (so shared)."""

from __future__ import annotations

import collections


class Box:
    def __init__(self) -> None:
        self.x = 0


BOX = Box()
TABLE: dict[str, int] = {}
ITEMS: list[int] = []
SEEN: set[str] = set()
QUEUE: collections.deque[int] = collections.deque()
total = 0


def reset() -> None:
    global total
    BOX.x = 0
    TABLE.clear()
    TABLE["k"] = 1
    ITEMS.clear()
    SEEN.clear()
    QUEUE.clear()
    total = 0


def attr_load() -> int:
    return BOX.x


def attr_store() -> None:
    BOX.x = 7


def attr_delete() -> None:
    del BOX.x


def attr_augment() -> None:
    BOX.x += 1


def item_load() -> int:
    return TABLE["k"]


def item_store() -> None:
    TABLE["k"] = 2


def item_delete() -> None:
    del TABLE["k"]


def unpack_store() -> None:
    BOX.x, TABLE["k"] = 3, 4


def global_load() -> int:
    return total


def global_store() -> None:
    global total
    total = 5


def global_augment() -> None:
    global total
    total += 1


def list_append() -> None:
    ITEMS.append(1)


def dict_setdefault() -> None:
    TABLE.setdefault("s", 0)


def dict_pop() -> None:
    TABLE.pop("k", None)


def set_add() -> None:
    SEEN.add("a")


def deque_append() -> None:
    QUEUE.append(1)


def contains() -> bool:
    return "k" in TABLE


def iterate() -> list[str]:
    return [key for key in TABLE]


class Plain:
    x = 0


def read_x(box: Plain) -> int:
    return box.x


class FoldedDict(dict):  # type: ignore[type-arg]
    """Keys are case-insensitive: 'Vs1' and 'vs1' are one slot, so a key is no exact footprint."""

    def __setitem__(self, key: str, value: object) -> None:
        super().__setitem__(key.lower(), value)


FOLDED = FoldedDict()


def store_folded(key: str) -> None:
    FOLDED[key] = 1
