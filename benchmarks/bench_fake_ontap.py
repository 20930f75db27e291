"""Per-request cost of the fake ONTAP, next to requests-mock's bare cost.

Two requests, each sent through three transports, measured side by side in
one process (rounds interleave the transports, so drift hits all alike):

* ``cluster``: cluster-scoped ``GET /api//cluster/?fields=version``;
* ``volume``: the tunneled lookup cinder sends for a junction path
  (``X-Dot-SVM-Name: svm_data_001``, its seven query arguments).

Transports: ``static`` is requests-mock's bare ``Adapter`` answering a
pre-rendered body (the floor any requests-mock transport pays); ``adapter``
is the fake's adapter (parse, journal, scope, filter, render); ``loopback``
is the same fake over real HTTP on 127.0.0.1.  Every transport is driven by
the same ``requests.Session.get`` call (``trust_env`` off, basic auth on).

Target: the adapter within 1.5x of the static cost (median of the rounds;
the best round's ratio is reported too, as a check on a loaded machine).  Run:

    python benchmarks/bench_fake_ontap.py [--requests 2000] [--rounds 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import requests_mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from race_harness.fakes.ontap import FakeOntap, LoopbackServer

TARGET_RATIO = 1.5
VOLUME_QUERY = (
    "type=rw&style=flex*&is_svm_root=false&error_state.is_inconsistent=false&state=online"
    "&fields=name,style&nas.path=/nfs_volume_ds02&max_records=10000"
)
REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "cluster": ("/api//cluster/?fields=version&max_records=10000", {}),
    "volume": ("/api//storage/volumes/?" + VOLUME_QUERY, {"X-Dot-SVM-Name": "svm_data_001"}),
}
HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.auth = ("admin", "netapp123")
    return session


def _static_session(fake: FakeOntap) -> requests.Session:
    """requests-mock's bare Adapter with the fake's own answers, pre-rendered."""
    adapter = requests_mock.Adapter(case_sensitive=True)
    for path, headers in REQUESTS.values():
        status, reply_headers, body = fake.handle(
            "GET", fake.base_url + path, {**HEADERS, **headers, "Authorization": _basic()}, None
        )
        adapter.register_uri(
            "GET", fake.base_url + path.split("?")[0], status_code=status, headers=reply_headers, content=body
        )
    session = _session()
    session.mount(fake.base_url + "/", adapter)
    return session


def _basic() -> str:
    import base64

    return "Basic " + base64.b64encode(b"admin:netapp123").decode()


def _timed(send: Callable[[], requests.Response], count: int) -> tuple[float, float]:
    """(wall, process CPU) seconds per request over ``count`` requests, answers checked.

    CPU time counts this process only (the loopback server's thread included),
    so it is the steadier figure when other processes load the machine.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        if send().status_code != 200:
            raise RuntimeError("the benchmark request was refused")
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


Samples = dict[str, dict[str, list[tuple[float, float]]]]


def measure(count: int, rounds: int) -> Samples:
    fake = FakeOntap.default(oracle="collect")
    samples: Samples = {r: {} for r in REQUESTS}
    with LoopbackServer(FakeOntap.default(oracle="collect")) as server:
        bases = {"static": fake.base_url, "adapter": fake.base_url, "loopback": server.url}
        sessions = {
            "static": _static_session(fake),
            "adapter": fake.mount(_session()),
            "loopback": _session(),
        }
        for _ in range(rounds):
            for name, (path, headers) in REQUESTS.items():
                for transport, session in sessions.items():
                    url = bases[transport] + path
                    sent = {**HEADERS, **headers}
                    per = _timed(functools.partial(session.get, url, headers=sent), count)
                    samples[name].setdefault(transport, []).append(per)
            fake.journal.clear()
            server.fake.journal.clear()
    return samples


def summarise(samples: Samples, count: int, rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {"requests_per_round": count, "rounds": rounds, "target_ratio": TARGET_RATIO}
    results["load_average_1m"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    for name, by_transport in samples.items():
        medians = {t: statistics.median(w for w, _ in v) for t, v in by_transport.items()}
        minima = {t: min(w for w, _ in v) for t, v in by_transport.items()}  # least disturbed round
        cpu = {t: statistics.median(c for _, c in v) for t, v in by_transport.items()}
        results[name] = {
            "us_per_request": {t: round(m * 1e6, 1) for t, m in medians.items()},
            "adapter_vs_static": round(medians["adapter"] / medians["static"], 3),
            "loopback_vs_static": round(medians["loopback"] / medians["static"], 3),
            "us_per_request_best_round": {t: round(m * 1e6, 1) for t, m in minima.items()},
            "adapter_vs_static_best_round": round(minima["adapter"] / minima["static"], 3),
            "cpu_us_per_request": {t: round(m * 1e6, 1) for t, m in cpu.items()},
            "adapter_vs_static_cpu": round(cpu["adapter"] / cpu["static"], 3),
            "loopback_vs_static_cpu": round(cpu["loopback"] / cpu["static"], 3),
        }
    results["adapter_within_target"] = all(
        results[name]["adapter_vs_static"] <= TARGET_RATIO for name in samples
    )
    return results


def print_table(results: dict[str, Any]) -> None:
    header = ("request", "static us", "adapter us", "loopback us", "adapter/x", "loop/x")
    print("".join(f"{h:<10}" if i == 0 else f"{h:>12}" for i, h in enumerate(header)))
    for name in REQUESTS:
        row = results[name]
        us = row["us_per_request"]
        print(
            f"{name:<10}{us['static']:>12.1f}{us['adapter']:>12.1f}{us['loopback']:>12.1f}"
            f"{row['adapter_vs_static']:>12.2f}{row['loopback_vs_static']:>12.2f}"
        )
    for name in REQUESTS:
        row = results[name]
        print(
            f"{name:<10}cpu: adapter/static {row['adapter_vs_static_cpu']:.2f}, "
            f"loopback/static {row['loopback_vs_static_cpu']:.2f}"
        )
    verdict = "met" if results["adapter_within_target"] else "NOT met"
    print(f"target adapter <= {TARGET_RATIO}x static: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per transport per round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (the median is kept)")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    results = summarise(measure(args.requests, args.rounds), args.requests, args.rounds)
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print_table(results)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
