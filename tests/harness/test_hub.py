"""DeterministicHub: timers on a virtual clock, ordered by (time, arming order),
tagged with the greenthread they resume; real I/O refused."""

from __future__ import annotations

import random
from typing import Any

import eventlet
import greenlet
import pytest
from engine_helpers import make_target, run_default
from eventlet import event
from eventlet.green import socket as green_socket
from eventlet.hubs.timer import LocalTimer, Timer
from eventlet.semaphore import Semaphore

import harness
from harness._engine.clock import EPOCH
from harness._engine.hub import DeterministicHub, Entry, timer_owner
from harness._errors import HubBypassError


class StubRun:
    """What the hub calls back into, recorded."""

    def __init__(self) -> None:
        self.armed: list[Entry] = []
        self.failed: list[BaseException] = []

    def on_timer_armed(self, entry: Entry, current: greenlet.greenlet) -> None:
        self.armed.append(entry)

    def fail(self, error: BaseException) -> None:
        self.failed.append(error)

    def where(self) -> str:
        return "here"


def _hub() -> tuple[DeterministicHub, StubRun]:
    run = StubRun()
    return DeterministicHub(run), run  # type: ignore[arg-type]


def _noop(*args: Any) -> None:
    pass


def _arm(hub: DeterministicHub, seconds: float, owner: greenlet.greenlet | None = None) -> Timer:
    timer = Timer(seconds, owner.switch if owner is not None else _noop)
    hub.add_timer(timer)
    return timer


def _owners(entries: list[Entry]) -> list[greenlet.greenlet]:
    return [entry.owner for entry in entries]


def test_the_clock_starts_at_the_epoch_and_only_moves_when_advanced() -> None:
    hub, _ = _hub()
    assert hub.clock() == EPOCH
    _arm(hub, 10)
    assert hub.clock() == EPOCH
    assert hub.advance(None)
    assert hub.clock() == EPOCH + 10


def test_due_now_is_ready_in_arming_order_later_is_in_the_future() -> None:
    hub, run = _hub()
    a, b, c = (greenlet.greenlet(_noop) for _ in range(3))
    assert hub.add_timer(Timer(0, b.switch)) == EPOCH
    hub.add_timer(Timer(-1, a.switch))  # negative is now
    hub.add_timer(Timer(5, c.switch))
    assert _owners(list(hub.ready)) == [b, a]
    assert _owners(hub.future) == [c]
    assert _owners(run.armed) == [b, a, c]
    assert hub.get_timers_count() == 3


def test_candidates_are_the_first_live_timer_of_each_greenthread() -> None:
    hub, _ = _hub()
    a, b = greenlet.greenlet(_noop), greenlet.greenlet(_noop)
    first_a = _arm(hub, 0, a)
    _arm(hub, 0, b)
    _arm(hub, 0, a)
    candidates = hub.candidates()
    assert _owners(candidates) == [a, b]
    assert candidates[0].timer is first_a
    first_a.cancel()
    assert _owners(hub.candidates()) == [b, a]  # the cancelled timer is dropped
    assert len(hub.ready) == 2


def _rescan(ready: list[Entry]) -> list[Entry]:
    """What the index must answer, from first principles: each greenthread's first live
    ready timer, in ready order (option 0 is the first; the rest go by rank)."""
    seen: list[greenlet.greenlet] = []
    out = []
    for entry in ready:
        if entry.live and entry.owner not in seen:
            seen.append(entry.owner)
            out.append(entry)
    return out


def _check_index(hub: DeterministicHub, first: Entry, expected: list[Entry]) -> list[Entry]:
    """The index names ``expected``'s greenthreads, option 0 first, the rest by rank."""
    ranks, index = hub.ranks, hub.index
    order = [expected[0], *sorted(expected[1:], key=lambda entry: ranks[entry.owner])]
    assert first is expected[0]
    assert index.count() == len(order)
    assert list(index.owners(first.owner)) == [entry.owner for entry in order]
    assert [index.nth_other(first.owner, k) for k in range(1, len(order))] == order[1:]
    return order


