"""Concurrency the scheduler cannot control is reported, never silently ignored.

A native thread, a real socket, a subprocess, a shell command or a second hub
started inside a run fails the run by default (``uncontrolled="error"``), or
is let through with a warning the verdict repeats (``uncontrolled="warn"``).
A run that offered no decision says so rather than claiming a pass.
"""

from __future__ import annotations

import signal
import warnings
from collections.abc import Callable

import eventlet
import pytest
import reliability_programs as programs

import harness
from harness import cli
from harness.errors import HubBypassError, InvalidSetting, UncontrolledConcurrency
from harness.settings import Settings

ESCAPES: dict[str, tuple[Callable[[], None], type[Exception], str]] = {
    "native thread": (programs.starts_native_thread, UncontrolledConcurrency, "native thread"),
    "raw _thread": (programs.starts_raw_thread, UncontrolledConcurrency, "native thread"),
    "real socket": (programs.opens_real_socket, HubBypassError, "real socket"),
    "green socket wait": (programs.waits_on_green_socket, HubBypassError, "real file descriptor"),
    "subprocess": (programs.starts_subprocess, UncontrolledConcurrency, "subprocess"),
    "os.system": (programs.runs_os_system, UncontrolledConcurrency, "shell command"),
    "second hub": (programs.installs_second_hub, UncontrolledConcurrency, "use_hub"),
    "swallowed refusal": (programs.swallows_refusal, UncontrolledConcurrency, "native thread"),
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_an_escape_fails_the_run_by_default(name: str) -> None:
    body, kind, words = ESCAPES[name]
    before = programs.open_fds()
    exploration = harness.explore(programs.target(body), strategy="random", schedules=3)
    failure = exploration.failure
    assert failure is not None, f"{name} was silently ignored: {exploration.verdict()}"
    assert isinstance(failure.error, kind)
    assert words in str(failure.error)
    assert failure.thread == "gt0"  # which greenthread did it
    assert exploration.verdict().startswith("FAIL")
    assert programs.open_fds() <= before  # nothing was left open


WARNABLE = ["native thread", "raw _thread", "subprocess", "os.system"]


@pytest.mark.parametrize("name", WARNABLE)
def test_warn_lets_it_through_and_says_so(name: str) -> None:
    body, _kind, words = ESCAPES[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exploration = harness.explore(programs.target(body), strategy="random", schedules=2,
                                      uncontrolled="warn")
    assert exploration.failure is None
    assert exploration.warnings and words in exploration.warnings[0]
    verdict = exploration.verdict()
    assert "WARNING" in verdict and "not fully under the scheduler's control" in verdict
    assert "proof" not in verdict.replace("not a proof", "")
    assert any(issubclass(w.category, RuntimeWarning) and words in str(w.message) for w in caught)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_warn_never_turns_an_exhaustive_pass_into_a_proof() -> None:
    def body() -> None:
        programs.starts_native_thread()
        programs.guarded_update()

    exploration = harness.explore(programs.target(body, name="reliability:thread_then_update"),
                                  strategy="dfs", schedules=100, uncontrolled="warn")
    assert exploration.exhausted and exploration.failure is None
    assert "exhaustive proof" not in exploration.verdict()
    assert "not a proof" in exploration.verdict()


def test_the_option_comes_from_settings_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().uncontrolled == "error"
    assert Settings.from_env({"RACE_UNCONTROLLED": "warn"}).uncontrolled == "warn"
    with pytest.raises(InvalidSetting, match="RACE_UNCONTROLLED='ignore'"):
        Settings.from_env({"RACE_UNCONTROLLED": "ignore"})
    with pytest.raises(InvalidSetting, match="uncontrolled 'ignore'"):
        harness.explore(programs.target(programs.no_yield), uncontrolled="ignore")
    monkeypatch.setenv("RACE_UNCONTROLLED", "warn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        exploration = harness.explore(programs.target(programs.starts_native_thread), schedules=1)
    assert exploration.failure is None and exploration.warnings


def test_cli_uncontrolled_option(capsys: pytest.CaptureFixture[str]) -> None:
    spec = "reliability_programs:starts_native_thread"
    assert cli.main(["explore", spec, "--schedules", "2"]) == cli.EXIT_FAILURE
    out = capsys.readouterr().out
    assert "UncontrolledConcurrency" in out and "FAIL" in out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert cli.main(["explore", spec, "--schedules", "2", "--uncontrolled", "warn"]) == cli.EXIT_OK
    captured = capsys.readouterr()
    assert "WARNING" in captured.out
    assert "race-harness: warning: uncontrolled concurrency: a native thread was started" in captured.err


def test_a_run_that_made_no_decision_does_not_claim_a_pass(capsys: pytest.CaptureFixture[str]) -> None:
    exploration = harness.explore(programs.target(programs.no_yield), strategy="dfs", schedules=10)
    assert exploration.failure is None and exploration.decisions == 0
    verdict = exploration.verdict()
    assert "no decision was ever offered" in verdict and "nothing was explored" in verdict
    assert "proof" not in verdict
    assert cli.main(["explore", "reliability_programs:no_yield", "--strategy", "dfs"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("reliability_programs:no_yield: pass, but no decision was ever offered")
    assert "exhaustive" not in out.splitlines()[0]


def test_a_greenthread_started_outside_the_run_is_refused_not_run() -> None:
    """Started on the stock hub (at import, in a fixture), woken inside a run: running it
    would hand control back to the stock hub when it ends, which waits on real time."""
    ready = eventlet.Event()
    woken: list[object] = []
    outsider = eventlet.spawn(lambda: woken.append(ready.wait()))
    eventlet.sleep(0)  # now blocked on the stock hub

    def body() -> None:
        ready.send("go")
        eventlet.sleep(1)

    def hung(_signum: int, _frame: object) -> None:
        raise AssertionError("the run hung: the outsider handed control to the stock hub")

    previous = signal.signal(signal.SIGALRM, hung)  # a regression here hangs, not fails
    signal.alarm(20)
    try:
        exploration = harness.explore(programs.target(body, name="reliability:outsider"), schedules=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        outsider.kill()
    failure = exploration.failure
    assert failure is not None and isinstance(failure.error, UncontrolledConcurrency)
    assert "was started outside this harness run and woken inside it (by gt0)" in str(failure.error)
    assert "test_uncontrolled_concurrency.py" in str(failure.error)  # where it was blocked
    assert woken == []
