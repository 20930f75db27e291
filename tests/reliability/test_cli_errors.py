"""One line where one line was promised: the ``race-harness`` command in real processes.

* Ctrl-C while the command starts (its imports, its plug-ins) or runs:
  ``race-harness: interrupted`` and exit 130, never a traceback or a death by
  the signal.  The SIGINT is real, sent by the process to itself at a chosen
  import (an import hook), so the instant is exact.
* A reader that leaves (``| head -1``, a closed pipe): no BrokenPipeError,
  the command's own exit code.
* A target that needs arguments but has no readable signature (``time:sleep``)
  is refused in one line (exit 2), not run into a TypeError that reads as a
  race found (exit 1); ``os:getcwd`` and other argument-less builtins run.
* Whole numbers in ASCII digits only (``--schedules`` in Arabic-Indic digits is refused).
* ``input()`` and ``sys.stdin`` reads in a body are refused like other real
  I/O (exit 125).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import eventlet
import pytest
import reliability_programs as programs

import harness
from harness._errors import StdinRefused

HERE = Path(__file__).parent
SCRIPT = Path(sysconfig.get_path("scripts")) / "race-harness"
LOST = "reliability_programs:lost_update"
ENV = {**os.environ, "RACE_DATABASE": "off",
       "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
for _name in ("CI", "RACE_SCHEDULES", "RACE_SEED", "RACE_STRATEGY"):
    ENV.pop(_name, None)

needs_script = pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")

# Runs the installed console script exactly, after installing an import hook that sends
# this process a real SIGINT when the module named TRIGGER is first imported.
SIGINT_AT_IMPORT = """
import os, runpy, signal, sys
script, trigger = sys.argv[1], sys.argv[2]

class SigintAt:
    sent = False
    def find_spec(self, name, path=None, target=None):
        if name == trigger and not SigintAt.sent:
            SigintAt.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, SigintAt())
sys.argv = [script, *sys.argv[3:]]
runpy.run_path(script, run_name="__main__")
sys.exit("the SIGINT never came: " + trigger)
"""


def race_harness(*argv: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *argv], env=ENV, capture_output=True, text=True, timeout=120,
                          stdin=stdin)


def assert_one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# -- Ctrl-C --------------------------------------------------------------------------------

@needs_script
@pytest.mark.parametrize(("trigger", "argv"), [
    ("eventlet", ["list"]),  # the engine's imports
    ("harness._search.explore", ["list"]),
    ("harness._frontends.cli", ["list"]),
    ("race_harness.fakes.ontap.cli", ["list"]),  # a command plug-in, loaded by the parser
    ("race_harness.scenarios", ["list"]),  # the target registry, loaded by the command itself
    ("reliability_programs", ["explore", LOST, "--schedules", "5"]),  # the target's module
])
def test_ctrl_c_while_starting_is_one_line_and_exit_130(trigger: str, argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", SIGINT_AT_IMPORT, str(SCRIPT), trigger, *argv], env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 130, (done.returncode, done.stderr)  # not -2: it did not die by the signal
    assert done.stderr == "race-harness: interrupted\n"
    assert done.stdout == ""


def test_ctrl_c_while_python_m_harness_starts_is_one_line_too() -> None:
    wrapper = SIGINT_AT_IMPORT.replace("runpy.run_path(script, run_name=\"__main__\")",
                                       "sys.orig_argv = [sys.executable, '-m', 'harness', *sys.argv[1:]]\n"
                                       "runpy.run_module('harness', run_name='__main__', alter_sys=True)")
    done = subprocess.run([sys.executable, "-c", wrapper, "python -m harness", "eventlet", "list"], env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (130, "race-harness: interrupted\n")


def test_importing_harness_elsewhere_leaves_sigint_alone() -> None:
    code = ("import signal, harness; from harness._frontends import cli; "
            "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)")
    done = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr


# -- a reader that leaves ---------------------------------------------------------------------

def _with_closed_stdout(*argv: str) -> tuple[int, str]:
    """Run the command with the read end of its stdout closed before it writes anything."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: every write gets EPIPE
    try:
        done = subprocess.run([str(SCRIPT), *argv], env=ENV, stdout=write_end, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=120)
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


