"""Outcome sets: run a small eventlet program through every schedule and collect what it returned.

``outcomes(program)`` explores ``program`` exhaustively (``strategy="dfs"``)
and returns the set of values it returned, one per schedule, so a test can
compare that set with the one eventlet's semantics allow: a missing outcome
means the harness cannot reach an order eventlet can produce, an extra one
means it produces an order eventlet cannot.

``stock(program)`` runs the same program on eventlet's own hub, outside the
harness, for the check that the all-zero schedule is eventlet's default order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import eventlet

import harness
from harness._targets import Target

FINGERPRINT = "0123456789ab"


@dataclass
class Outcomes:
    """What an exhaustive exploration of a program produced."""

    values: set[Hashable]
    first: Hashable  # the outcome of the first schedule: all zeros, eventlet's default order
    exploration: harness.Exploration

    @property
    def schedules(self) -> int:
        return self.exploration.schedules_run


def target_of(program: Callable[[], Hashable], record: list[Hashable]) -> Target:
    def body() -> None:
        record.append(program())

    return Target(name=f"green:{program.__name__}", body=body, fingerprint=FINGERPRINT)


def outcomes(program: Callable[[], Hashable], *, budget: int = 20_000, **options: object) -> Outcomes:
    """Every outcome of ``program`` over all its schedules; fails the test on any failing run."""
    record: list[Hashable] = []
    exploration = harness.explore(target_of(program, record), strategy="dfs", schedules=budget,
                                  stop_on_failure=False, **options)  # type: ignore[arg-type]
    assert not exploration.failures, exploration.failures[0].describe()
    assert exploration.exhausted, f"{program.__name__}: not exhausted in {budget} schedules"
    assert len(record) == exploration.schedules_run, "a run ended without an outcome"
    return Outcomes(set(record), record[0], exploration)


def stock(program: Callable[[], Hashable]) -> Hashable:
    """``program``'s outcome on eventlet's own hub (real time: keep its sleeps short)."""
    return eventlet.spawn(program).wait()