def _check_others(hub: DeterministicHub, threads: list[greenlet.greenlet]) -> None:
    expected = _rescan(list(hub.ready))
    for who in threads:
        assert hub.has_other_ready(who) == any(entry.owner is not who for entry in expected)


def test_the_ready_index_answers_what_a_rescan_of_the_ready_queue_would() -> None:
    # A long random mix of arming, front arming, cancelling, local timers whose
    # greenlet dies, firing any candidate and advancing the clock; at every step the
    # index must name the same greenthreads, in the same order, as a rescan.
    rng = random.Random(7)
    hub, _ = _hub()
    me = greenlet.getcurrent()
    owners = [greenlet.greenlet(_noop) for _ in range(6)]
    hub.ranks.update({owner: rank for rank, owner in enumerate(owners[:5])})  # owners[5]: unranked
    hub.ranks[me] = 9
    named: list[greenlet.greenlet] = []

    def name(owner: greenlet.greenlet) -> int:
        named.append(owner)
        return 10 + len(named)

    def arm_local(owner: greenlet.greenlet) -> None:  # dies with the greenlet that armed it
        greenlet.greenlet(lambda: hub.add_timer(LocalTimer(0, owner.switch))).switch()

    armed: list[Timer] = []
    fresh = 0
    saved = eventlet.hubs._threadlocal.__dict__.get("hub")
    eventlet.hubs._threadlocal.hub = hub  # Timer.cancel tells the current hub
    try:
        for _ in range(4000):
            action = rng.random()
            owner = rng.choice(owners)
            if action < 0.35:
                armed.append(_arm(hub, rng.choice((0, 0, 0, 0.5)), owner))
            elif action < 0.4:
                hub.add_front(Timer(0, me.switch))
            elif action < 0.45 and armed:  # a ready timer or any other
                victims = [entry.timer for entry in hub.ready] if rng.random() < 0.5 else armed
                rng.choice(victims or armed).cancel()
            elif action < 0.46:
                arm_local(owner)
            expected = _rescan(list(hub.ready))
            fresh += not hub.stale
            first = hub.next_ready(name)
            if first is None:
                assert not expected
                hub.advance(None)
                continue
            order = _check_index(hub, first, expected)
            _check_others(hub, [*owners, me])
            if action < 0.9:  # fire one, as the run loop would
                chosen = order[rng.randrange(len(order))]
                hub.take(chosen)
                chosen.timer.called = True
                _check_others(hub, [*owners, me])  # a preemption point asks mid-step
    finally:
        eventlet.hubs._threadlocal.hub = saved
    assert named == [owners[5]]  # named once, when first met
    assert fresh > 1000  # most steps took the incremental path, not a rebuild


def test_advance_jumps_to_the_next_time_and_readies_everything_due_then() -> None:
    hub, _ = _hub()
    a, b, c = (greenlet.greenlet(_noop) for _ in range(3))
    cancelled = _arm(hub, 1, a)
    _arm(hub, 3, b)
    _arm(hub, 2, c)
    _arm(hub, 2, a)
    cancelled.cancel()
    assert hub.pending_future() == 3
    assert hub.advance(None)
    assert hub.now == EPOCH + 2  # the cancelled t=1 timer does not stop the clock
    assert _owners(list(hub.ready)) == [c, a]  # same time: arming order
    hub.ready.clear()
    assert not hub.advance(EPOCH + 2.5)  # beyond the horizon
    assert hub.now == EPOCH + 2
    assert hub.advance(None)
    assert _owners(list(hub.ready)) == [b]
    hub.ready.clear()
    assert not hub.advance(None)


def test_add_front_puts_a_resume_before_every_ready_timer() -> None:
    hub, run = _hub()
    a = greenlet.greenlet(_noop)
    _arm(hub, 0, a)
    front = Timer(0, _noop)
    hub.add_front(front)
    assert hub.ready[0].timer is front and hub.ready[0].front
    assert len(run.armed) == 1  # not a new timer of the program


