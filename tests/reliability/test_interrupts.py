"""Ctrl-C at any instant of an exploration leaves nothing installed and surfaces as KeyboardInterrupt.

Fault injection: many short explorations, each interrupted once at a random
instant (a seeded delay, an ``ITIMER_REAL`` alarm whose handler sends the
process a real SIGINT).  After each one, everything an exploration installs
is compared by identity with a snapshot taken before: the clock twins in
``time`` and ``datetime`` (and a ``from time import monotonic`` binding
here), pickling of dates, the socket/thread/fork/subprocess/stdin guards,
eventlet's patched primitives and hub, tpool and the thread excepthook, the
global random state, the profile hook, the SIGINT handler and mask, and the
active run.  Every interrupt must surface as KeyboardInterrupt, never as another
exception, and none may be swallowed.  A leftover is reported, then undone,
so that the trials stay independent and every leak is counted once.

The fast test interrupts about 200 explorations (seconds); the slow one a
few thousand.
"""

from __future__ import annotations

import _thread
import builtins
import copyreg
import datetime
import functools
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import monotonic as bound_monotonic  # rebound to a twin during explorations
from typing import Any

import eventlet
import pytest
import reliability_programs as programs
import requests
from eventlet import event, greenpool, greenthread, hubs, queue, tpool

import harness
from harness._engine import points

pytestmark = [pytest.mark.filterwarnings("ignore:.*read the real clock during a harness run"),
              # an interrupt landing in a finalizer is unraisable there (the harness raises it later)
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
              pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")]

T = programs.target
REAL_MONOTONIC = time.monotonic
MISSING = object()

# Short explorations that end in different ways: a race, a pass, a deadlock, the fake ONTAP.
PLANS: tuple[tuple[str, harness.Target, dict[str, Any]], ...] = (
    ("race", T(programs.lost_update), {"strategy": "dfs", "schedules": 20, "stop_on_failure": False}),
    ("pass", T(programs.guarded_update), {"strategy": "random", "schedules": 10}),
    ("deadlock", T(programs.deadlock), {"strategy": "random", "schedules": 5}),
    ("preemptive", T(programs.lost_update), {"strategy": "random", "schedules": 10,
                                             "preemption": "preemptive"}),
    ("fake ontap", T(programs.fake_requests), {"strategy": "random", "schedules": 3}),
)
OWNERS: tuple[tuple[str, Any], ...] = (
    ("time", time), ("datetime", datetime), ("socket", socket), ("socket.socket", socket.socket),
    ("threading", threading), ("threading.Thread", threading.Thread), ("_thread", _thread), ("os", os),
    ("subprocess.Popen", subprocess.Popen), ("eventlet", eventlet), ("eventlet.hubs", hubs),
    ("eventlet.greenthread", greenthread), ("GreenThread", greenthread.GreenThread),
    ("Event", event.Event), ("LightQueue", queue.LightQueue), ("Waiter", queue.Waiter),
    ("GreenPool", greenpool.GreenPool), ("tpool", tpool), ("requests.Session", requests.Session),
    ("builtins", builtins),
)
# Module attributes that legitimately change while a process runs.
_VOLATILE = {"threading._counter", "threading._dangling", "os.environ"}
# Installed by the fake ONTAP's own ``install()`` inside the run's body, i.e. by the code
# under test, not by the harness: counted apart (``Tally.fake_leaks``), not asserted on.
FAKE_OWNED = frozenset({"requests.Session.get_adapter"})


def snapshot() -> dict[str, Any]:
    """Everything an exploration may install, by identity."""
    state: dict[str, Any] = {}
    for label, owner in OWNERS:
        for name, value in list(vars(owner).items()):
            key = f"{label}.{name}"
            if key not in _VOLATILE and (callable(value) or isinstance(value, type)):
                state[key] = value
    state["copyreg.dispatch_table"] = dict(copyreg.dispatch_table)
    state["eventlet hub (and hub class)"] = dict(hubs._threadlocal.__dict__)
    state["active run"] = points.active_run()
    state["random"] = random.getstate()
    state["profile"] = sys.getprofile()
    state["SIGINT handler"] = signal.getsignal(signal.SIGINT)
    state["SIGINT blocked"] = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    state["sys.stdin"] = sys.stdin
    state["bound monotonic"] = bound_monotonic
    return state


def leftovers(before: dict[str, Any]) -> list[str]:
    after = snapshot()
    return sorted(key for key in set(before) | set(after)
                  if not _same(before.get(key, MISSING), after.get(key, MISSING)))


def _same(left: object, right: object) -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(left[k] is right[k] for k in left)
    return left is right or (isinstance(left, tuple | bool) and left == right)


def undo(before: dict[str, Any], keys: list[str]) -> None:
    """Put back what a leak left (so that later trials start clean)."""
    owners = dict(OWNERS)
    for key in keys:
        value = before.get(key, MISSING)
        if key == "copyreg.dispatch_table":
            copyreg.dispatch_table.clear()
            copyreg.dispatch_table.update(value)
        elif key == "eventlet hub (and hub class)":
            hubs._threadlocal.__dict__.clear()
            hubs._threadlocal.__dict__.update(value)
        elif key == "active run":
            points._set_active(value)
        elif key == "random":
            random.setstate(value)
        elif key == "profile":
            sys.setprofile(value)
        elif key == "SIGINT handler":
            signal.signal(signal.SIGINT, value)
        elif key == "SIGINT blocked":
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        elif key == "sys.stdin":
            sys.stdin = value
        elif key == "bound monotonic":
            globals()["bound_monotonic"] = value
        else:
            label, _, name = key.rpartition(".")
            if value is MISSING:
                delattr(owners[label], name)
            else:
                setattr(owners[label], name, value)


@dataclass
class Tally:
    """What the interrupted explorations did."""

    trials: int = 0
    landed: int = 0  # the interrupt arrived while the exploration ran
    surfaced: int = 0  # ... and surfaced as KeyboardInterrupt
    swallowed: int = 0  # ... and the exploration returned as if nothing happened
    others: list[str] = field(default_factory=list)  # another exception instead
    leaks: list[str] = field(default_factory=list)  # what was left installed, one entry per trial
    fake_leaks: list[str] = field(default_factory=list)  # what the fake ONTAP's own install left

    def summary(self) -> str:
        return (f"{self.trials} trials, {self.landed} interrupts landed in an exploration, "
                f"{self.surfaced} surfaced as KeyboardInterrupt, {self.swallowed} swallowed, "
                f"{len(self.others)} other exception(s), {len(self.leaks)} trial(s) left something installed "
                f"(and {len(self.fake_leaks)} left the fake ONTAP's adapter patch)")


@contextmanager
def alarm_sends_sigint(fired: list[bool], exploring: list[bool]) -> Iterator[None]:
    """SIGALRM's handler sends the process a real SIGINT, noting whether an exploration was running."""
    def send(_signum: int, _frame: object) -> None:
        fired.append(exploring[0])
        os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGALRM, send)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def calibrate() -> dict[str, float]:
    """How long each plan takes uninterrupted (after a warm-up run)."""
    durations = {}
    for name, target, options in PLANS:
        harness.explore(target, **options)
        started = time.perf_counter()
        harness.explore(target, **options)
        durations[name] = time.perf_counter() - started
    return durations


