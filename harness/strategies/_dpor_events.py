"""Happens-before of one execution, for the DPOR strategy (``dpor.py``).

An execution is the sequence of steps the run loop reported, each with the
greenthread that ran it, the footprint it touched and the set of greenthreads
that could have run at that point.  This module turns it into *events* with
vector clocks (Mattern 1989; Flanagan and Godefroid, POPL 2005, use them for
DPOR) and finds the races that optimal DPOR reverses (Abdulla, Aronis,
Jonsson, Sagonas, "Source Sets: A Foundation for Optimal Dynamic Partial Order
Reduction", JACM 64(4), 2017, section 6: ``e ⋖_E e'`` and ``notdep(e, E)``).

Happens-before is the transitive closure of:

* program order (the steps of one greenthread);
* dependence: an earlier step whose footprint conflicts with this one
  (``footprint.dependent``).  The harness's own effects are footprints too:
  ``thread:<id>`` (every step reads its own thread, a wake-up writes the woken
  one), and the ones added here: a step that made a WAKE choice or failed the
  run is opaque (its effect is global: a data choice, or the end of the world),
  and a step that spawned a greenthread writes ``dpor:spawn`` (greenthread ids
  are handed out in spawn order, so two spawns do not commute);
* enabling: the step that made a greenthread ready happens before that
  greenthread's next step (a spawn writes no ``thread:`` resource, since the new
  greenthread had none yet);
* virtual time: when the hub advanced the clock, every step after the advance
  happens after every step before it.  Under the harness's timing model a
  timer due later cannot fire before the work due now is done, so no reordering
  may cross an advance.

Dependences are found through a per-resource frontier (last writer, readers and
appenders since), not by comparing every pair: the earlier accesses are ordered
before the frontier already, so the clocks come out the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from harness._engine.footprint import OPAQUE, Footprint

SPAWN = "dpor:spawn"
_BARRIER = -2  # the position of the virtual-time pseudo-event in a predecessor list


@dataclass
class Step:
    """One step as the run loop reported it."""

    thread: int
    footprint: Footprint
    enabled: tuple[int, ...]
    """The greenthreads that could run here, in id order (the RUN decision's options,
    or the one greenthread when there was no decision)."""
    barrier: bool = False
    """The virtual clock advanced just before this step."""
    wakes: tuple[tuple[int, int], ...] = ()
    """(choice, option count) of each WAKE decision made inside the step."""
    failed: bool = False
    """The run's first failure happened in this step (the run stopped after it)."""
    spawned: bool = False
    """A greenthread first seen after this step was ready right after it."""

    def effective(self) -> Footprint:
        """The footprint DPOR compares: opaque for data choices and failures, plus the spawn counter."""
        if self.footprint.opaque or self.wakes or self.failed:
            return OPAQUE
        if self.spawned:
            fp = self.footprint
            return Footprint(fp.reads, fp.writes | {SPAWN}, fp.appends)
        return self.footprint


@dataclass
class Event:
    """A step with its place in happens-before."""

    pos: int
    thread: int
    index: int
    """How many steps this greenthread ran before this one."""
    footprint: Footprint
    clock: list[int]
    """``clock[t]``: how many steps of greenthread ``t`` happen before this one or are it."""
    wakes: tuple[tuple[int, int], ...] = ()

    def after(self, other: Event) -> bool:
        """``other`` happens before this event (or is it)."""
        clock = self.clock
        return other.thread < len(clock) and clock[other.thread] > other.index


@dataclass(frozen=True)
class Race:
    """``first ⋖ second``: dependent, different greenthreads, and nothing in between orders them."""

    first: int
    second: int


@dataclass
class Execution:
    """The events of one run, their clocks and the reversible races among them."""

    steps: list[Step]
    events: list[Event] = field(default_factory=list)
    races: list[Race] = field(default_factory=list)
    walls: list[int] = field(default_factory=list)
    """``walls[i]``: the first position after ``i`` that every later event happens after
    (an opaque step or a clock advance), or ``len(events)``."""

    def notdep(self, race: Race) -> list[Event]:
        """``notdep(e, E).e'``: the events after ``e`` that do not happen after it, then ``e'``."""
        first = self.events[race.first]
        out = [ev for ev in self.events[first.pos + 1:self.walls[first.pos]] if not ev.after(first)]
        out.append(self.events[race.second])
        return out

    def canonical(self) -> int:
        """A 64-bit digest of the happens-before relation: equal for two runs of one Mazurkiewicz
        trace (each event, its WAKE choices and its vector clock), small enough to keep per run."""
        form = sorted((ev.thread, ev.index, ev.wakes, tuple(ev.clock)) for ev in self.events)
        return int.from_bytes(hashlib.blake2b(repr(form).encode(), digest_size=8).digest(), "big")


