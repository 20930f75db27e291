"""Per-request cost of the real cinder REST client, under the harness and without it.

Same fake ONTAP, same client, same requests (``get_flexvol_capacity`` by
junction path, tunneled).  A *run* builds a fresh fake and a fresh cinder
``RestClient`` (its constructor sends 2 requests) and then sends R lookups:

* ``plain``: the run executed directly, sequentially, no harness, no hub;
* ``harness/cooperative`` and ``harness/preemptive``: the same work split
  over two greenthreads (R/2 lookups each) as a harness target, explored
  with the random strategy (one schedule per run).

The fake runs with oracle "collect" and a lookup's error is ignored: under
the preemptive model the upstream client does lose the session race now and
then, and the benchmark measures cost, not verdicts (the request was sent).

Per-request cost is the slope between R=2 and R=``--requests`` runs, so the
fixed cost of building the fake and the client drops out; the per-run cost is
reported too.  Prints a table, then the same numbers as JSON.

    python benchmarks/bench_cinder_client.py [--runs 60] [--requests 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from race_harness.scenarios import cinder_support  # noqa: E402

FLEXVOL = "/nfs_volume_ds02"


def _lookups(fake: Any, client: Any, count: int) -> None:
    """``count`` lookups; an error (the preemptive model does lose the race on
    upstream now and then: a request on a half-built session) is not the
    benchmark's business, the request was sent all the same."""
    with fake.journal.intent(cinder_support.DATA_SVM):
        for _ in range(count):
            try:
                client.get_flexvol_capacity(flexvol_path=FLEXVOL)
            except Exception:  # noqa: BLE001
                continue


def plain_run(requests: int) -> Callable[[], None]:
    def run() -> None:
        from race_harness.fakes.ontap import FakeOntap

        fake = FakeOntap.default(oracle="collect")
        with fake.installed():
            client = cinder_support.make_client(fake, cinder_support.VARIANTS["upstream"])
            _lookups(fake, client, requests)

    return run


def harness_target(requests: int) -> harness.Target:
    def body() -> None:
        import eventlet

        from race_harness.fakes.ontap import FakeOntap

        fake = FakeOntap.default(oracle="collect")
        with fake.installed():
            client = cinder_support.make_client(fake, cinder_support.VARIANTS["upstream"])
            half = requests // 2
            threads = [eventlet.spawn(_lookups, fake, client, n) for n in (half, requests - half)]
            for thread in threads:
                thread.wait()

    return harness.Target(
        name=f"bench_cinder_client:r{requests}", body=body,
        fingerprint=harness.fingerprint_of(sys.modules[__name__]),
        instrument=cinder_support.instrumentation,
    )  # fmt: skip


def time_plain(requests: int, runs: int) -> float:
    run = plain_run(requests)
    run()  # warm-up
    started = time.perf_counter()
    for _ in range(runs):
        run()
    return (time.perf_counter() - started) / runs


def time_harness(requests: int, runs: int, model: str) -> tuple[float, float]:
    """(seconds per run, seconds to set up and tear down one exploration)."""
    target = harness_target(requests)
    harness.explore(target, strategy="random", schedules=1, preemption=model, database="off")  # warm-up
    one = harness.explore(target, strategy="random", schedules=1, preemption=model, seed=1, database="off")
    many = harness.explore(
        target, strategy="random", schedules=runs, preemption=model, seed=2, database="off"
    )
    if many.failure is not None or many.schedules_run != runs:
        raise SystemExit(f"benchmark target failed or stopped early: {many.verdict()}")
    per_run = (many.elapsed - one.elapsed) / (runs - 1)
    return per_run, max(one.elapsed - per_run, 0.0)


def measure(runs: int, requests: int, repeat: int) -> dict[str, Any]:
    """Each figure is the best of ``repeat`` rounds, the modes interleaved within a
    round, so a busy machine slows every mode alike and the minimum filters it."""
    low, high = 2, requests
    best: dict[str, list[float]] = {}
    for _ in range(repeat):
        for key, seconds in _round(runs, low, high).items():
            best[key] = (
                [min(a, b) for a, b in zip(best[key], seconds, strict=True)] if key in best else list(seconds)
            )
    rows = {mode: _row(best[mode], low, high) for mode in best}
    base = rows["plain"]["per_request_s"]
    for row in rows.values():
        row["per_request_vs_plain"] = round(row["per_request_s"] / base, 2)
    return {"cinder": cinder_support.installed_version(), "runs": runs, "repeat": repeat,
            "requests": [low, high], "rows": rows}  # fmt: skip


def _round(runs: int, low: int, high: int) -> dict[str, tuple[float, ...]]:
    out: dict[str, tuple[float, ...]] = {"plain": (time_plain(low, runs), time_plain(high, runs))}
    for model in ("cooperative", "preemptive"):
        h_low, setup = time_harness(low, runs, model)
        h_high, _ = time_harness(high, runs, model)
        out[f"harness/{model}"] = (h_low, h_high, setup)
    return out


def _row(seconds: list[float], r_low: int, r_high: int) -> dict[str, Any]:
    """``seconds``: per run at R=r_low, per run at R=r_high, [exploration setup]."""
    low, high = seconds[0], seconds[1]
    per_request = (high - low) / (r_high - r_low)
    row = {"per_request_s": per_request, "per_run_s": high, "per_run_fixed_s": low - r_low * per_request}
    if len(seconds) > 2:
        row["exploration_setup_s"] = seconds[2]
    return row


def table(result: dict[str, Any]) -> str:
    low, high = result["requests"]
    lines = [
        f"cinder {result['cinder']}: {result['runs']} runs each, best of {result['repeat']}; "
        f"per-request = slope R={low}..{high}",
        f"{'mode':<22}{'per request':>13}{'vs plain':>10}{'run (R=' + str(high) + ')':>13}"
        f"{'fixed/run':>12}{'setup':>10}",
    ]
    for mode, row in result["rows"].items():
        setup = row.get("exploration_setup_s")
        lines.append(
            f"{mode:<22}{row['per_request_s'] * 1e6:>10.0f} us{row['per_request_vs_plain']:>9.2f}x"
            f"{row['per_run_s'] * 1e3:>10.2f} ms{row['per_run_fixed_s'] * 1e3:>9.2f} ms"
            f"{(f'{setup * 1e3:.0f} ms' if setup is not None else '-'):>10}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each figure is kept")
    args = parser.parse_args(argv)
    if args.runs < 2 or args.requests < 4 or args.repeat < 1:
        parser.error("--runs must be >= 2, --requests >= 4 and --repeat >= 1")
    try:
        cinder_support.load()
    except ImportError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 0
    result = measure(args.runs, args.requests, args.repeat)
    print(table(result))
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
