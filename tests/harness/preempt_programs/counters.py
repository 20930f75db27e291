"""Lost update: two workers increment a class attribute (read, add, write back)."""

from __future__ import annotations


class Counter:
    value = 0


def reset() -> None:
    Counter.value = 0


def increment() -> None:
    Counter.value += 1
