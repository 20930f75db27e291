"""Every --race-* option and race_* ini setting, their precedence, and the header."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from plugin_helpers import run

pytest_plugins = ["pytester"]

COUNTED = '''
    import eventlet
    import pytest

    RUNS = []

    @pytest.mark.race({marker})
    def test_counted(race):
        RUNS.append(race.index)
        race.gather(lambda: eventlet.sleep(0), lambda: eventlet.sleep(0))

    def test_report_runs():
        print(f"RUNS={{len(RUNS)}}")
'''


def counted(pytester: pytest.Pytester, marker: str = "", *args: str) -> tuple[pytest.RunResult, int]:
    pytester.makepyfile(test_counted=COUNTED.format(marker=marker))
    result = run(pytester, "-s", *args)
    line = next(x for x in result.stdout.lines if "RUNS=" in x)
    return result, int(line.split("RUNS=")[1].split()[0])


def properties(path: Path) -> dict[str, dict[str, str]]:
    """user_properties per test name, from a junit XML file."""
    found: dict[str, dict[str, str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        found[case.get("name", "")] = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    return found


def test_header_shows_the_seed_and_where_it_came_from(pytester: pytest.Pytester,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    run(pytester).stdout.fnmatch_lines([
        "race-harness: seed=0 (default), strategy=random, schedules=1000, preemption=cooperative"])
    run(pytester, "--race-seed=7").stdout.fnmatch_lines(["race-harness: seed=7 (--race-seed), *"])
    monkeypatch.setenv("RACE_SEED", "3")
    run(pytester).stdout.fnmatch_lines(["race-harness: seed=3 (RACE_SEED), *"])
    pytester.makeini("[pytest]\nrace_seed = 5\n")
    run(pytester).stdout.fnmatch_lines(["race-harness: seed=5 (ini race_seed), *"])


def test_seed_falls_back_to_pytest_randomly(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
        def pytest_addoption(parser):
            parser.addoption("--randomly-seed", dest="randomly_seed", type=int, default=4242)
    ''')
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    run(pytester).stdout.fnmatch_lines(["race-harness: seed=4242 (pytest-randomly), *"])
    run(pytester, "--race-seed=1").stdout.fnmatch_lines(["race-harness: seed=1 (--race-seed), *"])


def test_schedules_command_line_beats_marker_beats_ini(pytester: pytest.Pytester) -> None:
    assert counted(pytester, "schedules=9")[1] == 9
    assert counted(pytester, "schedules=9", "--race-schedules=4")[1] == 4
    pytester.makeini("[pytest]\nrace_schedules = 6\n")
    assert counted(pytester)[1] == 6
    assert counted(pytester, "schedules=9")[1] == 9


def test_strategy_option_overrides_the_marker(pytester: pytest.Pytester) -> None:
    junit = pytester.path / "junit.xml"
    _, runs = counted(pytester, "strategy='random', schedules=50", "--race-strategy=dfs",
                           f"--junitxml={junit}")
    props = properties(junit)["test_counted"]
    assert props["race_strategy"] == "dfs"
    assert props["race_exhausted"] == "True" and runs < 50, "dfs exhausts the tiny program"


def test_seed_option_picks_the_schedules(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_seeded='''
        import eventlet
        import pytest

        @pytest.mark.race(schedules=30, strategy="random", seed=11)
        def test_seeded(race):
            threads = [race.spawn(eventlet.sleep, 0) for _ in range(3)]
            for thread in threads:
                thread.wait()
            print("CHOICES", race.index, race.schedule.encode().rsplit(":", 1)[1])
    ''')

    def choices(*args: str) -> list[str]:
        result = run(pytester, "-s", *args)
        return [line for line in result.stdout.lines if line.startswith("CHOICES")]

    marker_seed = choices()
    assert marker_seed == choices(), "same seed, same schedules"
    assert choices("--race-seed=12") != marker_seed, "the option beats the marker's seed"
    assert choices("--race-seed=11") == marker_seed


PREEMPTIVE_ONLY = '''
    import pytest

    from harness.instrument import shared_attributes

    class Box:
        def __init__(self):
            self.value = 0

    def bump(box):
        box.value = box.value + 1   # no eventlet switch: only a native thread could interleave here

    @pytest.mark.race(strategy="dfs", schedules=2000, {extra}
                      instrument=lambda: shared_attributes(Box, "value"))
    def test_bump(race):
        box = Box()
        race.gather(lambda: bump(box), lambda: bump(box))
        assert box.value == 2, f"lost update under preemption: {{box.value}}"
'''


def test_preemption_option_and_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bump=PREEMPTIVE_ONLY.format(extra=""))
    cooperative = run(pytester)
    cooperative.assert_outcomes(passed=1)
    cooperative.stdout.fnmatch_lines(
        ["pass test_bump.py::test_bump: * (dfs, seed 0, cooperative), exhaustive"])
    preemptive = run(pytester, "--race-preemption=preemptive")
    preemptive.assert_outcomes(failed=1)
    preemptive.stdout.fnmatch_lines(["race found: AssertionError in gt0: lost update under preemption: 1*",
                                     "  schedule: rh1:test_bump:test_bump:p:*"])
    pytester.makepyfile(test_bump=PREEMPTIVE_ONLY.format(extra="preemption='preemptive', "))
    run(pytester).assert_outcomes(failed=1)
    run(pytester, "--race-preemption=cooperative").assert_outcomes(passed=1)


def test_ini_settings(pytester: pytest.Pytester, racy: pytest.Pytester) -> None:
    pytester.makeini("""
        [pytest]
        race_schedules = 7
        race_strategy = dfs
        race_seed = 2
        race_preemption = cooperative
        race_report_dir = bundles
    """)
    pytester.makepyfile(test_racy=racy.path.joinpath("test_racy.py").read_text().replace(
        '@pytest.mark.race(strategy="dfs", schedules=100)', "@pytest.mark.race()"))
    junit = pytester.path / "junit.xml"
    result = run(pytester, f"--junitxml={junit}")
    result.stdout.fnmatch_lines(["race-harness: seed=2 (ini race_seed), strategy=dfs, schedules=7, "
                                 "preemption=cooperative"])
    props = properties(junit)["test_lost_update"]
    assert (props["race_strategy"], props["race_seed"], props["race_schedules"]) == ("dfs", "2", "7")
    assert (pytester.path / "bundles" / "test_racy.py_test_lost_update" / "report.json").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--race-schedules=0"], "*--race-schedules: expected a whole number >= 1, got '0'*"),
    (["--race-seed=-1"], "*--race-seed: expected a seed >= 0, got '-1'*"),
    (["--race-strategy=bogus"], "*--race-strategy: invalid choice: 'bogus'*"),
    (["--race-preemption=threads"], "*--race-preemption: invalid choice: 'threads'*"),
])
def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nrace_strategy = sideways\n")
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ini race_strategy: strategy 'sideways' is not one of random, dfs, bounded, dpor, pct*"])


def test_report_dir_gets_a_bundle_per_race_found(racy: pytest.Pytester) -> None:
    result = run(racy, "--race-report-dir=out")
    bundle = racy.path / "out" / "test_racy.py_test_lost_update"
    result.stdout.fnmatch_lines([f"  report:   {bundle}", f"    report: {bundle}"])
    names = sorted(p.name for p in bundle.iterdir())
    assert names == ["report.json", "report.md", "test_regression_test_racy_test_lost_update.py",
                     "timeline.html", "timeline.svg"]
    text = (bundle / "report.md").read_text()
    assert "pytest 'test_racy.py::test_lost_update' --race-replay='rh1:" in text
    assert "stale read: read 0, counter is now 1" in text


@pytest.mark.slow
def test_report_dir_regression_test_fails_while_the_race_is_there(racy: pytest.Pytester) -> None:
    run(racy, "--race-report-dir=out")
    regression = next((racy.path / "out").rglob("test_regression_*.py"))
    outcome = racy.runpytest_subprocess(str(regression), "-p", "no:randomly", "-q")
    outcome.assert_outcomes(failed=1)
    racy.makepyfile(test_racy=racy.path.joinpath("test_racy.py").read_text().replace(
        "eventlet.sleep(0)  # green I/O", "pass  # fixed: no switch"))
    fixed = racy.runpytest_subprocess(str(regression), "-p", "no:randomly", "-q")
    fixed.assert_outcomes(passed=1)
