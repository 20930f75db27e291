"""Helpers shared by the engine tests: targets, default replays, survivors."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import greenlet
from eventlet import event, greenthread, hubs, queue

import harness
from harness._engine import clock
from harness._engine.run import Run, RunResult
from harness._schedule import Schedule
from harness._targets import Target

FINGERPRINT = "0123456789ab"


def make_target(body: Callable[[], object], name: str = "tests:prog", **extra: object) -> Target:
    """A target with a fixed name and fingerprint, so schedule strings are stable."""
    return Target(name=name, body=body, fingerprint=FINGERPRINT, **extra)  # type: ignore[arg-type]


def schedule_for(target: Target, *choices: int, model: str = "cooperative") -> str:
    return Schedule(target.name, model, target.fingerprint, tuple(choices)).encode()


def run_default(body: Callable[[], object], **kwargs: object) -> RunResult:
    """Replay the all-zero schedule: eventlet's own order."""
    target = make_target(body)
    return harness.replay(target, schedule_for(target), **kwargs)  # type: ignore[arg-type]


@contextmanager
def registered_greenthreads() -> Iterator[list[greenlet.greenlet]]:
    """Every greenthread the runs inside register, held strongly.

    Holding them matters: a suspended greenlet nobody references is collected,
    and greenlet then kills it at some later moment, outside any run.  With a
    strong reference, a survivor stays visibly alive (``not g.dead``).
    """
    seen: list[greenlet.greenlet] = []
    original = Run._register

    def register(self: Run, thread: greenlet.greenlet) -> object:
        seen.append(thread)
        return original(self, thread)

    Run._register = register  # type: ignore[method-assign,assignment]
    try:
        yield seen
    finally:
        Run._register = original  # type: ignore[method-assign]


def live_greenlets() -> set[greenlet.greenlet]:
    """Every started, unfinished greenlet except the caller's."""
    me = greenlet.getcurrent()
    return {
        obj for obj in gc.get_objects()
        if isinstance(obj, greenlet.greenlet) and not obj.dead and obj is not me and bool(obj)
    }


def global_state() -> dict[str, object]:
    """What an exploration patches and must put back, by identity."""
    import random
    import socket
    import subprocess
    import threading
    import time

    return {
        "random": random.getstate(),
        "Thread.start": threading.Thread.start,
        "socket.connect": socket.socket.connect,
        "socket.create_connection": socket.create_connection,
        "Popen.__init__": subprocess.Popen.__init__,
        "use_hub": hubs.use_hub,
        "hub": hubs._threadlocal.__dict__.get("hub"),
        "threadlocal": dict(hubs._threadlocal.__dict__),
        "time.time": time.time,
        "time.monotonic": time.monotonic,
        "time.perf_counter": time.perf_counter,
        "Event.send": event.Event.send,
        "GreenThread.wait": greenthread.GreenThread.wait,
        "LightQueue.__init__": queue.LightQueue.__init__,
    }


def assert_restored(before: dict[str, object]) -> None:
    after = global_state()
    changed = [key for key in before if before[key] is not after[key] and before[key] != after[key]]
    assert not changed, f"not restored after the exploration: {changed}"
    assert after["time.time"] is clock.REAL["time"]
