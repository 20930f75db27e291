"""``git bisect run race-harness replay ...`` names the commit that introduced a race.

A throwaway history in tmp_path: two good commits, the commit that opens a
``sleep(0)`` window between storing a shared session and reading it back,
then later commits, the last of which adds a third worker.  The schedule is
recorded at HEAD, so on every older commit it is stale and asks for a
greenthread that does not exist (it diverges at decision 0).  A plain replay
would answer 125 (skip) everywhere and bisect could name nothing; the
replay's fallback explores from the schedule's prefix instead and answers
bad (1) where the race is, and good (0) where a full DFS proves there is none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GOOD = '''"""A tiny client that greenthreads share."""
import eventlet

WARM_UP = 2  # the second worker starts after this many switches


class Client:
    def __init__(self):
        self.session = None

    def send(self, svm):
        self.session = {"svm": svm}
        session = self.session
        eventlet.sleep(0)  # the network
        return session["svm"]


def race():
    client = Client()
    results = {}

    def worker(svm, warm_up):
        for _ in range(warm_up):
            eventlet.sleep(0)
        results[svm] = client.send(svm)

    threads = [eventlet.spawn(worker, "svm-a", 0), eventlet.spawn(worker, "svm-b", WARM_UP)]
    for thread in threads:
        thread.wait()
    assert all(svm == sent for svm, sent in results.items()), f"wrong SVM: {results}"
'''

HISTORY = [
    ("good: the shared client", lambda text: text),
    ("good: say why the client is shared", lambda text: text.replace(
        '"""A tiny client that greenthreads share."""',
        '"""A tiny client that greenthreads share (one connection pool per process)."""')),
    ("bad: handshake before reading the session back", lambda text: text.replace(
        "        session = self.session\n",
        "        eventlet.sleep(0)  # the handshake: another send may replace the session meanwhile\n"
        "        session = self.session\n")),
    ("later: describe()", lambda text: text + "\n\ndef describe():\n    return 'shared client'\n"),
    ("later: slower warm-up", lambda text: text.replace("WARM_UP = 2 ", "WARM_UP = 3 ")),
    ("later: a third SVM", lambda text: text.replace(
        'threads = [eventlet.spawn(worker, "svm-a", 0), eventlet.spawn(worker, "svm-b", WARM_UP)]',
        'threads = [eventlet.spawn(worker, svm, warm_up)\n'
        '               for svm, warm_up in (("svm-a", 0), ("svm-b", WARM_UP), ("svm-c", WARM_UP))]')),
]

# The CLI without the scenario plug-ins: this history registers no targets, and
# loading the installed ones costs seconds per bisect step.
FAST_CLI = '''
import sys

from harness import _targets as targets

targets.load_registry = targets.Registry
from harness._frontends.cli import main

sys.exit(main(sys.argv[1:]))
'''


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, list[str]]:
    """The repository and its commits, oldest first."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "bisect@example.invalid")
    git(repo, "config", "user.name", "bisect test")
    text = GOOD
    commits = []
    for message, change in HISTORY:
        text = change(text)
        assert not commits or text != (repo / "shared_session.py").read_text(), f"{message!r} is empty"
        (repo / "shared_session.py").write_text(text)
        git(repo, "add", "shared_session.py")
        git(repo, "commit", "-q", "-m", message)
        commits.append(git(repo, "rev-parse", "HEAD").strip())
    return repo, commits


def cli_command(kind: str, tmp_path: Path) -> list[str]:
    if kind == "race-harness":
        script = shutil.which("race-harness")
        return [script] if script else [sys.executable, "-m", "harness"]
    wrapper = tmp_path / "race_harness_cli.py"
    wrapper.write_text(FAST_CLI)
    return [sys.executable, str(wrapper)]


def environment(repo: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(repo), RACE_DATABASE="off")
    return {k: v for k, v in env.items() if not k.startswith("RACE_") or k == "RACE_DATABASE"}


