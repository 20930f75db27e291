"""Native locks never hang a run: a greenthread that would block on one another greenthread
holds is not runnable, and a circular wait is a deadlock (issue 16).

Without monkey-patching, ``queue.Queue``'s mutex is a real ``threading.Lock``; a preemption
inside ``get`` (here at the hand-named ``Pool.queue`` attribute, inside ``_get``) used to
let the other greenthread block the OS thread on it: the process hung with no verdict.
Each test runs in a subprocess bounded by a timeout, so a regression fails instead of hanging.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent("""
    import sys
    {patch}
    import queue, threading
    import eventlet
    import harness
    from harness.instrument import shared_attributes

    class Pool(queue.Queue):
        def _get(self):
            return self.queue.pop()

    def body():
        pool = Pool()
        pool.put("a")
        pool.put("b")

        def worker():
            item = pool.get()
            eventlet.sleep(0)
            pool.put(item)

        threads = [eventlet.spawn(worker) for _ in range(2)]
        for thread in threads:
            thread.wait()
        assert pool.qsize() == 2

    def crossed():
        first, second = threading.Lock(), threading.Lock()

        def one():
            with first:
                eventlet.sleep(0)
                with second:
                    pass

        def two():
            with second:
                eventlet.sleep(0)
                with first:
                    pass

        threads = [eventlet.spawn(one), eventlet.spawn(two)]
        for thread in threads:
            thread.wait()

    target = harness.Target("locks:pool", body, "0" * 12, instrument=lambda: shared_attributes(Pool, "queue"))
    outcome = harness.explore(target, strategy="dfs", preemption="{model}", schedules=2000, database="off")
    print("POOL", outcome.verdict())
    crossed_outcome = harness.explore(crossed, strategy="dfs", schedules=200, database="off")
    error = crossed_outcome.failure.error if crossed_outcome.failure else None
    print("CROSSED", type(error).__name__ if error else "pass", crossed_outcome.verdict())
""")


@pytest.mark.parametrize("model", ["cooperative", "preemptive"])
@pytest.mark.parametrize("patched", [False, True], ids=["native", "monkey_patched"])
def test_a_program_with_native_locks_ends_with_a_verdict(model: str, patched: bool) -> None:
    patch = "import eventlet; eventlet.monkey_patch()" if patched else ""
    source = PROGRAM.replace("{patch}", patch).replace("{model}", model)
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=60,
                          env={"RACE_DATABASE": "off", "PATH": "", "PYTHONHASHSEED": "0"})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if line[:4] in ("POOL", "CROS"))
    assert lines["POOL"].startswith("pass, exhaustive proof"), done.stdout
    assert lines["CROSSED"].startswith("DeadlockError"), done.stdout  # a circular wait, found and named


def test_outside_a_run_the_model_lock_is_the_real_lock() -> None:
    import threading

    from harness._engine.native_locks import ModelLock, ModelRLock, modelled_locks

    with modelled_locks():
        lock, rlock = threading.Lock(), threading.RLock()
        condition = threading.Condition(threading.Lock())
    assert isinstance(lock, ModelLock) and isinstance(rlock, ModelRLock)
    assert threading.Lock is not ModelLock  # put back
    assert lock.acquire() and not lock.acquire(False)
    lock.release()
    with rlock, rlock:
        assert rlock._is_owned()
    with condition:
        assert not condition.wait(0.01)


def test_a_lock_an_interrupt_left_held_by_a_finished_greenthread_is_freed() -> None:
    """A Ctrl-C inside a modelled acquire (Python code, unlike a C lock) could leave the real
    lock held with nobody to release it: the next run, or code after the exploration, then
    waited for ever (the interrupt fault-injection test hung on the fake's install lock)."""
    import threading

    import eventlet

    import harness
    from harness._engine.native_locks import ModelLock

    made: list[ModelLock] = []

    def body() -> None:
        lock = threading.Lock()
        made.append(lock)  # type: ignore[arg-type]
        lock.acquire()  # and never released: as if the acquiring greenthread had been interrupted
        eventlet.sleep(0)

    harness.explore(body, strategy="dfs", schedules=1, database="off")
    assert isinstance(made[0], ModelLock)
    assert made[0].acquire(False)  # free again: the run that held it is over
    made[0].release()


HOLD_ACROSS_SLEEP = textwrap.dedent("""
    import sys, threading
    import eventlet

    def body():
        lock = threading.Lock()

        def worker():
            with lock:
                eventlet.sleep(0)  # green I/O while holding a native lock

        threads = [eventlet.spawn(worker) for _ in range(2)]
        for thread in threads:
            thread.wait()

    if sys.argv[1] == "stock":
        body()
        print("STOCK finished")
    else:
        import harness
        outcome = harness.explore(body, strategy="dfs", preemption=sys.argv[1], schedules=50, database="off")
        error = outcome.failure.error if outcome.failure else None
        print("HARNESS", type(error).__name__ if error else "pass", str(error)[:120])
""")


def _run(mode: str, timeout: float) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run([sys.executable, "-c", HOLD_ACROSS_SLEEP, mode], capture_output=True,
                              text=True, timeout=timeout,
                              env={"RACE_DATABASE": "off", "PATH": "", "PYTHONHASHSEED": "0"})
    except subprocess.TimeoutExpired:
        return None


def test_holding_a_native_lock_across_a_green_switch_fails_as_the_stock_hub_hangs() -> None:
    """The same body on eventlet's stock hub never finishes (the second greenthread blocks the
    OS thread on the lock); the cooperative verdict says so instead of proving it safe. Under
    the preemptive model (native threads) waiting for the lock is right: it passes."""
    assert _run("stock", timeout=5) is None  # hangs for ever on the stock hub
    cooperative = _run("cooperative", timeout=60)
    assert cooperative is not None and cooperative.returncode == 0, cooperative
    assert "HARNESS DeadlockError" in cooperative.stdout and "native threading lock" in cooperative.stdout
    preemptive = _run("preemptive", timeout=60)
    assert preemptive is not None and "HARNESS pass" in preemptive.stdout, preemptive.stdout
