"""``benchmarks/bench_frontrun.py``: the side-by-side run writes every figure, and every race is found.

No timings are asserted (the machine is shared and noisy).  What a reader of
the table relies on is asserted: the JSON has the machine's load and CPU
counts, one cell per program, variant, thread model and strategy, the harness
finds each race with no hint but the program's module, and proves each twin
safe.  The harness side runs on one program with a small budget; frontrun's
side runs only when its venv exists (``BENCH_FRONTRUN_PYTHON``, or the
benchmark's default cache venv) and imports frontrun: it is never installed
by the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from race_harness.benchmarks import bench_frontrun as bench

PROGRAM = "lost_update"
BUDGET = "1000"  # the twin's exhaustive proof takes 61 (green) / 243 (monkey) schedules
CELL_KEYS = {"program", "variant", "tool", "mode", "strategy", "found", "refused", "executions", "wall_s",
             "exhaustive_claim", "completed", "timed_out", "preemptions", "verdict", "message", "locations"}


def _peer() -> Path | None:
    """frontrun's interpreter, if one is there and imports frontrun."""
    named = os.environ.get("BENCH_FRONTRUN_PYTHON")
    python = Path(named) if named else bench.default_venv() / "bin" / "python"
    return python if python.exists() and bench.frontrun_version(python) is not None else None


@pytest.fixture(scope="module")
def harness_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench") / "frontrun.json"
    done = subprocess.run(
        [sys.executable, str(bench.SCRIPT), "--programs", PROGRAM, "--budget", BUDGET, "--seconds", "30",
         "--skip-frontrun", "--quiet", "--json", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def test_the_json_notes_the_machine_and_has_one_cell_per_configuration(
        harness_run: tuple[dict[str, Any], str]) -> None:
    result, _table = harness_run
    machine = result["machine"]
    assert machine["cpu_count"] >= 1 and machine["usable_cpus"] >= 1
    assert len(machine["load_before"]) == 3 and len(machine["load_after"]) == 3
    assert result["programs"] == [PROGRAM] and result["errors"] == []
    strategies = [s for s in bench.HARNESS_STRATEGIES if s in result["harness_registry"]]
    assert {"dfs", "bounded"} <= set(strategies)
    keys = sorted((c["variant"], c["mode"], c["strategy"]) for c in result["cells"])
    assert keys == sorted((v, m, s) for v in bench.VARIANTS for m in bench.MODES for s in strategies)
    for cell in result["cells"]:
        assert set(cell) >= CELL_KEYS, cell
        assert cell["tool"] == "harness" and cell["program"] == PROGRAM
        assert cell["executions"] >= 1 and cell["wall_s"] > 0
    assert result["ratios"] == []  # nothing to divide by without frontrun's side


def test_every_race_is_found_and_every_twin_proved_with_only_the_module_named(
        harness_run: tuple[dict[str, Any], str]) -> None:
    result, _table = harness_run
    for cell in result["cells"]:
        assert not cell["refused"], cell["verdict"]
        if cell["variant"] == "race":
            assert cell["found"] and cell["completed"] and cell["preemptions"] >= 1, cell["verdict"]
        else:
            assert not cell["found"] and cell["exhaustive_claim"], cell["verdict"]


def test_the_table_says_whether_the_harness_dpor_was_measured(
        harness_run: tuple[dict[str, Any], str]) -> None:
    result, table = harness_run
    assert f"| {PROGRAM} race |" in table and f"| {PROGRAM} twin |" in table
    if "dpor" in result["harness_registry"]:
        assert "harness dpor: measured" in table
    else:
        assert "harness dpor: absent" in table and "dpor" not in {c["strategy"] for c in result["cells"]}


def test_a_ratio_needs_both_tools_to_have_done_the_same_job() -> None:
    mine = {"found": True, "completed": True, "executions": 6, "wall_s": 0.2}
    assert bench.ratio(mine, {"found": True, "completed": True, "executions": 2, "wall_s": 0.1}) == \
        {"executions": 3.0, "wall": 2.0}
    assert bench.ratio(mine, {"found": False, "completed": True, "executions": 1, "wall_s": 0.1}) is None
    assert bench.ratio({**mine, "found": False, "completed": False}, mine) is None


def test_frontrun_side_finds_the_race_and_names_its_line() -> None:
    python = _peer()
    if python is None:
        pytest.skip("frontrun is not importable in the peer venv (set BENCH_FRONTRUN_PYTHON, or run "
                    "benchmarks/bench_frontrun.py once to create its cache venv)")
    command = [str(python), "-m", "frontrun.cli", str(python), str(bench.SCRIPT), "--side", "frontrun",
               "--programs", PROGRAM, "--budget", "200", "--seconds", "30", "--random-attempts", "20"]
    payload = bench.run_side(command, timeout=300)
    assert "error" not in payload, payload.get("error")
    cells = {(c["variant"], c["strategy"]): c for c in payload["cells"]}
    assert set(cells) == {(v, s) for v in bench.VARIANTS for s in bench.FRONTRUN_STRATEGIES}
    assert cells["race", "dpor"]["found"] and cells["race", "dpor"]["locations"] == ["lost_update.py:23"]
    assert not cells["twin", "dpor"]["found"] and cells["twin", "dpor"]["completed"]
