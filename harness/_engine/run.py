"""The run loop: the one place that decides which greenthread runs next.

A ``Run`` executes a target's body as greenthread ``gt0`` on a fresh
``DeterministicHub``.  The hub greenlet runs ``Run.loop``: at every step it
takes the ready timers (at most one per greenthread), and when more than one
greenthread could go next it asks the strategy.  Option 0 is what eventlet's
stock hub would do (the first armed timer; at a preemption point, the current
greenthread), so an all-zero schedule is eventlet's default order.

The loop stops when nothing is left, at the virtual-time horizon, at the
first failure, or at the step bound; then it stops every greenthread still
alive, so none outlives the run.
"""

from __future__ import annotations

import sys
import traceback
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import eventlet
import greenlet
from eventlet import hubs
from eventlet.hubs import timer as eventlet_timer

from harness._engine import activation, escapes, interrupts, labels, points, strays, teardown
from harness._engine.footprint import (
    OPAQUE,
    Footprint,
    FootprintBuilder,
    ResourceNames,
    RunObserver,
    StepObserver,
)
from harness._engine.hub import DeterministicHub, Entry, ReadyIndex
from harness._engine.kinds import EventKind
from harness._engine.labels import caller_label, caller_place
from harness._engine.races import AccessLog
from harness._engine.results import FailureRecord, RunConfig, RunResult
from harness._engine.trace import Event, Trace
from harness._errors import HarnessError, ScheduleDivergence, StepLimitExceeded
from harness.strategies.base import Decision, DecisionKind, LazyOptions, Option, Strategy


