"""Race tests carry their run options into the replay they print (RunSpec, issue 15)."""

from __future__ import annotations

import re

import pytest
from plugin_helpers import run

pytest_plugins = ["pytester"]

TPOOL_RACE = '''
import eventlet
import pytest
from eventlet import tpool


def _race():
    counter = [0]

    def bump():
        value = counter[0]
        eventlet.sleep(0)
        counter[0] = value + 1

    threads = [eventlet.spawn(bump) for _ in range(2)]
    for thread in threads:
        thread.wait()
    assert counter[0] == 2, f"lost update: counter={counter[0]}"


@pytest.mark.race(strategy="dfs", schedules=100MARKER)
def test_offload_then_race(race):
    assert tpool.execute(sum, [1, 2]) == 3
    _race()
'''


def _replay_line(out: str) -> str:
    found = re.search(r"replay:\s+(.*--race-replay=\S+)", out)
    assert found is not None, out
    return found.group(1)


def test_a_marker_option_needs_nothing_more_to_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_tpool=TPOOL_RACE.replace("MARKER", ', tpool="inline"'))
    result = run(pytester)
    out = result.stdout.str()
    assert result.ret == 1 and "lost update" in out, out
    line = _replay_line(out)
    assert not line.startswith("RACE_"), line
    schedule = line.split("--race-replay=")[1].strip("'")
    replayed = run(pytester, f"--race-replay={schedule}")
    assert replayed.ret == 1 and "lost update" in replayed.stdout.str()


def test_an_option_from_the_environment_is_spelled_in_the_replay_command(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_tpool=TPOOL_RACE.replace("MARKER", ""))
    monkeypatch.setenv("RACE_TPOOL", "inline")
    result = run(pytester)
    out = result.stdout.str()
    assert result.ret == 1 and "lost update" in out, out
    assert _replay_line(out).startswith("RACE_TPOOL=inline pytest "), out


def test_the_marker_accepts_bounded_and_refuses_a_bad_option_value(pytester: pytest.Pytester) -> None:
    bounded = TPOOL_RACE.replace("MARKER", ', tpool="inline"').replace('"dfs"', '"bounded"')
    pytester.makepyfile(test_tpool=bounded)
    assert run(pytester).ret == 1
    pytester.makepyfile(test_tpool=TPOOL_RACE.replace("MARKER", ', tpool="sometimes"'))
    result = run(pytester)
    assert result.ret != 0
    out = result.stdout.str() + result.stderr.str()
    assert "race(tpool=...): 'sometimes' is not one of refuse, inline" in out, out


LIB = '''
class Counter:
    value = 0


def increment():
    Counter.value += 1
'''

PACKAGE_RACE = '''
import eventlet
import pytest

import racy_lib


@pytest.mark.race(strategy="dfs", schedules=200, preemption="preemptive"MARKER)
def test_counter(race):
    racy_lib.Counter.value = 0
    race.gather(racy_lib.increment, racy_lib.increment)
    assert racy_lib.Counter.value == 2, f"lost update: {racy_lib.Counter.value}"
'''


def test_the_marker_names_packages_whose_accesses_are_preemption_points(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(racy_lib=LIB, test_package=PACKAGE_RACE.replace("MARKER", ""))
    assert run(pytester).ret == 0  # no switch point inside increment: nothing to find
    pytester.makepyfile(test_package=PACKAGE_RACE.replace("MARKER", ', preempt_modules=["racy_lib"]'))
    result = run(pytester)
    out = result.stdout.str()
    assert result.ret == 1 and "lost update: 1" in out, out
    assert "Counter.value" in out  # the preemption point names the attribute and its line


def test_user_properties_are_plain_values_xdist_can_ship() -> None:
    """Settings hold enums; the properties xdist sends between processes must not (execnet
    cannot serialize an enum: the sharded run died with an internal error)."""
    from harness._frontends.racetest import RacePlan, RaceResult
    from harness._options import Model

    plan = RacePlan("t:x", "test_x.py::x", "random", 10, 0, Model.PREEMPTIVE)
    for key, value in RaceResult(plan).properties():
        assert value is None or type(value) in (str, int, bool, float), (key, type(value))
