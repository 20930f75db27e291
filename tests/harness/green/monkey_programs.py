"""Threading-based programs explored after ``eventlet.monkey_patch()``; run as a script.

Monkey-patching is global and cannot be undone, so the test runs this file
in a subprocess (``python monkey_programs.py``): it monkey-patches, explores
every program exhaustively, and prints one JSON object: for each program the
sorted outcomes (as ``repr`` strings), the schedule count, whether the space
was exhausted, and the failure's type, if any.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402 - after monkey-patching, as an application would
import queue  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import harness  # noqa: E402


def start_all(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def counter(locked: bool) -> int:
    lock = threading.Lock()
    state = {"n": 0}

    def increment() -> None:
        with lock if locked else _nothing():
            value = state["n"]
            time.sleep(0)  # a green switch: time.sleep is eventlet.sleep now
            state["n"] = value + 1

    start_all(threading.Thread(target=increment), threading.Thread(target=increment))
    return state["n"]


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def rlock() -> tuple[str, ...]:
    lock = threading.RLock()
    log: list[str] = []

    def worker(name: str) -> None:
        with lock, lock:  # the second is a re-entry by its owner
            log.append(f"{name}+")
            time.sleep(0)
            log.append(f"{name}-")

    start_all(threading.Thread(target=worker, args=("a",)), threading.Thread(target=worker, args=("b",)))
    return tuple(log)


def condition() -> tuple[int, ...]:
    ready = threading.Condition()
    items: list[int] = []
    got: list[int] = []

    def consumer() -> None:
        with ready:
            while len(got) < 2:
                while not items:
                    ready.wait()
                got.append(items.pop(0))

    def producer() -> None:
        for item in (1, 2):
            with ready:
                items.append(item)
                ready.notify()
            time.sleep(0)

    start_all(threading.Thread(target=consumer), threading.Thread(target=producer))
    return tuple(got)


def event() -> tuple[str, ...]:
    flag = threading.Event()
    log: list[str] = []

    def waiter(name: str) -> None:
        flag.wait()
        log.append(name)

    start_all(threading.Thread(target=waiter, args=("a",)), threading.Thread(target=waiter, args=("b",)),
              threading.Thread(target=flag.set))
    return tuple(log)


def semaphore() -> int:
    slots = threading.Semaphore(1)
    inside = {"now": 0, "most": 0}

    def user() -> None:
        with slots:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
            time.sleep(0)
            inside["now"] -= 1

    start_all(*(threading.Thread(target=user) for _ in range(2)))
    return inside["most"]


def std_queue() -> tuple[int, ...]:
    jobs: queue.Queue[int] = queue.Queue()
    got: list[int] = []

    def consumer() -> None:
        for _ in range(3):
            got.append(jobs.get())

    def producer() -> None:
        for item in range(3):
            jobs.put(item)
            time.sleep(0)

    start_all(threading.Thread(target=consumer), threading.Thread(target=producer))
    return tuple(got)


def sleeping() -> tuple[float, float]:
    started = time.time()
    time.sleep(3600)
    return started, time.time() - started


def thread_local() -> tuple[tuple[str, str], ...]:
    local = threading.local()
    seen: dict[str, tuple[str, str]] = {}

    def worker(name: str) -> None:
        local.name = name
        time.sleep(0)
        seen[name] = (name, local.name)

    start_all(threading.Thread(target=worker, args=("a",)), threading.Thread(target=worker, args=("b",)))
    return tuple(seen[name] for name in "ab")


def dying_thread() -> str:
    def fail() -> None:
        raise RuntimeError("thread died")

    start_all(threading.Thread(target=fail))
    return "joined"


PROGRAMS: dict[str, Callable[[], object]] = {
    "unlocked_counter": lambda: counter(False),
    "locked_counter": lambda: counter(True),
    "rlock": rlock,
    "condition": condition,
    "event": event,
    "semaphore": semaphore,
    "queue": std_queue,
    "sleep": sleeping,
    "local": thread_local,
    "dying_thread": dying_thread,
}


def explore(name: str, program: Callable[[], object], **options: object) -> dict[str, object]:
    seen: list[str] = []
    target = harness.Target(f"monkey:{name}", lambda: seen.append(repr(program())), "0123456789ab")
    outcome = harness.explore(target, strategy="dfs", schedules=5000, stop_on_failure=False,
                              database="off", **options)  # type: ignore[arg-type]
    failure = outcome.failure
    return {"values": sorted(set(seen)), "schedules": outcome.schedules_run, "exhausted": outcome.exhausted,
            "failure": type(failure.error).__name__ if failure else None,
            "message": str(failure.error) if failure else None}


def main() -> None:
    report = {name: explore(name, program) for name, program in PROGRAMS.items()}
    report["dying_thread_ignored"] = explore("dying_thread", dying_thread, unobserved_exceptions="ignore")
    report["green_threading"] = {"thread": threading.Thread.__module__,
                                 "monkey_patched": eventlet.patcher.is_monkey_patched("thread")}
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
