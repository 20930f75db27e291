"""Small racy programs for the strategy, shrink and database tests.

Every shared access is declared with ``harness.touch`` so the bounded DFS can
reduce; ``undeclared_independent`` is the same shape with nothing declared.
The preemptive ones switch at ``harness.yield_point`` only under the
preemptive model, where choice 0 continues the running greenthread: their
bugs need one or two deliberate preemptions.
"""

from __future__ import annotations

from collections.abc import Callable

import eventlet

import harness
from harness._targets import Target

OUTCOMES: list[object] = []  # final states of complete runs, for soundness checks


def target(body: Callable[[], object], name: str) -> Target:
    return Target(name=f"race_programs:{name}", body=body, fingerprint="0123456789ab")


def _join(*threads: eventlet.greenthread.GreenThread) -> None:
    for thread in threads:
        thread.wait()


def lost_update(workers: int = 2, rounds: int = 1) -> None:
    """Cooperative lost update: read, sleep(0), write (fails in eventlet's default order)."""
    cell = {"x": 0}

    def inc() -> None:
        for _ in range(rounds):
            harness.touch("x", write=False)
            value = cell["x"]
            eventlet.sleep(0)
            harness.touch("x")
            cell["x"] = value + 1

    _join(*[eventlet.spawn(inc) for _ in range(workers)])
    OUTCOMES.append(cell["x"])
    assert cell["x"] == workers * rounds, f"lost update: x={cell['x']}"


def lost_update_preemptive(workers: int = 2, rounds: int = 4) -> None:
    """Preemptive lost update: passes in the default order, fails with one preemption."""
    cell = {"x": 0}

    def inc() -> None:
        for _ in range(rounds):
            harness.touch("x", write=False)
            value = cell["x"]
            harness.yield_point("read x")
            harness.touch("x")
            cell["x"] = value + 1
            harness.yield_point("wrote x")

    _join(*[eventlet.spawn(inc) for _ in range(workers)])
    OUTCOMES.append(cell["x"])
    assert cell["x"] == workers * rounds, f"lost update: x={cell['x']}"


def lostp() -> None:
    lost_update_preemptive()


def window(length: int = 12, at: int = 8) -> None:
    """Depth 2: B's one check must land between A's steps ``at`` and ``at + 1``.

    A random walk almost never starves B that long (about 2**-at); PCT needs
    the right priorities (1/n) and one change point at the right decision (1/k).
    """
    flag = {"open": False}

    def a() -> None:
        for i in range(length):
            harness.touch("flag")
            flag["open"] = i == at
            harness.yield_point(f"a{i}")
        harness.touch("flag")
        flag["open"] = False

    def b() -> None:
        harness.touch("flag", write=False)
        assert not flag["open"], "B saw the half-open flag"

    _join(eventlet.spawn(a), eventlet.spawn(b))


def window3(length: int = 8, at: int = 5) -> None:
    """Depth 3: B reads the flag open (A at ``at``) and then closed again (A moved on)."""
    flag = {"open": False}

    def a() -> None:
        for i in range(length):
            harness.touch("flag")
            flag["open"] = i == at
            harness.yield_point(f"a{i}")
        harness.touch("flag")
        flag["open"] = False

    def b() -> None:
        harness.touch("flag", write=False)
        first = flag["open"]
        harness.yield_point("b between reads")
        harness.touch("flag", write=False)
        assert not (first and not flag["open"]), "B saw the flag open, then closed"

    _join(eventlet.spawn(a), eventlet.spawn(b))


def independent(workers: int = 3, rounds: int = 2) -> None:
    """Workers touching disjoint cells: every interleaving is equivalent."""
    cells = [0] * workers

    def work(i: int) -> None:
        for _ in range(rounds):
            harness.touch(f"cell{i}")
            cells[i] += 1
            eventlet.sleep(0)
        harness.touch(f"cell{i}")

    _join(*[eventlet.spawn(work, i) for i in range(workers)])
    OUTCOMES.append(tuple(cells))


def undeclared_independent(workers: int = 3, rounds: int = 2) -> None:
    """The same workers with nothing declared: unknown means dependent."""
    cells = [0] * workers

    def work(i: int) -> None:
        for _ in range(rounds):
            cells[i] += 1
            eventlet.sleep(0)

    _join(*[eventlet.spawn(work, i) for i in range(workers)])


def mixed(workers: int = 3) -> None:
    """Two workers share a cell, one works alone: the outcome set is the order of the sharers."""
    log: list[str] = []
    private = {"n": 0}

    def sharer(name: str) -> None:
        harness.touch("log")
        log.append(name + "1")
        eventlet.sleep(0)
        harness.touch("log")
        log.append(name + "2")

    def loner() -> None:
        for _ in range(2):
            harness.touch("private")
            private["n"] += 1
            eventlet.sleep(0)
        harness.touch("private")

    threads = [eventlet.spawn(sharer, "a"), eventlet.spawn(loner), eventlet.spawn(sharer, "b")]
    _join(*threads)
    OUTCOMES.append(tuple(log))
    assert log != ["a1", "b1", "b2", "a2"], f"nested log {log}"


def two_errors() -> None:
    """Fails with ValueError after one specific preemption, AssertionError in the default order."""
    cell = {"x": 0}

    def first() -> None:
        harness.touch("x")
        cell["x"] = 1
        harness.yield_point("first wrote")
        harness.touch("x")
        cell["x"] = 2

    def second() -> None:
        harness.touch("x", write=False)
        if cell["x"] == 1:
            raise ValueError(f"saw the intermediate value {cell['x']} at 0x7f00deadbeef")

    a, b = eventlet.spawn(first), eventlet.spawn(second)
    a.wait()
    b.wait()
    raise AssertionError("always fails at the end")


def safe() -> None:
    """Two workers, no shared state: never fails."""
    independent(workers=2, rounds=1)


def random_program(seed: int) -> Callable[[], None]:
    """2-3 workers doing seeded reads and writes of three cells, each step declared.

    The outcome records every cell's write order and what every read saw, so two
    explorations agree on the outcomes only if they agree on every observation.
    """
    import random

    rng = random.Random(seed)
    plans = [[[(rng.choice("abc"), rng.random() < 0.5) for _ in range(rng.randint(1, 2))]
              for _ in range(rng.randint(1, 3))] for _ in range(rng.randint(2, 3))]

    def body() -> None:
        cells: dict[str, list[int]] = {"a": [], "b": [], "c": []}
        reads: list[tuple[int, str, tuple[int, ...]]] = []

        def worker(i: int) -> None:
            for step in plans[i]:
                for cell, write in step:
                    harness.touch(cell, write=write)
                    if write:
                        cells[cell].append(i)
                    else:
                        reads.append((i, cell, tuple(cells[cell])))
                eventlet.sleep(0)

        _join(*[eventlet.spawn(worker, i) for i in range(len(plans))])
        OUTCOMES.append((tuple(tuple(v) for v in cells.values()), tuple(sorted(reads))))

    return body
