"""@pytest.mark.race and the race fixture: one body run per schedule, and what a failure shows."""

from __future__ import annotations

import re
import shlex

import pytest
from plugin_helpers import replay_command, run

pytest_plugins = ["pytester"]


def test_body_runs_once_per_schedule_with_fixtures_set_up_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_counted='''
        import eventlet
        import pytest

        CALLS = {"fixture": 0, "body": 0, "indices": []}

        @pytest.fixture
        def shared():
            CALLS["fixture"] += 1
            return object()

        @pytest.mark.race(schedules=25, strategy="random")
        def test_counted(race, shared):
            CALLS["body"] += 1
            CALLS["indices"].append(race.index)
            race.gather(lambda: eventlet.sleep(0), lambda: eventlet.sleep(0))

        def test_check():
            assert CALLS["fixture"] == 1
            assert CALLS["body"] == 25
            assert CALLS["indices"] == list(range(25))
    ''')
    run(pytester).assert_outcomes(passed=2)


def test_exhaustive_dfs_pass_is_reported_as_exhaustive(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_safe='''
        import eventlet
        import pytest

        @pytest.mark.race(strategy="dfs", schedules=1000)
        def test_safe(race):
            sem = eventlet.semaphore.Semaphore()
            box = [0]
            def bump():
                with sem:
                    value = box[0]
                    eventlet.sleep(0)
                    box[0] = value + 1
            race.gather(bump, bump)
            assert box[0] == 2
    ''')
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines(
        [r"pass test_safe.py::test_safe: \d+ schedules \(dfs, seed 0, cooperative\), exhaustive"])


def test_failing_race_test_shows_error_schedule_timeline_and_violations(racy: pytest.Pytester) -> None:
    result = run(racy)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "race found: AssertionError in gt0: lost update: counter=1*",
        "  found at schedule 1 of 100 (dfs, seed 0, cooperative)",
        "  schedule: rh1:test_racy:test_lost_update:c:*",
        "  shrink:   *",
        "  replay:   pytest 'test_racy.py::test_lost_update' "
        "--race-replay='rh1:test_racy:test_lost_update:c:*'",
        "  1 violating request(s), first: stale read: read 0, counter is now 1",
    ])
    result.stdout.fnmatch_lines(["traceback of gt0, the greenthread that failed:",
                                 "Traceback (most recent call last):*frames hidden*",
                                 '  File "*test_racy.py", line *, in test_lost_update'])
    assert "harness/_engine/run.py" not in out, "harness frames are hidden"
    header = next(line for line in out.splitlines() if line.lstrip().startswith("step") and "| gt0" in line)
    assert re.search(r"\| gt0 +\| gt1 +\| gt2$", header), "one column per greenthread"
    result.stdout.fnmatch_lines(["*- race timeline -*", "*- race violations -*",
                                 "step * gt2: POST /counter value=1",
                                 "    violation: stale read: read 0, counter is now 1"])


def test_summary_lists_the_race_and_its_replay_command_reproduces_it(racy: pytest.Pytester) -> None:
    first = run(racy)
    first.stdout.fnmatch_lines([
        "*= race-harness =*",
        "seed 0 (default): 1 race test(s), 1 found a race, 1 schedule run",
        "RACE test_racy.py::test_lost_update: AssertionError: lost update: counter=1",
        "    found at schedule 1: rh1:test_racy:test_lost_update:c:*",
        "    replay: pytest 'test_racy.py::test_lost_update' --race-replay='rh1:*'",
    ])
    command = shlex.split(replay_command(first.stdout.str()))
    assert command[0] == "pytest"
    again = run(racy, *command[1:])
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["race found: AssertionError in gt0: lost update: counter=1*",
                                "  replaying --race-replay (replay: reproduced)"])
    schedule = command[2].split("=", 1)[1]
    assert f"schedule: {schedule}" in again.stdout.str()


def test_replay_of_a_passing_schedule_passes(racy: pytest.Pytester) -> None:
    found = re.search(r"schedule: (rh1:test_racy:test_lost_update:c:[0-9a-f]+):", run(racy).stdout.str())
    assert found is not None
    # gt1 runs to the end before gt2 reads: no lost update.
    result = run(racy, f"--race-replay={found.group(1)}:0.1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["pass test_racy.py::test_lost_update: 1 schedule (*), replayed, passed"])


def test_replay_skips_the_race_tests_it_is_not_for(racy: pytest.Pytester) -> None:
    racy.makepyfile(test_other='''
        import pytest

        @pytest.mark.race(schedules=3)
        def test_other(race):
            pass

        def test_plain():
            pass
    ''')
    result = run(racy, "-rs", "--race-replay=rh1:test_other:test_other:c:0:-")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*--race-replay replays a schedule of test_other:test_other, "
                                 "not of this test (test_racy:test_lost_update)"])


