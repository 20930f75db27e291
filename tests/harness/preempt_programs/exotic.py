"""Code that exercises what a rewrite could break: every result must be the same
instrumented or not, inside a run or outside."""

from __future__ import annotations

import collections
import datetime
import functools
from typing import Any

LIMIT = 3
_registry: list[Any] = []


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a: int) -> None:
        self.a = a


class Base:
    kind = "base"

    def __init__(self) -> None:
        self.__secret = 1  # mangled: _Base__secret
        self._temp = 0

    def describe(self) -> str:
        return f"{self.kind}:{self.__secret}"

    @property
    def temp(self) -> int:
        return self._temp

    @temp.setter
    def temp(self, value: int) -> None:
        self._temp = value

    @temp.deleter
    def temp(self) -> None:
        self._temp = -1

    @classmethod
    def make(cls) -> Base:
        return cls()

    @staticmethod
    def twice(value: int) -> int:
        return value * 2


class Child(Base):
    kind = "child"

    def __init__(self) -> None:
        super().__init__()
        self.extra = [1, 2, 3]

    def describe(self) -> str:
        return "child/" + super().describe()


def traced(func: Any) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        return ("traced", func(*args))

    return wrapper


@traced
def decorated(value: int) -> int:
    return value + LIMIT


def closures() -> list[int]:
    count = 0

    def bump() -> int:
        nonlocal count
        count += 1
        return count

    makers = [lambda i=i: i * LIMIT for i in range(LIMIT)]
    return [bump(), bump(), *(maker() for maker in makers)]


def numbers(n: int) -> Any:
    for i in range(n):
        yield i
        if i > LIMIT:
            return


def errors() -> list[str]:
    seen = []
    try:
        Slotted(1).b  # noqa: B018 - the AttributeError is the point
    except AttributeError as exc:
        seen.append(str(exc))
    try:
        missing_name  # type: ignore[name-defined]  # noqa: B018
    except NameError as exc:
        seen.append(str(exc))
    try:
        {}["nope"]
    except KeyError as exc:
        seen.append(repr(exc))
    try:
        [].pop()
    except IndexError as exc:
        seen.append(str(exc))
    seen.append(getattr(Slotted(2), "b", "default"))
    return seen


def containers() -> list[Any]:
    table: dict[str, Any] = {"a": 1}
    table["b"] = table.get("a", 0) + 1
    table["a"] += 10
    rows = [3, 1, 2]
    rows.sort()
    rows[1:2] = [9, 9]
    del rows[0]
    first, *rest = rows
    queue = collections.deque([1])
    queue.appendleft(0)
    grouped = collections.defaultdict(list)
    grouped["x"].append(1)
    seen = {n % 2 for n in rows}
    squares = {n: n * n for n in range(LIMIT)}
    if (size := len(rows)) > 1:
        size += 0
    matrix = [[0] * 2 for _ in range(2)]
    matrix[1][0] = 5
    a = b = table
    a["c"] = 3
    return [table, rows, first, rest, list(queue), dict(grouped), sorted(seen), squares, size, matrix,
            b is a, "b" in table, "z" not in table, table.setdefault("d", 4), table.pop("d")]


class Holder:
    def __init__(self) -> None:
        self.x = 1
        self.items = {"k": 1}


def order() -> list[str]:
    """Which sub-expression runs when, and how often: stores evaluate the value first."""
    log: list[str] = []
    holder = Holder()

    def note(tag: str, value: Any) -> Any:
        log.append(tag)
        return value

    note("obj", holder).x = note("value", 2)
    note("obj", holder).items[note("key", "k")] = note("value", 3)
    note("obj", holder).x += note("operand", 1)
    note("obj", holder).items[note("key", "k")] += note("operand", 1)
    note("a", holder).x = note("b", holder.items)[note("k", "j")] = note("value", 7)
    note("t", holder).x, note("u", holder.items)[note("k", "m")] = note("pair", (8, 9))
    try:
        note("obj", holder).missing += note("operand", 1)
    except AttributeError as exc:
        log.append(str(exc))
    try:
        note("obj", holder).items[note("key", "nope")] += note("operand", 1)
    except KeyError as exc:
        log.append(repr(exc))
    del note("obj", holder.items)[note("key", "j")]
    log.append(repr((holder.x, sorted(holder.items.items()))))
    return log


def match_kinds(value: Any) -> str:
    match value:
        case datetime.date():
            return "date"
        case {"kind": kind}:
            return f"mapping {kind}"
        case [first, *_]:
            return f"sequence {first}"
        case _:
            return "other"


def register() -> int:
    _registry.append(lambda: LIMIT)
    return len(_registry)


def everything() -> list[Any]:
    """One transcript of all of the above."""
    global LIMIT
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    slotted = Slotted(5)
    slotted.b = 6
    base, child = Base.make(), Child()
    base.temp = 4
    temp = base.temp
    del base.temp
    old = LIMIT
    LIMIT = old + 1
    LIMIT -= 1
    result = [
        when.year, when.tzinfo.utcoffset(when), when.isoformat(), slotted.a + slotted.b,
        base.describe(), child.describe(), child.extra, temp, base.temp, Base.twice(4), decorated(1),
        closures(), list(numbers(10)), errors(), containers(), [match_kinds(v) for v in
        (when.date(), {"kind": 1}, [7, 8], 3)], (lambda *args, **kw: (args, kw))(1, k=2),
        "".join(str(part) for part in range(3)), f"{child.kind!r:>8}", old, LIMIT,
        Child.__mro__[1].__name__, vars(child).keys() >= {"extra"}, order(),
    ]
    return result
