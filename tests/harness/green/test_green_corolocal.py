"""eventlet.corolocal.local: each greenthread sees its own attributes, in every order."""

from __future__ import annotations

import eventlet
from eventlet import corolocal
from green_outcomes import outcomes


class Context(corolocal.local):  # type: ignore[misc]
    def __init__(self, user: str = "anonymous") -> None:
        self.user = user


def locals_program() -> tuple[tuple[str, str, str], ...]:
    context = Context("nobody")
    seen: dict[str, tuple[str, str, str]] = {}

    def request(name: str) -> None:
        before = context.user  # a fresh greenthread sees the initialiser's value
        context.user = name
        eventlet.sleep(0)  # another request runs here
        seen[name] = (name, before, context.user)

    threads = [eventlet.spawn(request, name) for name in "ab"]
    for thread in threads:
        thread.wait()
    return tuple(seen[name] for name in "ab")


def test_each_greenthread_keeps_its_own_values_whatever_the_interleaving() -> None:
    found = outcomes(locals_program)
    assert found.values == {(("a", "nobody", "a"), ("b", "nobody", "b"))}
    assert found.schedules > 1
