"""A module first imported inside a run gets the real clocks back when the exploration ends.

During an exploration ``time.monotonic`` and friends are virtual twins, so a
module imported then binds the twins (``from time import monotonic``, a class
attribute, a default argument, a closure).  No undo record knew of them: the
module kept virtual clocks for the rest of the process (and a class attribute
twin even broke ``self.clock()``, the twin being a Python function).
"""

from __future__ import annotations

import datetime
import importlib
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import eventlet
import pytest
import reliability_programs as programs

import harness

SOURCE = textwrap.dedent('''
    import time
    from datetime import date, datetime
    from time import monotonic, time as wall

    stamp = time.perf_counter


    class Clocked:
        clock = time.time
        still = staticmethod(time.monotonic)

        def elapsed(self, now=time.monotonic):
            return now()


    def keyword(*, now=time.time_ns):
        return now()


    def _closure():
        clock = time.monotonic

        def read():
            return clock()

        return read


    read = _closure()
''')


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("imported_in_run_")]:
        del sys.modules[name]


def _importing(name: str, seen: dict[str, ModuleType]) -> harness.Target:
    def body() -> None:
        seen[name] = importlib.import_module(name)  # first imported here, inside the run
        eventlet.sleep(0)

    return programs.target(body, name="reliability_programs:imports_a_module")


def test_a_module_imported_inside_a_run_keeps_no_twin(module_dir: Path) -> None:
    (module_dir / "imported_in_run_a.py").write_text(SOURCE)
    seen: dict[str, ModuleType] = {}
    harness.explore(_importing("imported_in_run_a", seen), strategy="random", schedules=2)
    module = seen["imported_in_run_a"]
    assert module.monotonic is time.monotonic and module.wall is time.time
    assert module.datetime is datetime.datetime and module.date is datetime.date
    assert module.stamp is time.perf_counter
    assert vars(module.Clocked)["clock"] is time.time
    assert vars(module.Clocked)["still"].__func__ is time.monotonic
    assert module.Clocked.elapsed.__defaults__ == (time.monotonic,)
    assert module.keyword.__kwdefaults__ == {"now": time.time_ns}
    assert module.read.__closure__[0].cell_contents is time.monotonic
    assert abs(module.Clocked().clock() - time.time()) < 60  # works, and is the wall clock again
    assert module.Clocked().elapsed() < 1e9  # the real monotonic clock, not 2026-01-01


def test_a_module_imported_inside_a_run_sees_virtual_time_in_later_explorations(module_dir: Path) -> None:
    """Given back after the first exploration, the clock is rebound by the next one as usual."""
    (module_dir / "imported_in_run_b.py").write_text(SOURCE)
    seen: dict[str, ModuleType] = {}
    harness.explore(_importing("imported_in_run_b", seen), strategy="random", schedules=1)
    module = seen["imported_in_run_b"]
    readings: list[float] = []

    def reads_the_modules_clock() -> None:
        readings.append(module.monotonic())
        eventlet.sleep(10)
        readings.append(module.monotonic())

    harness.explore(programs.target(reads_the_modules_clock), strategy="random", schedules=1)
    assert readings[1] - readings[0] == 10.0  # virtual: the sleep took no real time
    assert module.monotonic is time.monotonic