@needs_script
@pytest.mark.parametrize(("argv", "code"), [
    (["list"], 0),
    (["explore", LOST, "--strategy", "dfs", "--schedules", "5"], 1),  # a race found: still 1
    (["explore", "reliability_programs:guarded_update", "--strategy", "dfs", "--schedules", "3"], 0),
    (["--help"], 0),
])
def test_a_closed_stdout_is_no_error(argv: list[str], code: int) -> None:
    returncode, stderr = _with_closed_stdout(*argv)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert returncode == code, stderr


@needs_script
def test_list_piped_to_head_is_quiet() -> None:
    for _ in range(3):  # head may leave before or after the output is written: both are fine
        done = subprocess.run(f"'{SCRIPT}' list | head -1; exit ${{PIPESTATUS[0]}}", shell=True,
                              executable="/bin/bash", env=ENV, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert len(done.stdout.splitlines()) == 1


# -- targets without a readable signature --------------------------------------------------

@needs_script
@pytest.mark.parametrize(("target", "needs"), [("time:sleep", "seconds"), ("builtins:iter", "iterable"),
                                               ("builtins:len", "obj"), ("builtins:next", "iterator")])
def test_a_builtin_that_needs_arguments_is_refused_in_one_line(target: str, needs: str) -> None:
    done = race_harness("explore", target, "--schedules", "3")
    line = assert_one_line(done, 2, f"target '{target}' needs argument(s) {needs}", "wrap it")
    assert line.startswith("race-harness: error:")
    assert done.stdout == ""


@needs_script
@pytest.mark.parametrize("target", ["os:getcwd", "time:time", "builtins:dict"])
def test_a_builtin_without_arguments_is_explored(target: str) -> None:
    done = race_harness("explore", target, "--schedules", "3")
    assert done.returncode == 0, done.stderr
    assert "no decision was ever offered" in done.stdout


def test_the_api_refuses_them_too() -> None:
    import time

    with pytest.raises(harness.UnknownTarget, match="needs argument"):
        harness.explore(time.sleep)  # type: ignore[arg-type]
    assert harness.explore(os.getcwd, schedules=2).failure is None


# -- whole numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["explore", LOST, "--schedules", "\u0661\u0660"],  # Arabic-Indic digits: int() reads 10
    ["explore", LOST, "--seed", "\u0663"],
    ["explore", LOST, "--schedules", "\uff11\uff10"],  # full-width digits
    ["explore", LOST, "--max-steps", "\uff11\uff10"],
    ["explore", LOST, "--schedules", "1_000"],
    ["explore", LOST, "--schedules", " 10"],
    ["replay", LOST, f"rh1:{LOST}:c:{programs.FINGERPRINT}:0x4", "--budget", "\u0665"],
])
def test_only_ascii_digits_are_whole_numbers(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "harness", *argv], env=ENV, capture_output=True, text=True,
                          timeout=120)
    line = assert_one_line(done, 2, "expected a whole number", argv[-2])
    assert repr(argv[-1]) in line


# -- the real standard input -------------------------------------------------------------------

def reads_input() -> None:
    """Asks the terminal: a run would wait on the world."""
    eventlet.spawn(eventlet.sleep, 0)
    input("continue? ")


def reads_stdin() -> None:
    eventlet.sleep(0)
    sys.stdin.readline()


def iterates_stdin() -> None:
    eventlet.sleep(0)
    for _line in sys.stdin:
        break


def reads_stdin_bytes() -> None:
    eventlet.sleep(0)
    sys.stdin.buffer.read(1)


@pytest.mark.parametrize("body", [reads_input, reads_stdin, iterates_stdin, reads_stdin_bytes])
def test_reading_the_real_stdin_in_a_run_is_refused(body: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"yes\n")))  # never read by the run
    outcome = harness.explore(programs.target(body), strategy="random", schedules=3)  # type: ignore[arg-type]
    assert outcome.refused and outcome.failure is not None
    assert isinstance(outcome.failure.error, StdinRefused)
    assert "read the real standard input" in str(outcome.failure.error)
    assert sys.stdin.readline() == "yes\n"  # put back, unread, and readable outside a run


@needs_script
def test_the_cli_refuses_input_with_exit_125() -> None:
    done = race_harness("explore", "test_cli_errors:reads_input", "--schedules", "3", stdin=subprocess.PIPE)
    assert done.returncode == 125, done.stderr
    refusal = [line for line in done.stderr.splitlines() if line.startswith("race-harness: refused")]
    assert len(refusal) == 1 and "StdinRefused" in refusal[0] and "builtins.input" in refusal[0]
    assert "Traceback" not in done.stderr