REFUSING = '''
import threading

import eventlet
import pytest


@pytest.mark.race(strategy="random", schedules=20)
def test_warms_up_on_a_thread(race):
    race.gather(lambda: eventlet.sleep(0), lambda: threading.Thread(target=lambda: None).start())
'''


@pytest.mark.parametrize("replay", [False, True])
def test_a_refused_run_fails_the_test_naming_the_escape_not_as_a_race(pytester: pytest.Pytester,
                                                                       replay: bool) -> None:
    pytester.makepyfile(test_refusing=REFUSING)
    schedule = "rh1:test_refusing:test_warms_up_on_a_thread:c:0:-"
    result = run(pytester, *([f"--race-replay={schedule}"] if replay else []))
    result.assert_outcomes(failed=1)
    how = "replaying --race-replay" if replay else "schedule 1 of 20, random, seed 0, cooperative"
    result.stdout.fnmatch_lines([
        f"race-harness refused the run ({how}): UncontrolledConcurrency in gt*: a native thread was started*",
        "The code under test escaped the scheduler: this is no race and no verdict, and there is no schedule "
        "to replay. To explore it: spawn greenthreads with eventlet.spawn inside the run*",
    ])
    out = result.stdout.str()
    assert ("RACE_UNCONTROLLED=warn" in out) is not replay
    assert "race found" not in out and "replay:   pytest" not in out and "RACE test_refusing" not in out
    result.stdout.fnmatch_lines([
        "*1 race test(s), 0 found a race, 1 refused, *",
        "REFUSED test_refusing.py::test_warms_up_on_a_thread: race-harness refused the run (*)*",
        "    * no verdict: the code escaped the scheduler",
    ])


def test_malformed_replay_schedule_is_a_usage_error(racy: pytest.Pytester) -> None:
    result = run(racy, "--race-replay=rh1:test_racy:test_lost_update:c:zz:-")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--race-replay: bad fingerprint field 'zz'*"])


def test_race_fixture_api(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # race.index counts runs, so a body that fails on it is not a function of its
    # schedule: the CI determinism check (replaying each failure) would rightly object.
    monkeypatch.setenv("RACE_VERIFY_DETERMINISM", "0")
    pytester.makepyfile(test_api='''
        import eventlet
        import pytest

        import harness

        @pytest.mark.race(schedules=5, strategy="random", seed=3)
        def test_api(race):
            assert harness.in_run()
            assert (race.seed, race.strategy, race.preemption) == (3, "random", "cooperative")
            assert race.replaying is None and race.shard is None
            assert race.schedule.target == "test_api:test_api"
            before = len(race.schedule.choices)
            thread = race.spawn(eventlet.sleep, 0)
            race.yield_point("no-op under the cooperative model")
            thread.wait()
            race.note("request", "GET /x")
            assert len(race.schedule.choices) >= before
            assert race.gather(lambda: 1, lambda: 2) == [1, 2]
            race.section("journal", f"schedule {race.index}: 1 request")
            assert race.index < 4

        def test_spawn_outside_a_run_is_refused():
            from harness._frontends.racetest import RaceContext
            with pytest.raises(harness.HarnessError, match="only inside the body of a race test"):
                RaceContext().spawn(lambda: None)
    ''')
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["race found: AssertionError in gt0: assert 4 < 4*",
                                 "  found at schedule 5 of 5 (random, seed 3, cooperative)",
                                 "*- race: journal -*", "schedule 4: 1 request"])


def test_race_fixture_needs_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unmarked="def test_unmarked(race):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the `race` fixture works only in a test marked @pytest.mark.race(...)*"])


def test_unknown_marker_argument_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_typo='''
        import pytest

        @pytest.mark.race(schedule=5)
        def test_typo(race):
            pass
    ''')
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.race takes keyword arguments only, from: *(unknown: schedule)*"])


def test_same_run_twice_gives_the_same_schedule_and_timeline(racy: pytest.Pytester) -> None:
    def report(result: pytest.RunResult) -> str:
        text = result.stdout.str()
        start = text.index("schedule: rh1:")
        return re.sub(r"0x[0-9a-f]+|in \d+\.\d+s", "", text[start:])

    assert report(run(racy)) == report(run(racy))