def interrupt_explorations(count: int, seed: int) -> Tally:
    """Interrupt ``count`` explorations at seeded random instants; tally what surfaced and what leaked."""
    rng = random.Random(seed)
    durations = calibrate()
    tally = Tally()
    fired: list[bool] = []
    exploring = [False]
    with alarm_sends_sigint(fired, exploring):
        for _ in range(count):
            name, target, options = PLANS[rng.randrange(len(PLANS))]
            delay = rng.uniform(0.0, durations[name] * 1.15) + 1e-6
            before = snapshot()
            fired.clear()
            _one_trial(functools.partial(harness.explore, target, **options), delay, fired, exploring, tally)
            left = leftovers(before)
            if left:
                where = f"{name} after {delay * 1e3:.2f} ms: "
                ours = [key for key in left if key not in FAKE_OWNED]
                if ours:
                    tally.leaks.append(where + ", ".join(ours))
                if len(ours) < len(left):
                    tally.fake_leaks.append(where + ", ".join(sorted(FAKE_OWNED & set(left))))
                undo(before, left)
    return tally


def _one_trial(explore: Callable[[], object], delay: float, fired: list[bool], exploring: list[bool],
               tally: Tally) -> None:
    tally.trials += 1
    try:
        exploring[0] = True
        signal.setitimer(signal.ITIMER_REAL, delay)
        explore()
        exploring[0] = False
        _wait_for(fired)  # the interrupt comes after the exploration: it surfaces here
        tally.swallowed += 1  # fired during the exploration and never surfaced
        tally.landed += 1
    except KeyboardInterrupt:
        landed = bool(fired and fired[0])
        tally.landed += landed
        tally.surfaced += landed
    except BaseException as exc:  # noqa: BLE001 - exactly what must never happen
        tally.landed += 1
        where = traceback.extract_tb(exc.__traceback__)[-1]
        tally.others.append(f"{type(exc).__name__}: {exc} at {os.path.basename(where.filename)}:"
                            f"{where.lineno} in {where.name}")
        _wait_for(fired)
    finally:
        exploring[0] = False


def _wait_for(fired: list[bool]) -> None:
    """Spin until the alarm has fired and its SIGINT was handled (bounded: 2 s)."""
    deadline = REAL_MONOTONIC() + 2.0
    while not fired and REAL_MONOTONIC() < deadline:
        pass
    for _ in range(1000):  # checkpoints at which a SIGINT still pending is handled
        _nothing()


def _nothing() -> None:
    return None


def _assert_clean(tally: Tally) -> None:
    print(tally.summary())  # the numbers, with -s
    assert tally.landed >= tally.trials // 2, tally.summary()
    assert not tally.others, "\n".join([tally.summary(), *tally.others[:10]])
    assert not tally.leaks, "\n".join([tally.summary(), *tally.leaks[:10]])
    assert tally.swallowed == 0, tally.summary()
    assert tally.surfaced == tally.landed, tally.summary()


def test_two_hundred_interrupts_at_random_instants_leave_nothing_installed() -> None:
    _assert_clean(interrupt_explorations(200, seed=21))


@pytest.mark.slow
def test_thousands_of_interrupts_at_random_instants_leave_nothing_installed() -> None:
    _assert_clean(interrupt_explorations(3000, seed=2106))


def test_the_snapshot_sees_an_installed_environment() -> None:
    """The check itself: inside an exploration's environment the snapshot differs."""
    from harness._search.session import installed

    before = snapshot()
    with installed(T(programs.lost_update)):
        inside = leftovers(before)
    assert {"time.time", "datetime.datetime", "socket.socket.connect", "threading.Thread.start", "os.fork",
            "Event.send", "tpool.execute", "bound monotonic", "builtins.input", "sys.stdin"} <= set(inside)
    assert leftovers(before) == []
