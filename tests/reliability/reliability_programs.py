"""Small programs the reliability tests run, and a snapshot of what a run must put back.

The programs are importable as ``reliability_programs:<name>`` (the CLI tests
put this directory on ``PYTHONPATH``), so the same bodies serve the API and
the command line.  Each one ends in a known way: pass, race, deadlock, step
limit, a refused escape from the scheduler, or a nondeterministic trace.
"""

from __future__ import annotations

import _thread
import datetime
import gc
import os
import random
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import eventlet
import greenlet
import requests
from eventlet import event, greenpool, greenthread, hubs, queue, semaphore, tpool
from eventlet.semaphore import Semaphore

from harness._engine import points
from harness._targets import Target
from race_harness.fakes.ontap import adapter as fake_adapter

FINGERPRINT = "0123456789ab"


def target(body: Callable[[], object], name: str | None = None, **extra: Any) -> Target:
    """A target with a fixed name and fingerprint, so schedule strings are stable."""
    return Target(name=name or f"reliability_programs:{body.__name__}", body=body,
                  fingerprint=FINGERPRINT, **extra)


# -- programs that end in a known way ----------------------------------------------------

def lost_update() -> None:
    """Read, switch, write back: some orders lose an increment."""
    counter = {"value": 0}

    def increment() -> None:
        value = counter["value"]
        eventlet.sleep(0)
        counter["value"] = value + 1

    threads = [eventlet.spawn(increment), eventlet.spawn(increment)]
    for thread in threads:
        thread.wait()
    assert counter["value"] == 2, f"lost update: counter is {counter['value']}, expected 2"


def guarded_update() -> None:
    """The same increments under a green semaphore: every order passes."""
    counter = {"value": 0}
    lock = Semaphore()

    def increment() -> None:
        with lock:
            value = counter["value"]
            eventlet.sleep(0)
            counter["value"] = value + 1

    threads = [eventlet.spawn(increment), eventlet.spawn(increment)]
    for thread in threads:
        thread.wait()
    assert counter["value"] == 2


def deadlock() -> None:
    never = eventlet.Event()
    for _ in range(2):
        eventlet.spawn(never.wait)
    never.wait()


def livelock() -> None:
    """Two greenthreads yielding to each other forever: only the step limit ends it."""
    def spin() -> None:
        while True:
            eventlet.sleep(0)

    eventlet.spawn(spin)
    spin()


def periodic() -> None:
    """A looping task: ends at the virtual-time horizon."""
    def tick() -> None:
        while True:
            eventlet.sleep(60)

    eventlet.spawn(tick)
    eventlet.spawn(tick).wait()


def no_yield() -> None:
    """Straight-line code: nothing can interleave, so no decision is ever offered."""
    total = sum(range(100))
    assert total == 4950


def starts_native_thread() -> None:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    eventlet.sleep(0)


def starts_raw_thread() -> None:
    done = threading.Event()
    _thread.start_new_thread(done.set, ())
    done.wait(5)
    eventlet.sleep(0)


def opens_real_socket() -> None:
    """Connects to a real port: refused before any byte leaves."""
    connection = socket.create_connection(("127.0.0.1", 9), timeout=0.5)
    connection.close()


def waits_on_green_socket() -> None:
    """A green socket wait would go to the hub's fd polling: refused as a hub bypass."""
    from eventlet.green import socket as green_socket

    left, right = green_socket.socketpair()
    try:
        left.recv(1)
    finally:
        left.close()
        right.close()


def starts_subprocess() -> None:
    subprocess.run(["true"], check=False)
    eventlet.sleep(0)


def runs_os_system() -> None:
    os.system("true")
    eventlet.sleep(0)


def installs_second_hub() -> None:
    hubs.use_hub("eventlet.hubs.poll")
    eventlet.sleep(0)


def offloads_to_tpool() -> None:
    """eventlet.tpool runs the call on a real OS thread: refused unless tpool="inline"."""
    assert tpool.execute(sum, [1, 2, 3]) == 6
    eventlet.sleep(0)


def swallows_refusal() -> None:
    """The code under test catches the refusal: the run must fail all the same."""
    try:  # noqa: SIM105 - written out: exactly what careless code does
        threading.Thread(target=lambda: None).start()
    except Exception:  # noqa: BLE001
        pass
    eventlet.sleep(0)


# A real clock held where the harness's virtual clocks cannot rebind it (a dict
# value filled at import), as a cache or a rate limiter might keep one.
_REAL_CLOCK = {"time_ns": time.time_ns}


def reads_real_clock_ns() -> None:
    """Fails with a message carrying the real ``time.time_ns()``: the wall clock leaks into the trace."""
    lost_update_then(lambda: f"failed at {_REAL_CLOCK['time_ns']()} ns")


def reads_real_clock_harmlessly() -> None:
    """Reads the real clock but lets nothing depend on it: a deterministic failure."""
    _REAL_CLOCK["time_ns"]()
    lost_update()


class _Item:
    def __init__(self, number: int) -> None:
        self.number = number


_KEEP: list[_Item] = []


def orders_by_identity() -> None:
    """Spawns workers in ``id()`` order: the order of addresses differs from run to run."""
    items = {_Item(number) for number in range(6)}
    _KEEP.extend(items)  # alive, so the next run's items get fresh addresses

    def work(item: _Item) -> None:
        eventlet.sleep(item.number)

    for item in sorted(items, key=id):
        eventlet.spawn(work, item)
    eventlet.sleep(0)
    raise AssertionError("always fails, so the failing schedule is verified")