@pytest.mark.parametrize("kind", ["fast-cli", pytest.param("race-harness", marks=pytest.mark.slow)])
def test_git_bisect_run_replay_names_the_commit_that_opened_the_window(
    history: tuple[Path, list[str]], tmp_path: Path, kind: str,
) -> None:
    repo, commits = history
    cli = cli_command(kind, tmp_path)
    env = environment(repo)
    found = subprocess.run([*cli, "explore", "shared_session:race", "--strategy", "random", "--seed", "0",
                            "--json"], cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert found.returncode == 1, found.stderr
    schedule = json.loads(found.stdout)["schedule"]
    bad = commits[2]

    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    git(repo, "checkout", "-q", bad)
    plain = subprocess.run([*cli, "replay", "shared_session:race", schedule, "--no-fallback"], cwd=repo,
                           env=env, capture_output=True, text=True, check=False)
    assert plain.returncode == 125, "the stale schedule diverges: a plain replay can only skip"
    assert "diverged at decision 0" in plain.stderr
    git(repo, "checkout", "-q", branch)

    git(repo, "bisect", "start", commits[-1], commits[0])
    run = subprocess.run(["git", "-C", str(repo), "bisect", "run", *cli, "replay", "shared_session:race",
                          schedule], cwd=repo, env=env, capture_output=True, text=True, check=False)
    git(repo, "bisect", "reset")
    assert f"{bad} is the first bad commit" in run.stdout, run.stdout + run.stderr
    assert "bad: handshake before reading the session back" in run.stdout


# A commit the harness refuses: it starts a native thread in the run, which
# the scheduler cannot control.  Its replay says nothing about the race, so
# bisect must skip it (125), not call it bad (1).
ESCAPE = "    threading.Thread(target=lambda: None).start()  # escapes the scheduler\n"
REFUSING_HISTORY = [
    ("good: the shared client", lambda text: text),
    ("refused: warm the pool up on a native thread", lambda text: text.replace(
        "import eventlet\n", "import threading\n\nimport eventlet\n").replace(
        "    client = Client()\n", "    client = Client()\n" + ESCAPE)),
    ("bad: handshake on green I/O again", lambda text: HISTORY[2][1](text.replace(ESCAPE, ""))),
]


def test_git_bisect_run_skips_a_commit_whose_run_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "bisect@example.invalid")
    git(repo, "config", "user.name", "bisect test")
    text, commits = GOOD, []
    for message, change in REFUSING_HISTORY:
        text = change(text)
        (repo / "shared_session.py").write_text(text)
        git(repo, "add", "shared_session.py")
        git(repo, "commit", "-q", "-m", message)
        commits.append(git(repo, "rev-parse", "HEAD").strip())
    good, refusing, bad = commits
    cli, env = cli_command("fast-cli", tmp_path), environment(repo)
    found = subprocess.run([*cli, "explore", "shared_session:race", "--strategy", "dfs", "--json"], cwd=repo,
                           env=env, capture_output=True, text=True, check=False)
    assert found.returncode == 1, found.stdout + found.stderr
    schedule = json.loads(found.stdout)["schedule"]

    git(repo, "checkout", "-q", refusing)
    explored = subprocess.run([*cli, "explore", "shared_session:race"], cwd=repo, env=env,
                              capture_output=True, text=True, check=False)
    assert explored.returncode == 125, explored.stdout + explored.stderr
    assert explored.stdout.startswith("shared_session:race: refused, no verdict: UncontrolledConcurrency")
    git(repo, "checkout", "-q", bad)

    git(repo, "bisect", "start", bad, good)
    run = subprocess.run(["git", "-C", str(repo), "bisect", "run", *cli, "replay", "shared_session:race",
                          schedule], cwd=repo, env=env, capture_output=True, text=True, check=False)
    git(repo, "bisect", "reset")
    output = run.stdout + run.stderr
    assert f"{refusing} is the first bad commit" not in output, output
    assert "skip: refused, no verdict: UncontrolledConcurrency in gt0: a native thread was started" in output
    assert "exit 125 (git bisect skips this commit)" in output
    assert "only 'skip'ped commits left to test" in output, output
    suspects = output.split("could be any of:", 1)[1].split()
    assert refusing in suspects and bad in suspects and good not in suspects
