"""The shield that defers Ctrl-C while the harness installs or restores (harness._engine.interrupts).

Each test sends the process a real SIGINT from a chosen place (inside an
install, a restore, a body, a finalizer), so the instant is exact and the
outcome deterministic; ``test_interrupts.py`` sends them at random instants.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
import reliability_programs as programs

import harness
from harness._engine import hub as hub_module
from harness._engine import interrupts
from harness._engine.interrupts import critical, shielded

STEPS = 200


def sigint() -> None:
    """A real SIGINT to this process; Python's handler runs at the next checkpoint."""
    os.kill(os.getpid(), signal.SIGINT)


def step(done: list[int], number: int) -> None:
    """One step of an install or a restore: a function call, so a checkpoint."""
    done.append(number)


@shielded
def slow_environment(installed: list[int], restored: list[int], *, sigint_at: str = "",
                     inner: bool = False) -> Iterator[None]:
    """Installs and restores in STEPS steps each; sends SIGINT half-way through one of them."""
    try:
        for number in range(STEPS):
            if sigint_at == "install" and number == STEPS // 2:
                sigint()
            step(installed, number)
        if inner:
            with slow_environment([], restored, sigint_at="restore"):
                yield
        else:
            yield
    finally:
        for number in range(STEPS):
            if sigint_at == "restore" and number == STEPS // 2:
                sigint()
            step(restored, number)


@pytest.fixture(autouse=True)
def _handler_put_back() -> Iterator[None]:
    before = signal.getsignal(signal.SIGINT)
    yield
    assert signal.getsignal(signal.SIGINT) is before
    assert not interrupts.installed()
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_a_sigint_while_restoring_is_raised_once_the_restore_is_whole() -> None:
    installed: list[int] = []
    restored: list[int] = []
    with pytest.raises(KeyboardInterrupt), slow_environment(installed, restored, sigint_at="restore"):
        pass
    assert restored == list(range(STEPS))


def test_a_sigint_while_restoring_after_an_error_still_restores_everything() -> None:
    restored: list[int] = []
    with pytest.raises(KeyboardInterrupt) as raised, slow_environment([], restored, sigint_at="restore"):
        raise ValueError("the body failed")
    assert restored == list(range(STEPS))
    assert isinstance(raised.value.__context__, ValueError)  # the error is not lost either


def test_a_sigint_while_installing_undoes_the_install_and_skips_the_body() -> None:
    installed: list[int] = []
    restored: list[int] = []
    body: list[bool] = []
    with pytest.raises(KeyboardInterrupt), slow_environment(installed, restored, sigint_at="install"):
        body.append(True)
    assert installed == list(range(STEPS)) and restored == list(range(STEPS)) and not body


def test_a_sigint_in_the_body_is_not_deferred() -> None:
    restored: list[int] = []
    after: list[bool] = []
    with pytest.raises(KeyboardInterrupt), slow_environment([], restored):
        sigint()
        step([], 0)
        after.append(True)
    assert not after and restored == list(range(STEPS))


def test_nested_shields_raise_after_the_outermost_restore() -> None:
    restored: list[int] = []
    with pytest.raises(KeyboardInterrupt), slow_environment([], restored, inner=True):
        pass
    assert restored == list(range(STEPS)) * 2  # the inner restore, then the whole outer one


def test_a_critical_function_runs_whole() -> None:
    done: list[int] = []

    @critical
    def restore() -> None:
        for number in range(STEPS):
            if number == 3:
                sigint()
            step(done, number)

    with pytest.raises(KeyboardInterrupt), slow_environment([], []):
        restore()
    assert done == list(range(STEPS))


def test_without_a_shield_a_critical_function_is_interrupted_as_usual() -> None:
    done: list[int] = []

    @critical
    def restore() -> None:
        sigint()
        step(done, 0)

    with pytest.raises(KeyboardInterrupt):
        restore()
    assert done == []


class _SwallowsInterrupt:
    """A finalizer that is interrupted: Python cannot propagate what a finalizer raises."""

    def __del__(self) -> None:
        sigint()
        step([], 0)


def test_a_sigint_swallowed_by_a_finalizer_surfaces_when_the_shield_lifts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "unraisablehook", lambda _unraisable: None)
    restored: list[int] = []
    went_on: list[bool] = []
    with pytest.raises(KeyboardInterrupt, match="swallowed"), slow_environment([], restored):
        _SwallowsInterrupt()  # collected at once: its KeyboardInterrupt is lost
        went_on.append(True)
    assert went_on and restored == list(range(STEPS))


def _finalizer_swallows_interrupt() -> None:
    def worker() -> None:
        _SwallowsInterrupt()
        eventlet.sleep(0)

    for _ in range(50):
        eventlet.spawn(worker).wait()


def test_a_sigint_swallowed_inside_a_run_stops_the_exploration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "unraisablehook", lambda _unraisable: None)
    runs: list[int] = []
    target = programs.target(_finalizer_swallows_interrupt)
    with pytest.raises(KeyboardInterrupt, match="swallowed"):
        harness.explore(target, strategy="random", schedules=100,
                        progress=lambda exploration: runs.append(exploration.schedules_run))
    assert runs == []  # the first run already raised it


def test_a_shield_on_another_thread_is_a_plain_context_manager() -> None:
    restored: list[int] = []
    seen: list[Any] = []

    def other() -> None:
        with slow_environment([], restored):
            seen.append(interrupts.installed())

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [False] and restored == list(range(STEPS))


@pytest.mark.parametrize("at_call", [2, 3, 4, 6])
@pytest.mark.parametrize("plan", [{"strategy": "dfs"}, {"strategy": "random", "preemption": "preemptive"}],
                         ids=["dfs", "preemptive"])
def test_an_interrupt_in_the_hubs_bookkeeping_surfaces_as_keyboard_interrupt(
        plan: dict[str, str], at_call: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C between the two halves of making a timer ready (in ``ready``, not yet in
    the index): stopping the run's greenthreads used to trip over the index with a
    KeyError from ``ReadyIndex.remove``, which replaced the KeyboardInterrupt."""
    real_add = hub_module.ReadyIndex.add
    calls = [0]

    def interrupted_add(self: hub_module.ReadyIndex, entry: hub_module.Entry, front: bool = False) -> bool:
        calls[0] += 1
        if calls[0] == at_call:
            raise KeyboardInterrupt
        return real_add(self, entry, front)

    monkeypatch.setattr(hub_module.ReadyIndex, "add", interrupted_add)
    with pytest.raises(KeyboardInterrupt):
        harness.explore(programs.target(programs.lost_update), schedules=20, **plan)  # type: ignore[arg-type]
    assert calls[0] >= at_call