def lost_update_then(message: Callable[[], str]) -> None:
    try:
        lost_update()
    except AssertionError:
        raise AssertionError(message()) from None


def uses_global_random() -> None:
    """The global generator is reseeded per run, so this stays deterministic."""
    threads = [eventlet.spawn(eventlet.sleep, random.random()) for _ in range(3)]
    for thread in threads:
        thread.wait()
    raise AssertionError(f"always fails ({random.random():.6f})")


# -- the process state a run must put back -------------------------------------------------

_PATCHED_CLASSES: tuple[tuple[str, Any], ...] = (
    ("Event", event.Event),
    ("GreenThread", greenthread.GreenThread),
    ("LightQueue", queue.LightQueue),
    ("Queue", queue.Queue),
    ("Semaphore", semaphore.Semaphore),
    ("GreenPool", greenpool.GreenPool),
    ("Thread", threading.Thread),
    ("socket.socket", socket.socket),
    ("Popen", subprocess.Popen),
    ("Session", requests.Session),
)
_PATCHED_MODULES: tuple[tuple[str, Any], ...] = (
    ("time", time),
    ("socket", socket),
    ("_thread", _thread),
    ("os", os),
    ("eventlet", eventlet),
    ("eventlet.greenthread", greenthread),
    ("eventlet.hubs", hubs),
)


def process_state() -> dict[str, object]:
    """Everything an exploration may patch, by identity, plus the hub and the run."""
    state: dict[str, object] = {}
    for label, cls in _PATCHED_CLASSES:
        for name, value in vars(cls).items():
            state[f"{label}.{name}"] = value
    for label, module in _PATCHED_MODULES:
        for name, value in vars(module).items():
            if callable(value) and not isinstance(value, type):
                state[f"{label}.{name}"] = value
    state["hub"] = hubs._threadlocal.__dict__.get("hub")
    state["hub threadlocal keys"] = tuple(sorted(hubs._threadlocal.__dict__))
    state["active run"] = points.active_run()
    state["fake installed"] = fake_adapter.is_installed()
    state["random"] = random.getstate()
    return state


def changed_state(before: dict[str, object]) -> list[str]:
    """Keys whose value is not the very same object (or an equal one) as before."""
    after = process_state()
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k, "<missing>") is not after.get(k, "<missing>")
                  and before.get(k, "<missing>") != after.get(k, "<missing>"))


_REPO = Path(__file__).resolve().parents[2]
_OWNED = (str(_REPO / "harness") + os.sep, str(_REPO / "fakes") + os.sep)


def _owned(value: object) -> bool:
    """Defined in the harness or the fake (wrappers too: their code lives there)."""
    if isinstance(value, types.FunctionType | types.MethodType):
        function = getattr(value, "__func__", value)
        return str(function.__code__.co_filename).startswith(_OWNED)
    if isinstance(value, type):
        module = sys.modules.get(value.__module__)
        return str(getattr(module, "__file__", "") or "").startswith(_OWNED)
    return False


def harness_leftovers() -> list[str]:
    """Harness or fake objects still bound where only the originals belong.

    Identity with a snapshot misses a leak that happened before the snapshot
    (every leak binds the same twin), so this looks for harness code itself:
    in the patched classes and modules, in ``datetime``, and in the globals of
    every module outside this repository (where a rebound clock would stay).
    """
    found = []
    for label, cls in _PATCHED_CLASSES:
        found += [f"{label}.{name}" for name, value in vars(cls).items() if _owned(value)]
    for label, module in (*_PATCHED_MODULES, ("datetime", datetime)):
        found += [f"{label}.{name}" for name, value in vars(module).items() if _owned(value)]
    for name, module in list(sys.modules.items()):
        path = str(getattr(module, "__file__", "") or "")
        if not path or path.startswith(str(_REPO)) or not isinstance(getattr(module, "__dict__", None), dict):
            continue
        found += [f"{name}.{key}" for key, value in list(vars(module).items())
                  if callable(value) and _owned(value)]
    return sorted(set(found))


def live_greenlets() -> set[greenlet.greenlet]:
    """Every started, unfinished greenlet but the caller's."""
    me = greenlet.getcurrent()
    return {obj for obj in gc.get_objects()
            if isinstance(obj, greenlet.greenlet) and not obj.dead and obj is not me and bool(obj)}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- programs that go through the fake ONTAP -----------------------------------------------

def _fake_session(fake: object) -> requests.Session:
    session = requests.Session()
    session.auth = (fake.username, fake.password)  # type: ignore[attr-defined]
    return session


def fake_requests() -> None:
    """Two greenthreads ask the fake for the cluster: passes in every order."""
    from race_harness.fakes.ontap import FakeOntap

    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        session = _fake_session(fake)
        threads = [eventlet.spawn(session.get, f"{fake.base_url}/api/cluster") for _ in range(2)]
        statuses = [thread.wait().status_code for thread in threads]
    assert statuses == [200, 200]


def fake_then_interrupt() -> None:
    """Ctrl-C while the fake is installed and a request is in flight."""
    from race_harness.fakes.ontap import FakeOntap

    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        session = _fake_session(fake)
        eventlet.spawn(session.get, f"{fake.base_url}/api/cluster")
        eventlet.sleep(0)
        raise KeyboardInterrupt
