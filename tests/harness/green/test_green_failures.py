"""Failure semantics: hangs, and exceptions eventlet would only print.

* every greenthread blocked, nothing left to run: ``DeadlockError`` with
  every blocked greenthread's stack;
* an exception eventlet prints as unhandled (a ``spawn_n`` greenlet dying, a
  GreenThread nobody waits for, a ``GreenPool.spawn_n`` body, a greenthread
  woken by a queue) fails the run, unless ``unobserved_exceptions="ignore"``;
* an exception delivered to a waiter is the program's business.
"""

from __future__ import annotations

import eventlet
import pytest
from eventlet import greenpool, queue, tpool
from eventlet.event import Event

import harness
from harness._errors import InvalidSetting, TpoolRefused
from harness._settings import Settings

FINGERPRINT = "0123456789ab"


def target(body: object, name: str) -> harness.Target:
    return harness.Target(f"failures:{name}", body, FINGERPRINT)  # type: ignore[arg-type]


def explore(body: object, name: str, **options: object) -> harness.Exploration:
    return harness.explore(target(body, name), strategy="dfs", **options)  # type: ignore[arg-type]


def lost_wakeup() -> None:
    never = Event()

    def waiter() -> None:
        never.wait()

    threads = [eventlet.spawn(waiter) for _ in range(2)]
    for thread in threads:
        thread.wait()


def test_greenthreads_blocked_forever_fail_the_run_with_every_stack() -> None:
    outcome = explore(lost_wakeup, "lost_wakeup")
    assert outcome.failure is not None
    error = outcome.failure.error
    assert isinstance(error, harness.DeadlockError)
    message = str(error)
    for name in ("gt0", "gt1", "gt2"):
        assert f"  {name} blocked at" in message
    assert message.count(", in waiter") == 2 and ", in lost_wakeup" in message  # their stacks
    assert "never.wait()" in message


def unwaited_greenthread() -> None:
    def fail() -> None:
        raise ValueError("nobody waits for me")

    eventlet.spawn(fail)
    eventlet.sleep(0)


def dying_spawn_n() -> None:
    def fail() -> None:
        raise KeyError("spawn_n body")

    eventlet.spawn_n(fail)
    eventlet.sleep(0)


def pool_spawn_n() -> None:
    pool = greenpool.GreenPool(2)

    def fail() -> None:
        raise RuntimeError("pool spawn_n body")

    pool.spawn_n(fail)
    pool.waitall()


def woken_by_a_queue() -> None:
    jobs: queue.LightQueue = queue.LightQueue()

    def consumer() -> None:
        jobs.get()
        raise LookupError("died after a queue wake-up")

    eventlet.spawn(consumer)
    eventlet.sleep(0)
    jobs.put("job")
    eventlet.sleep(0)


@pytest.mark.parametrize(("body", "kind"), [
    (unwaited_greenthread, ValueError),
    (dying_spawn_n, KeyError),
    (pool_spawn_n, RuntimeError),
    (woken_by_a_queue, LookupError),
], ids=["unwaited GreenThread", "spawn_n", "GreenPool.spawn_n", "queue-woken GreenThread"])
def test_an_exception_eventlet_would_print_fails_the_run_by_default(body: object, kind: type) -> None:
    name = getattr(body, "__name__", "body")
    failed = explore(body, name)
    assert failed.failure is not None and isinstance(failed.failure.error, kind), failed.verdict()
    ignored = explore(body, name, unobserved_exceptions="ignore")
    assert ignored.passed, ignored.verdict()
    notes = [e for f in [ignored] for e in harness.replay(
        target(body, name), harness.Schedule(f"failures:{name}", "cooperative", FINGERPRINT, ()).encode(),
        unobserved_exceptions="ignore").trace.events if e.kind == "unhandled"]
    assert notes and kind.__name__ in notes[0].detail


def test_the_setting_comes_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACE_UNOBSERVED_EXCEPTIONS", "ignore")
    assert explore(unwaited_greenthread, "unwaited_greenthread").passed
    monkeypatch.setenv("RACE_UNOBSERVED_EXCEPTIONS", "sometimes")
    with pytest.raises(InvalidSetting, match="RACE_UNOBSERVED_EXCEPTIONS"):
        Settings.from_env()
    with pytest.raises(InvalidSetting, match="tpool"):
        Settings(tpool="threads")


def test_an_exception_the_program_waits_for_is_its_own_business() -> None:
    def observed() -> None:
        thread = eventlet.spawn(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            thread.wait()

    assert explore(observed, "observed").passed


def offloads_to_tpool() -> None:
    assert tpool.execute(sum, [1, 2, 3]) == 6


def test_tpool_is_refused_in_a_run_with_an_error_naming_it() -> None:
    outcome = explore(offloads_to_tpool, "tpool")
    assert outcome.failure is not None and isinstance(outcome.failure.error, TpoolRefused)
    assert "eventlet.tpool.execute(sum)" in str(outcome.failure.error)
    assert "tpool='inline'" in str(outcome.failure.error)


def test_tpool_runs_inline_when_the_user_opts_in() -> None:
    outcome = explore(offloads_to_tpool, "tpool", tpool="inline")
    assert outcome.passed, outcome.verdict()
    proxied = tpool.Proxy({"a": 1})

    def via_proxy() -> None:
        assert proxied.get("a") == 1

    assert explore(via_proxy, "proxy", tpool="inline").passed
    assert isinstance(explore(via_proxy, "proxy").failure.error, TpoolRefused)  # type: ignore[union-attr]