def test_a_local_timer_dies_with_its_greenlet() -> None:
    # Regression: a dead greenlet is falsy, and the liveness test used truthiness,
    # so a dead greenthread's LocalTimer stayed a candidate (and a decision).
    def arm_local() -> LocalTimer:
        return LocalTimer(0, _noop)

    owner = greenlet.greenlet(arm_local)
    local = owner.switch()
    entry = Entry(EPOCH, 1, local, owner)
    assert owner.dead
    assert not entry.live
    living = greenlet.greenlet(lambda: greenlet.getcurrent().parent.switch(LocalTimer(0, _noop)))
    alive_timer = living.switch()
    assert Entry(EPOCH, 2, alive_timer, living).live
    alive_timer.cancel()
    assert not Entry(EPOCH, 3, alive_timer, living).live
    assert Entry(EPOCH, 4, Timer(0, _noop), owner).live  # a global timer outlives its armer


def test_a_dead_greenthreads_local_timer_is_not_an_interleaving() -> None:
    def body() -> None:
        def arms_and_exits() -> None:
            eventlet.hubs.get_hub().schedule_call_local(0, _noop)

        def switches() -> None:
            eventlet.sleep(0)
            eventlet.sleep(0)

        first, second = eventlet.spawn(arms_and_exits), eventlet.spawn(switches)
        first.wait()
        second.wait()

    # chains (start, gt0's wake-up) and (3 segments): C(5,2) = 10; the bug gave 46
    exploration = harness.explore(make_target(body), strategy="dfs")
    assert exploration.exhausted and exploration.schedules_run == 10


def test_timer_owner_is_the_greenthread_the_timer_resumes() -> None:
    me = greenlet.getcurrent()
    target = greenlet.greenlet(_noop)
    assert timer_owner(Timer(0, target.switch), me) is target
    waiter = greenlet.greenlet(_noop)
    done = event.Event()
    assert timer_owner(Timer(0, done._do_send, None, None, waiter), me) is waiter
    assert timer_owner(Timer(0, _noop), me) is me
    lock = Semaphore(0)
    assert timer_owner(Timer(0, lock._do_acquire), me) is me  # nobody waits: the armer
    lock._waiters.append(waiter)
    assert timer_owner(Timer(0, lock._do_acquire), me) is waiter


def test_the_hub_never_waits_and_refuses_blocking_calls_from_itself() -> None:
    hub, _ = _hub()
    with pytest.raises(RuntimeError, match="never waits"):
        hub.wait(1)

    def from_the_hub() -> None:
        hub.switch()

    hub.greenlet = greenlet.greenlet(from_the_hub)
    with pytest.raises(RuntimeError, match="blocking functions from the harness hub"):
        hub.greenlet.switch()


def test_waiting_on_a_real_descriptor_is_refused_and_fails_the_run() -> None:
    hub, run = _hub()
    with pytest.raises(HubBypassError, match="read real file descriptor 7 \\(here\\)"):
        hub.add("read", 7, _noop, _noop, _noop)
    assert len(run.failed) == 1


def test_a_real_socket_wait_fails_the_run_even_if_the_code_catches_it() -> None:
    caught: list[BaseException] = []

    def body() -> None:
        left, right = green_socket.socketpair()
        try:
            left.recv(10)  # nothing was sent: eventlet would wait on the fd
        except Exception as exc:  # noqa: BLE001 - code that swallows everything
            caught.append(exc)
        finally:
            left.close()
            right.close()

    result = run_default(body)
    assert [type(exc) for exc in caught] == [HubBypassError]
    assert result.failure is not None
    assert isinstance(result.failure.error, HubBypassError)
    message = str(result.failure.error)
    assert "recv at test_hub.py" in message
    assert "Route it through a fake" in message
    exploration = harness.explore(make_target(body), strategy="random", schedules=50)
    assert exploration.schedules_run == 1  # a harness error ends the exploration at once
