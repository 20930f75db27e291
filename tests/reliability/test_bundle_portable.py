"""The same schedule gives the same proof bundle on every machine: no absolute paths in it.

Two checkouts of one project in different places stand for two machines:
the bundle of one failing schedule, written in each, must be the same bytes,
with the project's files relative to its root and the standard library and
site-packages named as such.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from harness._report.portable import SITE_PACKAGES, STDLIB, PathRoots, project_root

SCRIPT = Path(sysconfig.get_path("scripts")) / "race-harness"
TARGET = "racy_module:lost_update"
MODULE = textwrap.dedent('''
    import json

    import eventlet


    def lost_update():
        counter = {"value": 0}

        def increment():
            value = counter["value"]
            eventlet.sleep(0)
            counter["value"] = value + 1

        threads = [eventlet.spawn(increment) for _ in range(2)]
        for thread in threads:
            thread.wait()
        if counter["value"] != 2:
            json.loads("{lost update")  # fails inside the standard library: its frames are in the report
''')


def _checkout(root: Path) -> Path:
    """A project with a git top-level, the target in a subdirectory run from elsewhere in it."""
    (root / ".git").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "racy_module.py").write_text(MODULE)
    (root / "work").mkdir()
    return root


def _command(checkout: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RACE_DATABASE": "off", "PYTHONPATH": str(checkout / "src")}
    return subprocess.run([str(SCRIPT), *argv], cwd=checkout / "work", env=env, capture_output=True,
                          text=True, timeout=120)


def _bundle(checkout: Path, schedule: str) -> dict[str, bytes]:
    done = _command(checkout, "report", TARGET, schedule, "--out", str(checkout / "work" / "bundle"))
    assert done.returncode == 0, done.stderr
    return {path.name: path.read_bytes() for path in sorted((checkout / "work" / "bundle").iterdir())}


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")
def test_two_checkouts_write_the_same_bundle(tmp_path: Path) -> None:
    first = _checkout(tmp_path / "alice" / "src" / "project")
    second = _checkout(tmp_path / "ci" / "builds" / "1234" / "checkout")
    found = _command(first, "explore", TARGET, "--strategy", "dfs", "--json")
    schedule = json.loads(found.stdout)["schedule"]
    assert schedule, found.stdout
    one, other = _bundle(first, schedule), _bundle(second, schedule)
    assert one.keys() == other.keys() and len(one) >= 4
    for name in one:
        assert one[name] == other[name], f"{name} differs between the two checkouts"
    text = b"".join(one.values()).decode()
    for machine_path in (str(tmp_path), sys.prefix, sys.base_prefix, os.path.expanduser("~")):
        assert machine_path not in text
    assert 'File "src/racy_module.py"' in text  # relative to the project root
    assert f'File "{STDLIB}json/' in text


def test_the_most_specific_root_wins(tmp_path: Path) -> None:
    project = tmp_path / "project"
    venv = project / ".venv" / "lib" / "site-packages"
    roots = PathRoots([(str(venv), SITE_PACKAGES), (str(project), ""), (str(tmp_path), "~/")])
    text = (f'File "{project}/app/models.py", line 3\n  File "{venv}/eventlet/hub.py", line 9\n'
            f"{tmp_path}/notes.txt and https://example.com{project}/not-a-file")
    assert roots.relative(text) == ('File "app/models.py", line 3\n  File "<site-packages>/eventlet/hub.py", '
                                    'line 9\n~/notes.txt and https://example.com' + f"{project}/not-a-file")


def test_the_project_root_is_the_git_top_level(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert project_root(str(tmp_path / "a" / "b")) == str(tmp_path)
