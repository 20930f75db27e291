"""No state leaks between tests: hub, patches, greenthreads; and junit carries the race's data."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest
from plugin_helpers import run

import harness
from harness._frontends.racetest import leak_guard

pytest_plugins = ["pytester"]

LEAKY_CANDIDATES = '''
    import time
    import weakref

    import eventlet
    import pytest
    from eventlet import event, greenthread, hubs, queue

    from harness._engine import clock, points

    ORIGINAL = {
        "send": event.Event.send, "wait": greenthread.GreenThread.wait,
        "queue": queue.LightQueue.__init__, "spawn_init": greenthread.GreenThread.__init__,
    }
    SPAWNED = []

    def spawn(race, func, *args):
        thread = race.spawn(func, *args)
        SPAWNED.append(weakref.ref(thread))
        return thread

    @pytest.mark.race(schedules=20, strategy="random")
    def test_passes(race):
        spawn(race, eventlet.sleep, 0).wait()

    @pytest.mark.race(schedules=20, strategy="random")
    def test_fails(race):
        box = [0]
        def bump():
            value = box[0]
            eventlet.sleep(0)
            box[0] = value + 1
        spawn(race, bump)
        spawn(race, bump)
        eventlet.sleep(1)
        assert box[0] == 2

    @pytest.mark.race(schedules=5, strategy="random")
    def test_leaves_blocked_greenthreads(race):
        never = eventlet.event.Event()
        spawn(race, never.wait)
        spawn(race, eventlet.sleep, 3600)
        eventlet.sleep(0)          # the body ends with gt1 blocked forever: a deadlock

    @pytest.mark.race(schedules=5, strategy="random")
    def test_raises_something_unexpected(race):
        spawn(race, eventlet.sleep, 0)
        raise KeyError("boom")

    def test_nothing_leaked():
        assert points.active_run() is None
        assert hubs.get_hub().__class__.__name__ != "DeterministicHub"
        assert time.time is clock.REAL["time"] and time.monotonic is clock.REAL["monotonic"]
        assert event.Event.send is ORIGINAL["send"]
        assert greenthread.GreenThread.wait is ORIGINAL["wait"]
        assert queue.LightQueue.__init__ is ORIGINAL["queue"]
        assert greenthread.GreenThread.__init__ is ORIGINAL["spawn_init"]
        alive = [ref() for ref in SPAWNED if ref() is not None and not ref().dead]
        assert len(SPAWNED) > 30 and alive == []
        eventlet.sleep(0)          # the stock hub still works
'''


def test_no_hub_patch_or_greenthread_survives_a_race_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaks=LEAKY_CANDIDATES)
    result = run(pytester, "-rA")
    result.stdout.fnmatch_lines(["PASSED test_leaks.py::test_nothing_leaked"])
    result.stdout.fnmatch_lines(["race found: AssertionError in gt0: assert 1 == 2",
                                 "race found: DeadlockError in hub: nothing can run*",
                                 "race found: KeyError in gt0: 'boom'"])
    result.assert_outcomes(passed=2, failed=3)
    assert "left harness state behind" not in result.stdout.str()


def test_leak_guard_restores_and_fails_when_something_is_left_behind() -> None:
    real = time.time
    with pytest.raises(harness.HarnessError, match=r"time\.time is still patched"), leak_guard("t::x"):
        time.time = lambda: 0.0  # type: ignore[assignment]
    assert time.time is real


def test_junit_xml_carries_schedule_seed_and_counts(racy: pytest.Pytester) -> None:
    racy.makepyfile(test_calm='''
        import eventlet
        import pytest

        @pytest.mark.race(schedules=12, seed=4)
        def test_calm(race):
            race.gather(lambda: eventlet.sleep(0), lambda: eventlet.sleep(0))
    ''')
    junit = racy.path / "junit.xml"
    run(racy, f"--junitxml={junit}").assert_outcomes(passed=1, failed=1)
    cases = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(junit).getroot().iter("testcase")}
    racy_props, calm_props = cases["test_lost_update"], cases["test_calm"]
    assert racy_props["race_failed"] == "True"
    assert racy_props["race_schedule"].startswith("rh1:test_racy:test_lost_update:c:")
    assert racy_props["race_replay"] == (f"pytest 'test_racy.py::test_lost_update' "
                                         f"--race-replay='{racy_props['race_schedule']}'")
    assert (racy_props["race_seed"], racy_props["race_strategy"], racy_props["race_schedules"]) == \
        ("0", "dfs", "100")
    assert racy_props["race_schedules_run"] == racy_props["race_found_at"] == "1"
    assert calm_props["race_failed"] == "False" and "race_schedule" not in calm_props
    assert (calm_props["race_seed"], calm_props["race_schedules_run"]) == ("4", "12")
