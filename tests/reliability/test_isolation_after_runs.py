"""Whatever a run ends in, the process is as it was: patches undone, no greenthread left.

Checked after a pass, a race, a deadlock, a step limit, a horizon, a refused
escape, a KeyboardInterrupt, a bug in the harness itself (a strategy that
raises, an instrumentation that raises, a progress callback that raises), a
nondeterminism error, and runs through the fake ONTAP.  The slow test mixes a
thousand explorations in one process and also checks memory and descriptors.
"""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
import warnings
from collections.abc import Callable, Iterator

import eventlet
import pytest
import reliability_programs as programs
import requests

import harness
from harness._errors import (
    DeadlockError,
    HarnessError,
    HubBypassError,
    NondeterminismDetected,
    StepLimitExceeded,
    UncontrolledConcurrency,
)
from harness.strategies import RandomStrategy
from harness.strategies.base import Decision

pytestmark = [pytest.mark.filterwarnings("ignore:.*read the real clock during a harness run"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]

T = programs.target


class ChooseRaises(RandomStrategy):
    """A strategy with a bug: it raises at the first decision."""

    def choose(self, decision: Decision) -> int:
        raise RuntimeError("strategy bug in choose")


class NewExecutionRaises(RandomStrategy):
    def new_execution(self) -> bool:
        if self.runs >= 1:
            raise RuntimeError("strategy bug in new_execution")
        return super().new_execution()


@contextlib.contextmanager
def broken_instrumentation() -> Iterator[None]:
    raise RuntimeError("instrumentation bug")
    yield  # pragma: no cover


def _progress_raises(_exploration: harness.Exploration) -> None:
    raise ValueError("progress callback bug")


def _expect(kind: type[BaseException] | None, error: type[BaseException] | None = None,
            **kwargs: object) -> Callable[[harness.Target], None]:
    """Explore; expect it to raise ``kind``, or (kind None) to end with ``error`` (None: a pass)."""
    def run(target: harness.Target) -> None:
        if kind is not None:
            with pytest.raises(kind):
                harness.explore(target, **kwargs)  # type: ignore[arg-type]
            return
        exploration = harness.explore(target, **kwargs)  # type: ignore[arg-type]
        if error is None:
            assert exploration.failure is None, exploration.verdict()
        else:
            assert exploration.failure is not None and isinstance(exploration.failure.error, error)
    return run


CASES: dict[str, tuple[Callable[[], None], Callable[[harness.Target], None], dict[str, object]]] = {
    "pass": (programs.guarded_update, _expect(None, strategy="dfs"), {}),
    "race": (programs.lost_update, _expect(None, AssertionError, strategy="dfs"), {}),
    "deadlock": (programs.deadlock, _expect(None, DeadlockError, strategy="random", schedules=3), {}),
    "step limit": (programs.livelock, _expect(None, StepLimitExceeded, schedules=2, max_steps=60), {}),
    "horizon": (programs.periodic, _expect(None, schedules=2), {"until": 600.0}),
    "hub bypass": (programs.waits_on_green_socket, _expect(None, HubBypassError, schedules=2), {}),
    "native thread": (programs.starts_native_thread, _expect(None, UncontrolledConcurrency, schedules=2), {}),
    "keyboard interrupt": (programs.fake_then_interrupt, _expect(KeyboardInterrupt, schedules=3), {}),
    "strategy choose raises": (programs.lost_update, _expect(RuntimeError, strategy=ChooseRaises()), {}),
    "strategy new_execution raises": (programs.guarded_update,
                                      _expect(RuntimeError, strategy=NewExecutionRaises(), schedules=5), {}),
    "instrumentation raises": (programs.lost_update, _expect(RuntimeError, preemption="preemptive"),
                               {"instrument": broken_instrumentation}),
    "progress raises": (programs.lost_update, _expect(ValueError, progress=_progress_raises), {}),
    "nondeterminism": (programs.reads_real_clock_ns,
                       _expect(NondeterminismDetected, strategy="dfs", verify_determinism=True), {}),
    "fake ONTAP": (programs.fake_requests, _expect(None, strategy="random", schedules=5), {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_everything_is_restored_and_no_greenthread_survives(case: str) -> None:
    body, run, extra = CASES[case]
    target = T(body, **extra)
    before = programs.process_state()
    alive = programs.live_greenlets()
    fds = programs.open_fds()
    run(target)
    gc.collect()
    assert programs.changed_state(before) == []
    assert programs.harness_leftovers() == []
    assert programs.live_greenlets() - alive == set()
    assert programs.open_fds() <= fds
    # and the stock hub, the fake's transport and requests still work as before
    eventlet.sleep(0)
    assert requests.Session().get_adapter("https://example.invalid/").__class__.__name__ == "HTTPAdapter"


def test_replay_and_a_harness_error_in_replay_restore_too() -> None:
    target = T(programs.lost_update)
    failure = harness.explore(target, strategy="dfs").failure
    assert failure is not None
    before = programs.process_state()
    harness.replay(target, failure.schedule)
    with pytest.raises(HarnessError):
        harness.replay(target, failure.schedule.rsplit(":", 1)[0] + ":9")
    assert programs.changed_state(before) == []
    assert programs.harness_leftovers() == []


# -- a thousand mixed explorations in one process --------------------------------------------

MIX: list[tuple[str, Callable[[], harness.Exploration | None]]] = []


def _mix(name: str) -> Callable[[Callable[[], harness.Exploration | None]], None]:
    def add(func: Callable[[], harness.Exploration | None]) -> None:
        MIX.append((name, func))
    return add


_mix("pass")(lambda: harness.explore(T(programs.guarded_update), strategy="dfs"))
_mix("fail")(lambda: harness.explore(T(programs.lost_update), strategy="random", schedules=20,
                                     verify_determinism=True))
_mix("deadlock")(lambda: harness.explore(T(programs.deadlock), schedules=2))
_mix("step limit")(lambda: harness.explore(T(programs.livelock), schedules=1, max_steps=40))
_mix("horizon")(lambda: harness.explore(T(programs.periodic, until=300.0), schedules=2))
_mix("bypass")(lambda: harness.explore(T(programs.waits_on_green_socket), schedules=1))
_mix("thread")(lambda: harness.explore(T(programs.starts_native_thread), schedules=1))
_mix("fake")(lambda: harness.explore(T(programs.fake_requests), schedules=2))


def _interrupted() -> None:
    with pytest.raises(KeyboardInterrupt):
        harness.explore(T(programs.fake_then_interrupt), schedules=2)


def _broken_strategy() -> None:
    with pytest.raises(RuntimeError):
        harness.explore(T(programs.lost_update), strategy=ChooseRaises())


_mix("interrupt")(_interrupted)  # type: ignore[arg-type]
_mix("harness bug")(_broken_strategy)  # type: ignore[arg-type]


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4


@pytest.mark.slow
def test_a_thousand_mixed_explorations_leave_nothing_behind() -> None:
    """1,000 explorations: 200 to warm up (caches, lazy imports), 650 watched by RSS and
    the number of live objects, the last 150 under tracemalloc (which slows runs ~10x)."""
    warnings.simplefilter("ignore", RuntimeWarning)
    before = programs.process_state()
    alive = programs.live_greenlets()
    fds = programs.open_fds()
    outcomes: dict[str, int] = {}

    def rounds(numbers: range) -> None:
        for number in numbers:
            name, func = MIX[number % len(MIX)]
            func()
            outcomes[name] = outcomes.get(name, 0) + 1
        gc.collect()

    rounds(range(0, 200))
    rss_before, objects_before = _rss_kib(), len(gc.get_objects())
    rounds(range(200, 850))
    rss_growth, objects_growth = _rss_kib() - rss_before, len(gc.get_objects()) - objects_before
    tracemalloc.start()
    try:
        traced_before = tracemalloc.get_traced_memory()[0]
        rounds(range(850, 1000))
        traced_growth = tracemalloc.get_traced_memory()[0] - traced_before
    finally:
        tracemalloc.stop()
    assert sum(outcomes.values()) == 1000 and len(outcomes) == len(MIX)
    assert programs.changed_state(before) == []
    assert programs.harness_leftovers() == []
    assert programs.live_greenlets() - alive == set()
    assert programs.open_fds() <= fds
    assert rss_growth < 4 * 1024, f"RSS grew by {rss_growth} KiB over 650 explorations"
    assert objects_growth < 650, f"{objects_growth} more live objects after 650 explorations"
    assert traced_growth < 1024 * 1024, f"{traced_growth} bytes still allocated after 150 explorations"
