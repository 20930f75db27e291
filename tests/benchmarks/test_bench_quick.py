"""``race-harness bench``: the quick run writes every figure, and the baselines are fair.

Timings are never asserted (the machine is shared and noisy); what is
asserted is what a reader of the results relies on: every section is there
with sane types, the sequential baseline sends the same requests as a
harness run, the naive green hunt's detector blames no innocent greenthread,
and the harness's replays always reproduce.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from harness import explore
from race_harness.benchmarks import naive, throughput
from race_harness.benchmarks.common import QUICK, RequestCounter, registry_targets
from race_harness.benchmarks.overhead import category
from race_harness.benchmarks.runner import REQUIRED_KEYS
from race_harness.benchmarks.sequential import baseline_for

ROOT = Path(__file__).resolve().parents[2]


def _quick_run(out: Path) -> tuple[dict[str, Any], str]:
    """``race-harness bench --quick`` through the harness CLI (so the plug-in is loaded too)."""
    done = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "--quick", "--quiet", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


@pytest.mark.slow
def test_quick_run_writes_every_section_and_its_replays_reproduce(tmp_path: Path) -> None:
    """One test, so that ``pytest -n`` runs the quick benchmark once, not once per worker."""
    results, table = _quick_run(tmp_path / "bench.json")
    _check_types(results, table)
    _check_behaviour(results)


def _check_types(results: dict[str, Any], table: str) -> None:
    assert set(REQUIRED_KEYS) <= set(results)
    assert isinstance(results["machine"]["cpu_count"], int)
    assert isinstance(results["machine"]["platform"], str)
    for name in ("python", "eventlet", "greenlet", "requests-mock", "race-harness"):
        assert isinstance(results["versions"][name], str), name
    for models in results["overhead"]["targets"].values():
        for cell in models.values():
            assert _number(cell["ratio"]) and cell["ratio"] > 0
            assert _number(cell["harness_ms_per_schedule"]) and _number(cell["sequential_ms_per_run"])
            assert set(cell["profile_ms"]["harness"]) >= {"fakes", "scenarios", "harness", "requests"}
    for models in results["schedules_per_s"]["targets"].values():
        for by_strategy in models.values():
            assert all(_number(c["schedules_per_s"]) for c in by_strategy.values())
    for hunt in results["first_failure"]["naive"].values():
        assert isinstance(hunt["found"], bool) and _number(hunt["requests"]) and _number(hunt["wall_s"])
    assert results["scale"]["rss"]["schedules"] == QUICK.rss_schedules
    assert [g["size"] for g in results["scale"]["growth"]] == list(QUICK.scale_sizes)
    assert all(_number(g["peak_rss_mb"]) for g in results["scale"]["growth"])
    assert "## Overhead per schedule" in table and "## Time to first failure" in table


def _check_behaviour(results: dict[str, Any]) -> None:
    """Not timings: what must hold whatever the load (replays reproduce, the proof exhausts)."""
    for case in results["first_failure"]["ours"].values():
        for strategy, ours in case["strategies"].items():
            assert ours["found"], strategy
            assert ours["reproduction_rate"] == 1.0, strategy
    headline = results["proof"]["headline"]
    assert headline["dfs"]["exhausted"] and headline["dfs"]["passed"]
    assert results["first_failure"]["naive"]["green_session"]["found"] is False  # eventlet: unreachable
    for cell in results["replay"]["cells"].values():
        assert _number(cell["replay_ms"])


TWINS = ["session_overwrite:old", "ems_vserver:patched", "migration_cascade:patched"]


@pytest.mark.parametrize("name", TWINS)
def test_sequential_twin_sends_as_many_requests_as_a_harness_run(name: str) -> None:
    """The overhead ratio compares like with like: same requests, same fake, same adapter."""
    baseline = baseline_for(name)
    assert baseline is not None
    counter = RequestCounter()
    with counter.counting():
        explore(registry_targets([name])[0], schedules=1, database="off", stop_on_failure=False)
    assert counter.count == len(baseline().journal)


def test_green_hunt_blames_no_innocent_greenthread() -> None:
    """Outside a harness run the journal keys intents by OS thread; the hunt keys them by greenlet."""
    outcomes: list[naive.RunOutcome] = []

    def hunt() -> None:
        with naive.yielding_fake(), naive.per_greenlet_intents():
            outcomes.extend(naive.green_session_run(5) for _ in range(3))

    worker = threading.Thread(target=hunt)
    worker.start()
    worker.join()
    assert [o.first_wrong for o in outcomes] == [None, None, None]
    assert all(o.requests == 11 for o in outcomes)  # the constructor's GET + 2 x 5 calls


def test_profile_categories_follow_the_file_a_function_lives_in() -> None:
    root = str(ROOT)
    assert category(f"{root}/harness/_engine/run.py", "loop") == "harness"
    assert category(f"{root}/fakes/ontap/fake.py", "handle") == "fakes"
    assert category("/x/site-packages/requests_mock/adapter.py", "send") == "fakes"
    assert category("/x/site-packages/urllib3/util/url.py", "parse_url") == "requests"
    assert category("~", "<method 'switch' of 'greenlet.greenlet' objects>") == "eventlet"
    assert category("/usr/lib/python3.11/json/encoder.py", "encode") == "other"


@pytest.mark.slow
def test_sharding_measurement_runs_pytest_with_and_without_xdist() -> None:
    pytest.importorskip("xdist")
    budget = QUICK.__class__(**{**QUICK.as_dict(), "shard_schedules": 8})
    result = throughput.measure_sharding(budget, lambda _message: None)
    assert "speedup" in result, result
    assert _number(result["wall_s_n0"]) and _number(result["wall_s_n2"])
    assert result["pytest_summary"]["n0"].startswith("4 passed")
