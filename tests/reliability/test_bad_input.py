"""Bad input gets one line and exit code 2 from the CLI, a HarnessError from the API.

Schedules (malformed, truncated, wrong version, stale, fuzzed), targets
(unknown, unknown variant, not callable, needing arguments, failing to
import), settings (options and ``RACE_*`` variables) and options that
contradict each other.  Never a traceback, never exit 1 (which means "race
found"), never a silent default.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import reliability_programs as programs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import harness
from harness._errors import HarnessError, InvalidSchedule, InvalidSetting, UnknownTarget
from harness._frontends import cli
from harness._schedule import Schedule

HERE = Path(__file__).parent
LOST = "reliability_programs:lost_update"
VALID = f"rh1:{LOST}:c:{programs.FINGERPRINT}:0x3.1.0x2"


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``race-harness ARGV`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_one_line_usage_error(code: int, err: str, *words: str) -> None:
    assert code == cli.EXIT_USAGE, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert "Traceback" not in err and lines[0].startswith("race-harness")
    assert "error:" in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


# -- schedules ----------------------------------------------------------------------------

BAD_SCHEDULES = {
    "empty": ("", "fields"),
    "garbage": ("garbage", "fields"),
    "truncated after the model": (f"rh1:{LOST}:c", "truncated"),
    "truncated in the fingerprint": (VALID[: VALID.index(programs.FINGERPRINT) + 5], "truncated"),
    "truncated mid-choices": (VALID[:-1] + ".", "bad run"),
    "wrong version": (VALID.replace("rh1:", "rh2:", 1), "version 'rh2'"),
    "future version": (VALID.replace("rh1:", "rh10:", 1), "not supported"),
    "bad model": (VALID.replace(":c:", ":x:", 1), "bad model field 'x'"),
    "uppercase fingerprint": (VALID.replace(programs.FINGERPRINT, programs.FINGERPRINT.upper()),
                              "bad fingerprint"),
    "bad run": (VALID.replace("0x3", "0y3"), "bad run '0y3'"),
    "negative choice": (VALID.replace("0x3", "-1"), "bad run '-1'"),
    "zero count": (VALID.replace("0x3", "0x0"), "bad run '0x0'"),
    "too many choices": (VALID.replace("0x3", "0x999999999"), "past"),
    "space inside": (VALID.replace(":c:", ": c:"), "bad"),
    "newline inside": (VALID.replace(":c:", ":c\n:"), "bad"),
    "empty choices": (f"{VALID.rsplit(':', 1)[0]}:", "empty choices"),
    "bad target characters": (VALID.replace(LOST, "a b"), "bad target"),
}


@pytest.mark.parametrize("command", ["replay", "shrink", "report"])
@pytest.mark.parametrize("name", list(BAD_SCHEDULES))
def test_bad_schedules_are_one_line_usage_errors(name: str, command: str, tmp_path: Path) -> None:
    text, words = BAD_SCHEDULES[name]
    extra = ["--out", str(tmp_path)] if command == "report" else []
    code, out, err = run_cli(command, LOST, *extra, "--", text)
    assert_one_line_usage_error(code, err, words)
    assert out == ""
    with pytest.raises(InvalidSchedule):
        Schedule.parse(text)


def test_a_stale_schedule_still_replays_and_says_so() -> None:
    failing = harness.explore(programs.target(programs.lost_update), strategy="dfs").failure
    assert failing is not None
    stale = failing.schedule.replace(programs.FINGERPRINT, "fedcba987654")
    code, out, err = run_cli("replay", LOST, stale, "--no-fallback")
    assert code == cli.EXIT_FAILURE and out.startswith("FAIL: reproduced")
    assert "warning: schedule fingerprint fedcba987654 differs" in err and "Traceback" not in err


def test_a_schedule_of_another_target_is_a_skip_not_a_verdict() -> None:
    other = VALID.replace(LOST, "reliability_programs:guarded_update")
    code, _out, err = run_cli("replay", LOST, other)
    assert code == cli.EXIT_SKIP
    assert "recorded for target 'reliability_programs:guarded_update'" in err


_SCHEDULE_ALPHABET = st.sampled_from([*"rh10123456789abcdefx.-:_ \t\n", LOST, programs.FINGERPRINT])


def _mutations() -> st.SearchStrategy[str]:
    pieces = st.lists(_SCHEDULE_ALPHABET, max_size=12).map("".join)
    cut = st.integers(0, len(VALID)).map(lambda i: VALID[:i])
    spliced = st.tuples(st.integers(0, len(VALID)), pieces).map(lambda t: VALID[: t[0]] + t[1] + VALID[t[0]:])
    return st.one_of(st.text(max_size=40), pieces, cut, spliced)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_fuzzed_schedules_on_the_command_line(text: str) -> None:
    """Whatever is pasted: exit 2 with one line exactly when the schedule does not parse."""
    try:
        Schedule.parse(text)
        parses = True
    except InvalidSchedule:
        parses = False
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Schedule.parse raised {type(exc).__name__}, not InvalidSchedule: {exc}")
    code, _out, err = run_cli("replay", LOST, "--no-fallback", "--", text)
    assert "Traceback" not in err
    if not parses:
        assert_one_line_usage_error(code, err)
    else:
        assert code in (cli.EXIT_OK, cli.EXIT_FAILURE, cli.EXIT_SKIP)


# -- targets ------------------------------------------------------------------------------

BAD_TARGETS = {
    "no such name": ("nothing_here", "unknown target 'nothing_here'"),
    "no such module": ("no_such_module_xyz:main", "cannot be imported"),
    "no such attribute": ("reliability_programs:no_such_body", "has no attribute"),
    "unknown variant": ("session_overwrite:nope", "unknown variant 'nope' of scenario 'session_overwrite'"),
    "not callable": ("reliability_programs:FINGERPRINT", "not callable"),
    "needs arguments": ("reliability_programs:target", "needs argument(s) body"),
    "module fails on import": ("reliability_broken_module:main", "importing module"),
    "empty": ("", "unknown target ''"),
}


@pytest.fixture
def broken_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "reliability_broken_module.py").write_text("raise RuntimeError('broken at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.parametrize("name", list(BAD_TARGETS))
@pytest.mark.usefixtures("broken_module")
def test_bad_targets(name: str) -> None:
    spec, words = BAD_TARGETS[name]
    code, out, err = run_cli("explore", spec)
    assert_one_line_usage_error(code, err, words)
    assert out == ""
    code, _out, err = run_cli("shrink", spec, VALID)
    assert code == cli.EXIT_SKIP and "Traceback" not in err  # bisect: this commit cannot tell
    with pytest.raises(UnknownTarget, match=words.replace("(", r"\(").replace(")", r"\)")):
        harness.explore(spec)


@pytest.mark.parametrize("spec", [42, None, b"reliability_programs:lost_update", lambda x: x])
def test_bad_target_objects_in_the_api(spec: object) -> None:
    with pytest.raises(UnknownTarget):
        harness.explore(spec)  # type: ignore[arg-type]


def test_a_target_that_never_yields_says_nothing_was_explored() -> None:
    code, out, _err = run_cli("explore", "reliability_programs:no_yield", "--strategy", "random",
                             "--schedules", "5")
    assert code == cli.EXIT_OK and "no decision was ever offered in 5 run(s)" in out


# -- settings ------------------------------------------------------------------------------

BAD_VARIABLES = {
    "RACE_SCHEDULES": ["abc", "0", "-3", "1.5", ""],
    "RACE_SEED": ["-1", "x"],
    "RACE_STRATEGY": ["nope", "REPLAY"],
    "RACE_PREEMPTION": ["threads"],
    "RACE_MAX_STEPS": ["0", "1e6"],
    "RACE_STOP_ON_FAILURE": ["maybe"],
    "RACE_VERIFY_DETERMINISM": ["2"],
    "RACE_UNCONTROLLED": ["ignore"],
    "RACE_PCT_DEPTH": ["0"],
    "RACE_PREEMPTION_BOUND": ["-2", "none"],
    "RACE_REDUCTION": ["sometimes"],
}
BAD_VARIABLE_CASES = [(name, value) for name, values in BAD_VARIABLES.items() for value in values]


@pytest.mark.parametrize(("variable", "value"), BAD_VARIABLE_CASES)
def test_bad_race_variables(variable: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, value)
    code, out, err = run_cli("explore", LOST)
    assert_one_line_usage_error(code, err, f"{variable}={value!r}")
    assert out == ""
    with pytest.raises(InvalidSetting, match=variable):
        harness.explore(LOST)


def test_strategy_replay_from_the_environment_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACE_STRATEGY", "replay")
    code, _out, err = run_cli("explore", LOST)
    assert_one_line_usage_error(code, err, "race-harness replay TARGET SCHEDULE")


def test_bad_schedules_variable_from_a_real_shell() -> None:
    env = {**os.environ, "RACE_SCHEDULES": "abc", "RACE_DATABASE": "off",
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "harness", "explore", "session_overwrite:old"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == ("race-harness: error: RACE_SCHEDULES='abc' is not a whole number "
                                   "written with the digits 0-9")
    assert done.stdout == ""


BAD_OPTIONS = {
    "schedules zero": (["--schedules", "0"], "--schedules"),
    "schedules text": (["--schedules", "many"], "--schedules"),
    "negative seed": (["--seed", "-1"], "--seed"),
    "max steps zero": (["--max-steps", "0"], "--max-steps"),
    "unknown model": (["--preemption", "threads"], "--preemption"),
    "strategy replay": (["--strategy", "replay"], "invalid choice: 'replay'"),
    "unknown option": (["--shards", "2"], "unrecognized arguments: --shards"),
    "bound with random": (["--strategy", "random", "--preemption-bound", "1"], "--preemption-bound applies"),
    "pct depth with dfs": (["--strategy", "dfs", "--pct-depth", "2"], "--pct-depth applies"),
    "no reduction with random": (["--no-reduction"], "--no-reduction applies"),
    "database twice": (["--database", "x", "--no-database"], "contradict"),
    "uncontrolled": (["--uncontrolled", "ignore"], "--uncontrolled"),
}


@pytest.mark.parametrize("name", list(BAD_OPTIONS))
def test_bad_and_conflicting_options(name: str) -> None:
    args, words = BAD_OPTIONS[name]
    code, out, err = run_cli("explore", LOST, *args)
    assert_one_line_usage_error(code, err, words)
    assert out == ""


@pytest.mark.parametrize("overrides", [
    {"schedules": 0}, {"schedules": "10"}, {"schedules": True}, {"seed": -1}, {"strategy": "nope"},
    {"strategy": "replay"}, {"preemption": "threads"}, {"max_steps": 0}, {"uncontrolled": "off"},
])
def test_bad_settings_in_the_api_are_harness_errors(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidSetting):
        harness.explore(programs.target(programs.lost_update), **overrides)  # type: ignore[arg-type]


def test_no_command_and_unknown_command_are_one_line() -> None:
    for argv in ([], ["frobnicate"], ["explore"]):
        code, _out, err = run_cli(*argv)
        assert_one_line_usage_error(code, err)


def test_a_report_directory_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    failing = harness.explore(programs.target(programs.lost_update), strategy="dfs").failure
    assert failing is not None
    code, _out, err = run_cli("report", LOST, failing.schedule, "--out", str(blocker / "bundle"),
                              "--no-shrink")
    assert_one_line_usage_error(code, err, "cannot write")


def test_every_error_the_harness_raises_on_purpose_is_a_harness_error() -> None:
    for kind in (InvalidSchedule, InvalidSetting, UnknownTarget):
        assert issubclass(kind, HarnessError)


def test_a_crash_of_the_harness_is_never_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 1 means "race found" (and "bad" to git bisect): a harness bug must not say that."""
    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("bug in the harness")

    monkeypatch.setattr(cli, "explore", crash)
    code, out, err = run_cli("explore", LOST)
    assert code == cli.EXIT_USAGE and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("race-harness: internal error: RuntimeError: bug in the harness")
    assert "not a verdict" in err