@dataclass
class _Thread:
    ident: int
    name: str
    label: str = "start"
    observed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Run:
    """One execution of a body under a strategy: the state the run loop owns."""

    def __init__(self, body: Any, strategy: Strategy, config: RunConfig) -> None:
        self.body = body
        self.strategy = strategy
        self.config = config
        self.thread_ident = points.os_thread_ident()
        self.trace = Trace()
        self.failures: list[FailureRecord] = []
        self.choices: list[int] = []
        self.option_counts: list[int] = []
        self.steps = 0
        self.stopping = False
        self.stop_reason = "completed"
        self.interrupted: BaseException | None = None
        self.hub: DeterministicHub | None = None
        self._threads: dict[greenlet.greenlet, _Thread] = {}
        self._by_id: list[greenlet.greenlet] = []
        self._next_label: str | None = None
        self._last_paused = -1
        self._preempting = False
        self._escaped: list[tuple[greenlet.greenlet, BaseException]] = []
        self._options: dict[tuple[int, str], Option] = {}
        self._decided_at = -1
        # Step footprints, only when the strategy observes steps (partial-order reduction).
        self._observer = strategy if isinstance(strategy, StepObserver) else None
        self._footprint: FootprintBuilder | None = None
        self._resources = ResourceNames()
        # Preemptive runs log their declared accesses, to name the race pair of a failure.
        self._accesses = AccessLog() if config.preemptive else None

    # -- driving ----------------------------------------------------------
    def execute(self) -> RunResult:
        """Run the body to the end on a fresh hub; restore the previous hub after."""
        saved = hubs._threadlocal.__dict__.get("hub")
        hub = DeterministicHub(self)
        self.hub = hub
        try:
            activation.enter(self, hub)
            eventlet.spawn(self._root)
            hub.greenlet.switch()
        finally:
            activation.leave(saved)
        if self.interrupted is not None:
            raise self.interrupted
        interrupts.surface_lost()  # a Ctrl-C swallowed inside the run (by a finalizer) still stops it
        return RunResult(
            tuple(self.choices), tuple(self.option_counts), self.failures, self.trace,
            self.steps, hub.now, self.stop_reason, None, len(self._by_id), self._race(),
        )

    @property
    def logs_accesses(self) -> bool:
        return self._accesses is not None

    def synchronized(self, lock: object, acquired: bool, declare: bool = True) -> None:
        """A lock was released or taken: an edge for the access log; with ``declare`` (green
        semaphores) also a write of the lock for DPOR.  Modelled native locks do not declare:
        a blocked acquirer is woken by a timer, which is already an edge, and their guarded
        data is declared on its own (the fake journal's appends must keep commuting)."""
        info = self._threads.get(greenlet.getcurrent())
        if self._accesses is not None and info is not None:
            self._accesses.synchronized(info.ident, lock, acquired)
        if declare and self._footprint is not None and isinstance(self._observer, RunObserver):
            self._footprint.touch(self._resources.name(lock), True, False, True)  # DPOR: lock order

    def _race(self) -> str | None:
        """A failing run's race pair, also the last event of its trace."""
        log, names = self._accesses, {i.ident: i.name for i in self._threads.values()}
        story = log.story(names) if log is not None and self.failures else None
        if story is not None:
            self._add("hub", EventKind.RACE, story)
        return story

    def _root(self) -> None:
        self.body()

    def _body_name(self) -> str:
        return f"body {getattr(self.body, '__qualname__', type(self.body).__name__)}"

    # -- the loop (runs in the hub greenlet) --------------------------------
    def loop(self, hub: DeterministicHub) -> None:
        try:
            self._main_loop(hub)
            if not self.failures and self.stop_reason != "pruned":
                teardown.check_end(self, hub)
        except (KeyboardInterrupt, SystemExit) as exc:
            self.interrupted = exc
            self.stop_reason = "interrupted"
        finally:
            teardown.teardown(self, hub)

    def _main_loop(self, hub: DeterministicHub) -> None:
        horizon = self.config.until
        if horizon is not None:
            horizon += hub.now
        index, name = hub.index, self._rank
        while not self.failures:
            first = hub.next_ready(name)
            if first is None:
                if hub.advance(horizon):
                    if isinstance(self._observer, RunObserver):
                        self._observer.clock_advanced(hub.now)
                    continue
                if horizon is not None and hub.pending_future():
                    self.stop_reason = "horizon"
                    until = self.config.until
                    self._add("hub", EventKind.STOP, f"virtual-time horizon reached ({until:g} s)")
                return
            count = index.count()
            entry = first if count == 1 else self._decide(index, first, count)
            if entry is None:
                return
            if self._observer is not None:
                if not self._observed_fire(hub, entry, self._observer):
                    return
                continue
            self._fire(hub, entry)

    def _observed_fire(self, hub: DeterministicHub, entry: Entry, observer: StepObserver) -> bool:
        """Fire one step under a strategy that tracks footprints; False when it prunes the run."""
        ident = self._info(entry.owner).ident
        if not observer.step_begin(ident):
            self.stop_reason = "pruned"
            self._add("hub", EventKind.STOP, f"pruned: running gt{ident} here only repeats an explored order")
            return False
        self._footprint = FootprintBuilder(ident, vouched=self.config.complete_footprints)
        failed = len(self.failures)
        try:
            self._fire(hub, entry)
        finally:
            footprint, self._footprint = self._footprint, None
            if isinstance(observer, RunObserver):
                self._end_of_step(observer, footprint, entry.owner, ident, failed)
            observer.step_end(ident, footprint.freeze())
        return True

    def _end_of_step(self, observer: RunObserver, footprint: FootprintBuilder, owner: greenlet.greenlet,
                     ident: int, failed_before: int) -> None:
        """What a run observer (DPOR) needs besides the footprint: a greenthread's last step
        writes ``thread:<id>``, which a join reads (``mark_observed``), so a join and the end
        it waits for never look independent; and whether the step failed the run.  (Sleep
        sets do without the join edge: a join that blocks and one that does not see the
        same result, so the orders it adds never differ in outcome.)"""
        if owner.dead:
            footprint.wake(ident)
        if not failed_before and self.failures:
            observer.step_failed(ident)

    def _decide(self, index: ReadyIndex, first: Entry, count: int) -> Entry | None:
        """Ask the strategy which of ``count`` greenthreads runs next; None when the
        run must stop.

        Option 0 is ``first``, the timer eventlet would fire next; the others
        follow in greenthread-id order (``ReadyIndex.nth_other``).
        """
        options = LazyOptions(count, self._options_for, first.owner)
        choice = self._consult(options, DecisionKind.RUN, first.front)
        if choice is None:
            return None
        self._decided_at = self.steps + 1
        if not choice:
            return first
        chosen = index.nth_other(first.owner, choice)
        self._note_departure(self._threads[first.owner], self._threads[chosen.owner])
        return chosen

    def _consult(self, options: Sequence[Option], kind: DecisionKind, preemption: bool) -> int | None:
        """The one place the strategy is asked: its choice among ``options``, recorded in
        the schedule, or None when it has none to give (the run then stops, failed).

        RUN decisions pass ``LazyOptions``, built only if the strategy looks at them: a
        decision among many greenthreads then costs what one among two does.  A
        strategy that keeps them past ``choose`` gets them built before anything else
        runs, while they still hold.
        """
        count = len(options)
        decision = Decision(len(self.choices), self.steps, options, self._last_paused, preemption, kind)
        try:
            choice = self.strategy.choose(decision)
        except ScheduleDivergence as exc:
            _seal(options)
            self._record(exc, "hub")
            return None
        probe = weakref.ref(options) if isinstance(options, LazyOptions) else None
        del decision, options  # now only the strategy can hold them
        kept = probe() if probe is not None else None
        if kept is not None:
            kept.seal()
        if not 0 <= choice < count:
            self._record(HarnessError(f"strategy returned option {choice} of {count}"), "hub")
            return None
        self.choices.append(choice)
        self.option_counts.append(count)
        return choice

    def _options_for(self, first: greenlet.greenlet) -> tuple[Option, ...]:
        """The options of the current decision: Option objects are reused while a
        greenthread's label is unchanged."""
        assert self.hub is not None
        threads, cache = self._threads, self._options
        options: list[Option] = []
        for owner in self.hub.index.owners(first):
            thread = threads[owner]
            key = (thread.ident, thread.label)
            option = cache.get(key)
            if option is None:
                option = cache[key] = Option(thread.ident, thread.label)
            options.append(option)
        return tuple(options)

    def _note_departure(self, default: _Thread, chosen: _Thread) -> None:
        """Say where the greenthread eventlet would have run next was left waiting: the
        half of a preemption's story that the chosen greenthread's ``run`` event lacks."""
        self.trace.events.append(Event(self.steps, self.now(), default.name, EventKind.PREEMPTED,
                                       f"at {default.label}; {chosen.name} runs instead"))

    def _fire(self, hub: DeterministicHub, entry: Entry) -> None:
        hub.take(entry)
        self.steps += 1
        if self.steps > self.config.max_steps and not self.stopping:
            self._record(StepLimitExceeded(
                f"the run took more than {self.config.max_steps} steps without finishing: a livelock "
                "or a loop with no end. Set a virtual-time horizon (until=...) for periodic loops, "
                "or raise max_steps if the program is just long."), "hub")
            return
        owner = entry.owner
        info = self._threads.get(owner) or self._info(owner)
        if not self.stopping:
            if self._decided_at == self.steps:
                detail = f"after {info.label} [option {self.choices[-1]} of {self.option_counts[-1]}]"
            else:
                detail = f"after {info.label}"
            self.trace.events.append(Event(self.steps, hub.now, info.name, EventKind.RUN, detail))
            if self._accesses is not None:
                self._accesses.begin_step(info.ident)
        try:
            entry.timer()
        except greenlet.GreenletExit:
            pass
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - every escape is a finding
            escapes.escaped_from(self, owner, exc)

    # -- bookkeeping hooks called by the hub ----------------------------------
    def on_timer_armed(self, entry: Entry, current: greenlet.greenlet) -> None:
        owner = entry.owner
        if owner is not current and owner in self._threads:
            if self._footprint is not None:
                self._footprint.wake(self._threads[owner].ident)
            if self._accesses is not None and current in self._threads:
                self._accesses.woke(self._threads[current].ident, self._threads[owner].ident)
        if owner not in self._threads and owner is not self.hub_greenlet:
            if strays.foreign(self, owner):
                strays.refuse(self, entry, owner, current)
                return
            info = self._register(owner)
            parent = self._threads.get(current)
            what = self._body_name() if info.ident == 0 else labels.spawned_function(entry.timer)
            if parent is not None and self._accesses is not None:
                self._accesses.woke(parent.ident, info.ident)
            self._add(parent.name if parent else "hub", EventKind.SPAWN, f"{info.name} {what}".rstrip())

    def on_switch_out(self, current: greenlet.greenlet) -> None:
        info = self._threads.get(current)
        if info is None:
            return
        label = self._next_label
        self._next_label = None
        if label is None:
            label = caller_label(3) if self.config.trace_labels else "switch"
        info.label = label
        self._last_paused = info.ident

    @property
    def hub_greenlet(self) -> greenlet.greenlet | None:
        return self.hub.greenlet if self.hub is not None else None

    # -- choices other than who runs next -------------------------------------
    def choose(self, label: str, thread_ids: Sequence[int]) -> int:
        """Ask the strategy which of ``thread_ids`` a wake-up goes to (queue waiters).

        Recorded like any decision (option 0 is the first id), so schedules
        replay it; fewer than two options is no decision.  The step making the
        choice is opaque to partial-order reduction: which waiter it wakes is
        not a footprint the reduction can compare.
        """
        if len(thread_ids) < 2 or self.stopping or self.failures:
            return 0
        options = tuple(Option(ident, label) for ident in thread_ids)
        index = self._consult(options, DecisionKind.WAKE, False)
        if index is None:
            return 0
        if self._footprint is not None:
            self._footprint.opaque = True
        self._add(self.thread_name(), EventKind.CHOOSE,
                  f"{label}: gt{thread_ids[index]} [option {index} of {len(options)}]")
        return index

    # -- points protocol ------------------------------------------------------
    def preempt(self, label: str, opaque: bool = False) -> None:
        self._offer_preemption(label)
        if opaque and self._footprint is not None:  # the resumed step does what nobody declared
            self._footprint.opaque = True

    def access(self, label: str, reads: tuple[str, ...], writes: tuple[str, ...],
               appends: tuple[str, ...], offer: bool) -> None:
        """An automatic point (``preempt_modules``): a switch offer, then the access's exact
        resources as a partial declaration of the step that performs it."""
        if offer:
            self._offer_preemption(label)
        info = self._threads.get(greenlet.getcurrent())
        if self._accesses is not None and info is not None and (reads or writes or appends):
            self._accesses.record(info.ident, reads, (*writes, *appends), caller_place(2))
        builder = self._footprint
        if builder is not None:
            for resource in reads:
                builder.touch(resource, False, False, True)
            for resource in writes:
                builder.touch(resource, True, False, True)
            for resource in appends:
                builder.touch(resource, True, True, True)

    def _offer_preemption(self, label: str) -> None:
        hub = self.hub
        if not self.config.preemptive or hub is None or self.stopping:
            return
        current = greenlet.getcurrent()
        if current is hub.greenlet or current not in self._threads:
            return
        if not hub.has_other_ready(current):
            return
        self._next_label = f"{label} at {caller_place(3)}" if self.config.trace_labels else label
        hub.add_front(eventlet_timer.Timer(0, current.switch))
        hub.switch()

    def io(self, label: str, delay: float, footprint: Footprint | None = None) -> None:
        hub = self.hub
        if hub is None:
            return
        current = greenlet.getcurrent()
        if current is hub.greenlet or current not in self._threads:
            return
        self._io_touched(footprint)
        if delay <= 0 and not hub.has_other_ready(current):
            self._add(self._threads[current].name, EventKind.IO, label)
            return
        self._next_label = label
        eventlet.sleep(delay)
        if footprint is None:
            self._io_touched(None)

    def _io_touched(self, footprint: Footprint | None) -> None:
        """Green I/O reaches shared state behind the wire: what the fake declares it
        touched, or (undeclared) both steps around it are opaque."""
        if self._footprint is not None:
            self._footprint.add(OPAQUE if footprint is None else footprint)

    def touch(self, resource: object, write: bool, append: bool = False, partial: bool = False) -> None:
        if self._footprint is not None:
            self._footprint.touch(self._resources.name(resource), write, append, partial)

    def note(self, kind: EventKind | str, detail: str) -> None:
        self._add(self.thread_name(), kind, detail)

    def fail(self, error: BaseException) -> None:
        self._record(error, self.thread_name(), "".join(traceback.format_stack()[:-2]))

    def thread_name(self) -> str:
        info = self._threads.get(greenlet.getcurrent())
        return info.name if info else "hub"

    def now(self) -> float:
        hub = self.hub
        return hub.now if hub is not None else 0.0

    def where(self) -> str:
        return caller_label(3)

    def report_escape(self, thread: greenlet.greenlet, exc: BaseException) -> None:
        """``exc`` left a greenlet into hub code that swallows it (a queue's
        ``Waiter.switch`` prints it): judge it as if it had reached the run loop."""
        escapes.escaped_from(self, thread, exc)

    def report_unhandled(self, thread: greenlet.greenlet, exc: BaseException) -> None:
        """Library code caught ``exc`` and printed it as unhandled (a ``GreenPool.spawn_n``
        body, a monkey-patched ``threading.Thread``): nobody can observe it."""
        escapes.unhandled(self, exc, self._info(thread).name)

    def mark_observed(self, thread: greenlet.greenlet) -> None:
        info = self._threads.get(thread)
        if info is not None:
            info.observed = True
            if self._footprint is not None and isinstance(self._observer, RunObserver):
                self._footprint.touch(f"thread:{info.ident}", False, False, True)  # a join: see _end_of_step

    def thread_id(self, thread: greenlet.greenlet) -> int:
        info = self._threads.get(thread)
        return info.ident if info is not None else sys.maxsize

    # -- internals ------------------------------------------------------------
    def _info(self, thread: greenlet.greenlet) -> _Thread:
        info = self._threads.get(thread)
        if info is None:
            info = self._register(thread)
        return info

    def _register(self, thread: greenlet.greenlet) -> _Thread:
        ident = len(self._by_id)
        info = _Thread(ident, f"gt{ident}")
        self._threads[thread] = info
        self._by_id.append(thread)
        if self.hub is not None:
            self.hub.name_thread(thread, ident)
        return info

    def _rank(self, thread: greenlet.greenlet) -> int:
        """A greenthread's id, naming it first if need be (the hub asks as it meets one)."""
        return self._info(thread).ident

    def _add(self, thread: str, kind: EventKind | str, detail: str, when: float | None = None) -> None:
        hub = self.hub
        stamp = when if when is not None else (hub.now if hub is not None else 0.0)
        self.trace.add(self.steps, stamp, thread, kind, detail)

    def _record(self, error: BaseException, thread: str, tb: str | None = None) -> None:
        if tb is None:
            tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        hub = self.hub
        stamp = hub.now if hub is not None else 0.0
        self.failures.append(FailureRecord(error, thread, self.steps, stamp, tb))
        self._add(thread, EventKind.FAIL, f"{type(error).__name__}: {error}")


def _seal(options: Sequence[Option]) -> None:
    if isinstance(options, LazyOptions):
        options.seal()
