"""Concurrency the scheduler cannot control is reported, never silently ignored.

A native thread, a real socket, a subprocess, a shell command, a second hub
or a tpool call started inside a run is refused by default
(``uncontrolled="error"``): the run stops, and that is no verdict on the race,
neither FAIL nor pass (``Exploration.refused``; the CLI exits 125 so ``git
bisect run`` skips the commit).  ``uncontrolled="warn"`` lets threads and
processes through with a warning the verdict repeats.  A run that offered no
decision says so rather than claiming a pass.
"""

from __future__ import annotations

import json
import re
import signal
import warnings
from collections.abc import Callable

import eventlet
import pytest
import reliability_programs as programs

import harness
from harness._errors import HubBypassError, InvalidSetting, RunRefused, TpoolRefused, UncontrolledConcurrency
from harness._frontends import cli
from harness._frontends.matrix import decide, render_table
from harness._settings import Settings
from harness._targets import Expectation, Registry, resolve_target

ESCAPES: dict[str, tuple[Callable[[], None], type[Exception], str]] = {
    "native thread": (programs.starts_native_thread, UncontrolledConcurrency, "native thread"),
    "raw _thread": (programs.starts_raw_thread, UncontrolledConcurrency, "native thread"),
    "real socket": (programs.opens_real_socket, HubBypassError, "real socket"),
    "green socket wait": (programs.waits_on_green_socket, HubBypassError, "real file descriptor"),
    "subprocess": (programs.starts_subprocess, UncontrolledConcurrency, "subprocess"),
    "os.system": (programs.runs_os_system, UncontrolledConcurrency, "shell command"),
    "second hub": (programs.installs_second_hub, UncontrolledConcurrency, "use_hub"),
    "swallowed refusal": (programs.swallows_refusal, UncontrolledConcurrency, "native thread"),
    "tpool": (programs.offloads_to_tpool, TpoolRefused, "eventlet.tpool.execute(sum)"),
}
# What the CLI's one line on stderr tells the user to do, by what escaped.
FIX: dict[type[Exception], str] = {
    UncontrolledConcurrency: "spawn greenthreads with eventlet.spawn inside the run",
    HubBypassError: "patch the socket out with a fake",
    TpoolRefused: "RACE_TPOOL=inline",
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_an_escape_is_refused_by_default_and_that_is_no_verdict(name: str) -> None:
    body, kind, words = ESCAPES[name]
    before = programs.open_fds()
    exploration = harness.explore(programs.target(body), strategy="random", schedules=3,
                                  stop_on_failure=False)
    failure = exploration.failure
    assert failure is not None, f"{name} was silently ignored: {exploration.verdict()}"
    assert isinstance(failure.error, kind) and isinstance(failure.error, RunRefused)
    assert words in str(failure.error)
    assert failure.thread == "gt0"  # which greenthread did it
    assert exploration.refused and not exploration.passed
    verdict = exploration.verdict()
    assert verdict.startswith(f"refused, no verdict: {kind.__name__} in gt0 at schedule 1"), verdict
    assert words in verdict and "FAIL" not in verdict and not re.search(r"\bpass\b", verdict)
    assert exploration.schedules_run == 1, "exploring on after a refusal would only be refused again"
    assert programs.open_fds() <= before  # nothing was left open


def test_a_race_found_is_a_race_not_a_refusal() -> None:
    exploration = harness.explore(programs.target(programs.lost_update), strategy="dfs")
    assert exploration.failure is not None and not exploration.refused
    assert exploration.verdict().startswith("FAIL")


@pytest.mark.parametrize("name", list(ESCAPES))
def test_cli_explore_and_replay_of_a_refused_run_exit_125_saying_what_to_do(
    name: str, capsys: pytest.CaptureFixture[str],
) -> None:
    body, kind, words = ESCAPES[name]
    spec = f"reliability_programs:{body.__name__}"
    assert cli.main(["explore", spec, "--schedules", "3"]) == cli.EXIT_SKIP == 125
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{spec}: refused, no verdict: {kind.__name__} in gt0"), captured.out
    assert words in captured.out.splitlines()[0]
    assert "FAIL" not in captured.out and "replay:" not in captured.out  # no race, nothing to replay
    said = [line for line in captured.err.splitlines() if line.startswith("race-harness: refused")]
    assert len(said) == 1, captured.err
    assert f"refused ({kind.__name__} in gt0)" in said[0] and "says nothing about the race" in said[0]
    assert "exit 125 (git bisect skips this commit)" in said[0] and FIX[kind] in said[0]
    assert ("--uncontrolled warn" in said[0]) is (kind is UncontrolledConcurrency)

    assert cli.main(["explore", spec, "--schedules", "3", "--json"]) == 125
    data = json.loads(capsys.readouterr().out)
    assert (data["refused"], data["failed"], data["schedule"], data["replay"]) == (True, False, None, None)
    assert data["verdict"].startswith("refused") and data["refusal"].startswith(f"{kind.__name__}: ")

    fingerprint = resolve_target(spec).fingerprint
    for recorded in (fingerprint, "000000000000"):  # exact, and stale: a refusal is never explored past
        assert cli.main(["replay", spec, f"rh1:{spec}:c:{recorded}:-"]) == 125
        captured = capsys.readouterr()
        assert captured.out.startswith(f"skip: refused, no verdict: {kind.__name__} in gt0: "), captured.out
        assert "FAIL" not in captured.out
        assert "exit 125" in captured.err and FIX[kind] in captured.err
        assert "--uncontrolled" not in captured.err  # replay has no such option


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
    assert cli.main(["explore", spec, "--schedules", "2"]) == cli.EXIT_SKIP
    out = capsys.readouterr().out
    assert "UncontrolledConcurrency" in out and "refused" in out and "FAIL" not in out
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
    assert exploration.refused and exploration.verdict().startswith("refused")
    assert "was started outside this harness run and woken inside it (by gt0)" in str(failure.error)
    assert "test_uncontrolled_concurrency.py" in str(failure.error)  # where it was blocked
    assert woken == []


def test_cli_shrink_of_a_refused_schedule_exits_125(capsys: pytest.CaptureFixture[str]) -> None:
    spec = "reliability_programs:starts_native_thread"
    schedule = f"rh1:{spec}:c:{resolve_target(spec).fingerprint}:-"
    assert cli.main(["shrink", spec, schedule]) == 125
    captured = capsys.readouterr()
    assert captured.out.startswith("skip: refused, no verdict: UncontrolledConcurrency in gt0: a native")
    assert "refused (UncontrolledConcurrency in gt0)" in captured.err and "exit 125" in captured.err
    assert cli.main(["shrink", spec, schedule, "--json"]) == 125
    data = json.loads(capsys.readouterr().out)
    assert data["refused"] is True and data["error"].startswith("UncontrolledConcurrency: a native thread")


def _cell_target(body: object, name: str, verdict: str) -> harness.Target:
    expectation = Expectation("cooperative", verdict, strategy="dfs", schedules=50)
    return programs.target(body, name=name, expectations=(expectation,))  # type: ignore[arg-type]


def test_a_refused_matrix_cell_has_no_verdict(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    refusing = _cell_target(programs.starts_native_thread, "reliability:refused", "pass")
    cell = decide(refusing, "cooperative")
    assert cell is not None and cell.refused and cell.observed == "refused" and not cell.matches
    assert cell.schedule is None and cell.error is not None
    assert cell.error.startswith("UncontrolledConcurrency")
    assert cell.how.startswith("refused at schedule 1") and "no verdict" in cell.how
    table = render_table([cell])
    assert "refused" in table and " NO " not in table and "1 refused" in table

    registry = Registry()
    registry.add(refusing)
    registry.add(_cell_target(programs.guarded_update, "reliability:judged", "pass"))
    monkeypatch.setattr(cli, "load_registry", lambda: registry)
    assert cli.main(["matrix"]) == 125  # every judged cell matches; one cell cannot be judged
    err = capsys.readouterr().err
    assert "reliability:refused [cooperative]: refused: UncontrolledConcurrency: a native thread" in err
    assert "1 cell(s) refused" in err and "exit 125" in err
    registry.add(_cell_target(programs.lost_update, "reliability:differs", "pass"))
    assert cli.main(["matrix"]) == cli.EXIT_FAILURE  # a judged cell differs: that is a finding