class _Frontier:
    """Per resource: the last writer and, since it, the last reader and appender of each greenthread."""

    def __init__(self) -> None:
        self.clear()

    def clear(self, wall: int = -1, floor: int = -1) -> None:
        """Forget the frontier at an opaque event ``wall`` (every later event depends on it) or
        at a clock advance (everything up to ``floor`` happens before every later event)."""
        self.writer: dict[str, int] = {}
        self.readers: dict[str, dict[int, int]] = {}
        self.appenders: dict[str, dict[int, int]] = {}
        self.wall = wall
        self.floor = max(wall, floor)

    def sources(self, fp: Footprint) -> set[int]:
        """The positions of the frontier events this (non-opaque) footprint conflicts with."""
        found: set[int] = set() if self.wall < 0 else {self.wall}
        for name in fp.reads | fp.writes | fp.appends:
            if name in self.writer:
                found.add(self.writer[name])
            if name in fp.writes or name in fp.reads:
                found.update(self.appenders.get(name, {}).values())
            if name in fp.writes or name in fp.appends:
                found.update(self.readers.get(name, {}).values())
        return found

    def latest(self, last: dict[int, int]) -> set[int]:
        """What an opaque step depends on directly: each greenthread's latest event since the
        last opaque step (that one included), the earlier ones happen before it anyway."""
        found = {pos for pos in last.values() if pos > self.floor}
        if self.wall >= 0:
            found.add(self.wall)
        return found

    def record(self, pos: int, thread: int, fp: Footprint) -> None:
        for name in fp.writes:
            self.writer[name] = pos
            self.readers.pop(name, None)
            self.appenders.pop(name, None)
        for name in fp.reads - fp.writes:
            self.readers.setdefault(name, {})[thread] = pos
        for name in fp.appends - fp.writes:
            self.appenders.setdefault(name, {})[thread] = pos


class _Enabling:
    """Since when each greenthread has been ready without a break, and which step made it ready."""

    def __init__(self) -> None:
        self.enabler: dict[int, int] = {}
        self._previous: frozenset[int] = frozenset()

    def advance(self, pos: int, enabled: tuple[int, ...], barrier: bool) -> None:
        now = frozenset(enabled)
        for thread in sorted(now - self._previous):
            # Woken by the step just before, or (after a clock advance) by time itself.
            self.enabler[thread] = -1 if barrier or pos == 0 else pos - 1
        for thread in sorted(self._previous - now):
            self.enabler.pop(thread, None)
        self._previous = now


def analyse(steps: list[Step]) -> Execution:
    """Events with vector clocks, and the reversible races of the execution ``steps``."""
    width = 1 + max((max((*s.enabled, s.thread)) for s in steps), default=0)
    execution = Execution(steps)
    events = execution.events
    frontier, enabling = _Frontier(), _Enabling()
    last: dict[int, int] = {}  # greenthread -> position of its latest event
    barrier = (_BARRIER, [0] * width)
    for pos, step in enumerate(steps):
        if step.barrier:
            barrier = (_BARRIER, _join([events[p].clock for p in last.values()], width))
            frontier.clear(floor=pos - 1)
        enabling.advance(pos, step.enabled, step.barrier)
        fp = step.effective()
        thread = step.thread
        sources = frontier.latest(last) if fp.opaque else frontier.sources(fp)
        previous = last.get(thread)
        if previous is not None:
            sources.discard(previous)
        enabler = enabling.enabler.get(thread, -1)
        preds = _predecessors(events, previous, sources, enabler)
        preds.append(barrier)
        clock = _join([c for _, c in preds], width)
        index = events[previous].index + 1 if previous is not None else 0
        clock[thread] = index + 1
        event = Event(pos, thread, index, fp, clock, step.wakes)
        events.append(event)
        execution.races.extend(_races(events, event, sources, preds, enabler))
        last[thread] = pos
        if fp.opaque:
            frontier.clear(pos)
        else:
            frontier.record(pos, thread, fp)
    execution.walls = _walls(events, steps)
    return execution


def _predecessors(events: list[Event], previous: int | None, sources: set[int],
                  enabler: int) -> list[tuple[int, list[int]]]:
    """(position, clock) of every immediate predecessor: program order, dependences, the enabler."""
    positions = set(sources)
    if previous is not None:
        positions.add(previous)
    if enabler >= 0:
        positions.add(enabler)
    return [(p, events[p].clock) for p in sorted(positions)]


def _races(events: list[Event], event: Event, sources: set[int], preds: list[tuple[int, list[int]]],
           enabler: int) -> list[Race]:
    """The reversible races ``e ⋖ event``: a dependent earlier event of another greenthread that no
    other immediate predecessor (nor a clock advance) already orders before ``event``.

    A race with the step that made ``event``'s greenthread ready is not reversible: the
    greenthread could not run before it."""
    out: list[Race] = []
    for source in sorted(sources):
        first = events[source]
        if first.thread != event.thread and source != enabler and _direct(first, preds):
            out.append(Race(source, event.pos))
    return out


def _direct(first: Event, preds: list[tuple[int, list[int]]]) -> bool:
    """No immediate predecessor other than ``first`` itself has ``first`` before it."""
    thread, index, source = first.thread, first.index, first.pos
    return all(pos == source or clock[thread] <= index for pos, clock in preds)


def _join(clocks: list[list[int]], width: int) -> list[int]:
    out = [0] * width
    for clock in clocks:
        for t, value in enumerate(clock):
            if value > out[t]:
                out[t] = value
    return out


def _walls(events: list[Event], steps: list[Step]) -> list[int]:
    """For each position, the next opaque step or clock advance after it (``len(events)`` if none)."""
    walls = [len(events)] * len(events)
    nxt = len(events)
    for pos in range(len(events) - 1, -1, -1):
        walls[pos] = nxt
        if events[pos].footprint.opaque or steps[pos].barrier:
            nxt = pos
    return walls
