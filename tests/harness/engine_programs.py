"""Small eventlet programs the engine tests run, importable from a subprocess.

Each body is a zero-argument function, as a target's body is.  ``traces``
runs one of them under the random strategy and returns every schedule and
trace, so a test can compare them across runs and across processes.
"""

from __future__ import annotations

import json
import sys

import eventlet
from eventlet.queue import LightQueue
from eventlet.semaphore import Semaphore

from harness._engine.run import RunConfig
from harness._search.failures import schedule_of
from harness._search.session import installed, run_once
from harness._targets import Target
from harness.strategies import RandomStrategy

FINGERPRINT = "0123456789ab"


def lost_update() -> None:
    """The classic: read, switch, write back; two increments can make one."""
    counter = {"value": 0}

    def increment() -> None:
        x = counter["value"]
        eventlet.sleep(0)
        counter["value"] = x + 1

    first, second = eventlet.spawn(increment), eventlet.spawn(increment)
    first.wait()
    second.wait()
    assert counter["value"] == 2, f"lost update: counter is {counter['value']}, expected 2"


def guarded_update() -> None:
    """The same increments under a green semaphore: no interleaving loses one."""
    counter = {"value": 0}
    lock = Semaphore()

    def increment() -> None:
        with lock:
            x = counter["value"]
            eventlet.sleep(0)
            counter["value"] = x + 1

    first, second = eventlet.spawn(increment), eventlet.spawn(increment)
    first.wait()
    second.wait()
    assert counter["value"] == 2, f"lost update: counter is {counter['value']}, expected 2"


def workload() -> None:
    """Every kind of wake-up: sleeps, timers, an event, a queue, a semaphore.

    Stock eventlet wakes event waiters and queue getters in set (address)
    order; under the harness the order must not depend on the process.
    """
    log: list[str] = []
    ready = eventlet.Event()
    jobs: LightQueue = LightQueue()
    lock = Semaphore()

    def consumer(name: str) -> None:
        ready.wait()
        item = jobs.get()
        with lock:
            log.append(f"{name}:{item}")
            eventlet.sleep(0)

    def producer() -> None:
        eventlet.sleep(0.5)
        ready.send(True)
        for item in range(4):
            jobs.put(item)
            eventlet.sleep(0)

    threads = [eventlet.spawn(consumer, name) for name in "wxyz"]
    threads.append(eventlet.spawn(producer))
    for thread in threads:
        thread.wait()
    assert len(log) == 4
    assert not log[0].startswith("z"), f"z consumed first: {log}"


PROGRAMS = {"lost_update": lost_update, "guarded_update": guarded_update, "workload": workload}


def target(name: str) -> Target:
    return Target(name=f"engine_programs:{name}", body=PROGRAMS[name], fingerprint=FINGERPRINT)


def traces(name: str, seed: int, runs: int) -> list[dict[str, object]]:
    """Schedule, failure and trace of ``runs`` random-walk runs of program ``name``."""
    chosen = target(name)
    strategy = RandomStrategy(seed)
    out: list[dict[str, object]] = []
    with installed(chosen, "cooperative"):
        for _ in range(runs):
            strategy.new_execution()
            result = run_once(chosen, strategy, RunConfig())
            failure = result.failure
            out.append({
                "schedule": schedule_of(chosen, "cooperative", result).encode(),
                "failure": None if failure is None else f"{type(failure.error).__name__}: {failure.error}",
                "trace": result.trace.lines(),
            })
    return out


if __name__ == "__main__":
    json.dump(traces(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])), sys.stdout)
