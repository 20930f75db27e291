"""race(shards=N): disjoint schedule ranges as separate items, merged in the summary; xdist."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from plugin_helpers import run

pytest_plugins = ["pytester"]

SHARDED = '''
    import eventlet
    import pytest

    @pytest.mark.race(schedules=40, shards=4, strategy="random", seed=5)
    def test_sharded(race):
        threads = [race.spawn(eventlet.sleep, 0) for _ in range(3)]
        for thread in threads:
            thread.wait()
        print("RUN", race.shard, race.index, race.schedule.encode().rsplit(":", 1)[1])
'''

UNSHARDED = SHARDED.replace("shards=4, ", "")


def runs(result: pytest.RunResult) -> list[tuple[str, int, str]]:
    found = []
    for line in result.stdout.lines:
        match = re.search(r"RUN (\S+) (\d+) (\S+)", line)  # -s output may follow the progress dots
        if match:
            found.append((match.group(1), int(match.group(2)), match.group(3)))
    return found


def test_shards_cover_the_same_schedules_as_one_item(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sharded=SHARDED)
    sharded = run(pytester, "-s", "-rA")
    sharded.assert_outcomes(passed=4)
    sharded.stdout.fnmatch_lines(["PASSED test_sharded.py::test_sharded[[]shard1of4[]]",
                                  "PASSED test_sharded.py::test_sharded[[]shard4of4[]]"])
    by_shard = runs(sharded)
    assert [i for _, i, _ in by_shard] == list(range(40)), "disjoint ranges, together all 40"
    assert {s for s, i, _ in by_shard if i < 10} == {"1/4"}
    assert {s for s, i, _ in by_shard if i >= 30} == {"4/4"}
    sharded.stdout.fnmatch_lines(["pass test_sharded.py::test_sharded: 40 schedules "
                                  "(random, seed 5, cooperative, 4 shards merged), not exhaustive"])
    pytester.makepyfile(test_sharded=UNSHARDED)
    whole = runs(run(pytester, "-s"))
    assert [(i, c) for _, i, c in by_shard] == [(i, c) for _, i, c in whole], "schedule N is the same"


def test_shards_need_a_seeded_strategy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sharded=SHARDED.replace('strategy="random"', 'strategy="dfs"'))
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*race(shards=4) needs a strategy whose schedule N does not depend on "
                                 "the others (random, pct); 'dfs' explores in order*"])


def test_replay_runs_one_unsharded_item(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sharded=SHARDED)
    result = run(pytester, "-v", "--race-replay=rh1:test_sharded:test_sharded:c:0:-")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_sharded.py::test_sharded PASSED*"])


RACY_SHARDED = '''
    import eventlet
    import pytest

    @pytest.mark.race(schedules=80, shards=4, strategy="random")
    def test_racy(race):
        box = [0]
        def bump():
            value = box[0]
            eventlet.sleep(0)
            box[0] = value + 1
        race.gather(bump, bump, bump)
        assert box[0] == 3, f"lost update: {box[0]}"

    @pytest.mark.race(schedules=40, shards=2, strategy="random")
    def test_calm(race):
        race.gather(lambda: eventlet.sleep(0), lambda: eventlet.sleep(0))
'''


def test_failing_shards_are_merged_in_the_summary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_racy_sharded=RACY_SHARDED)
    junit = pytester.path / "junit.xml"
    result = run(pytester, f"--junitxml={junit}")
    _check_merged(result, junit)


@pytest.mark.slow
def test_xdist_spreads_shards_over_workers_and_the_summary_merges_them(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_racy_sharded=RACY_SHARDED)
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-n", "2",
                                           f"--junitxml={junit}")
    workers = {line.split("]")[0] for line in result.stdout.lines if line.startswith("[gw")}
    assert workers == {"[gw0", "[gw1"}, "both workers ran shards"
    _check_merged(result, junit)


def _check_merged(result: pytest.RunResult, junit: Path) -> None:
    result.assert_outcomes(failed=4, passed=2)
    result.stdout.fnmatch_lines([
        "seed 0 (default): 2 race test(s), 1 found a race, 44 schedules run",
        "RACE test_racy_sharded.py::test_racy: AssertionError: lost update: *",
        "    4 of 80 schedules (random, seed 0, cooperative, 4 shards merged); 4 of 4 item(s) found a race",
        "    found at schedule 1 [[]shard 1/4[]]: rh1:test_racy_sharded:test_racy:c:*",
        "    replay: pytest 'test_racy_sharded.py::test_racy' --race-replay='rh1:*'",
    ])
    result.stdout.fnmatch_lines(["pass test_racy_sharded.py::test_calm: 40 schedules "
                                 "(random, seed 0, cooperative, 2 shards merged), not exhaustive"])
    firsts = sorted(int(_props(junit, name)["race_first_schedule"]) for name in
                    (f"test_racy[shard{i}of4]" for i in range(1, 5)))
    assert firsts == [0, 20, 40, 60]
    assert {_props(junit, f"test_racy[shard{i}of4]")["race_found_at"] for i in range(1, 5)} == \
        {"1", "21", "41", "61"}, "each shard starts at its own range"


def _props(junit: Path, name: str) -> dict[str, str]:
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.get("name") == name:
            return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    raise AssertionError(f"no testcase {name}")
