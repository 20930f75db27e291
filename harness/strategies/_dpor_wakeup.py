"""Wakeup trees and weak initials, for the DPOR strategy (``dpor.py``).

A wakeup tree (Abdulla, Aronis, Jonsson, Sagonas, JACM 64(4), 2017, section
6.2) is an ordered tree of greenthread sequences to run from one prefix of the
execution: each branch is a *wakeup sequence* ``notdep(e, E).e'`` that reverses
a race, and its leaves may be extended arbitrarily.  Optimal DPOR needs the
tree, not just a set of first steps (source-DPOR's backtrack sets), because a
branch must be followed step by step: starting it right but continuing
anyhow can reach a state where every enabled greenthread sleeps, an execution
that only repeats explored traces.

Insertion (``insert_[E](v, B)``) does not add a sequence that an existing
branch already covers: it walks down the leftmost branch whose greenthread is
a *weak initial* of ``v`` (a greenthread that can start ``v``, or that
commutes with all of it), drops that greenthread's event from ``v``, and stops
at a leaf (any extension of it will meet ``v``'s trace) or adds the rest of
``v`` as a new rightmost branch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness._engine.footprint import Footprint, dependent
from harness.strategies._dpor_events import Event


@dataclass
class Branch:
    """One step of a wakeup tree: run ``thread`` (whose step touched ``footprint`` when
    the sequence was found), then one of ``children`` (none: a leaf)."""

    thread: int
    footprint: Footprint
    children: list[Branch] = field(default_factory=list)


def weak_initial(thread: int, footprint: Footprint | None, seq: Sequence[Event]) -> bool:
    """``thread ∈ WI(seq)``: its first event in ``seq`` has no predecessor in ``seq``, or it has
    none in ``seq`` and its next step (``footprint``; None if unknown) commutes with all of it."""
    for position, event in enumerate(seq):
        if event.thread == thread:
            return not any(event.after(earlier) for earlier in seq[:position])
    if footprint is None:
        return False
    return not any(dependent(footprint, event.footprint) for event in seq)


def blocked_by_sleep(sleep: Mapping[int, Footprint], seq: Sequence[Event]) -> bool:
    """Some sleeping greenthread is a weak initial of ``seq``: its trace is explored already."""
    return any(weak_initial(thread, sleep[thread], seq) for thread in sorted(sleep))


def insert(tree: list[Branch], seq: Sequence[Event]) -> bool:
    """Insert the wakeup sequence ``seq`` into ``tree`` (the branches of one node); False when
    an existing branch already covers it."""
    rest = list(seq)
    branches = tree
    while rest:
        match = next((b for b in branches if weak_initial(b.thread, b.footprint, rest)), None)
        if match is None:
            branches.append(chain(rest))
            return True
        if not match.children:
            return False  # a leaf: whatever extends it meets rest's trace
        rest = _without_first(rest, match.thread)
        branches = match.children
    return False


def chain(seq: Sequence[Event]) -> Branch:
    """``seq`` as a branch with one child per step."""
    head = Branch(seq[0].thread, seq[0].footprint)
    node = head
    for event in seq[1:]:
        child = Branch(event.thread, event.footprint)
        node.children.append(child)
        node = child
    return head


def _without_first(seq: list[Event], thread: int) -> list[Event]:
    for position, event in enumerate(seq):
        if event.thread == thread:
            return seq[:position] + seq[position + 1:]
    return seq


def size(tree: Sequence[Branch]) -> int:
    """How many steps the branches hold (for statistics)."""
    return sum(1 + size(b.children) for b in tree)
