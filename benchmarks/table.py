"""The benchmark's JSON as Markdown tables (printed, and pasted into RESULTS.md).

Rendering only: every figure is read from the results dict, none computed
here except the target verdicts, so the table and the JSON cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = list[object]


def markdown_table(header: Sequence[object], rows: list[Row]) -> list[str]:
    def cell(value: object) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def overhead(section: dict[str, Any]) -> list[str]:
    rows: list[Row] = []
    for name, models in section["targets"].items():
        for model, c in models.items():
            if "ratio" not in c:
                rows.append([name, model, c.get("note"), "", "", "", "", "", "", ""])
                continue
            g = c["profile_ms"]["harness_grouped"]
            rows.append([name, model, c["harness_ms_per_schedule"], c["sequential_ms_per_run"],
                         f"**{c['ratio']}x**",
                         f"{c['requests_per_schedule']}/{c['requests_per_sequential_run']}",
                         g["scheduling_harness_and_eventlet"], g["fake_and_requests_mock"],
                         g["client_code_and_requests"], c.get("exploration_setup_ms")])
    header = ["target", "model", "harness ms/schedule", "sequential ms/run", "ratio",
              "requests (h/s)", "profile: scheduling ms", "fake+requests-mock ms", "client+requests ms",
              "set-up ms per exploration"]
    return ["## Overhead per schedule (target <= 1.5x)", "", *markdown_table(header, rows), ""]


def throughput(section: dict[str, Any], sharding: dict[str, Any]) -> list[str]:
    strategies = section["strategies"]
    rows: list[Row] = []
    for name, models in section["targets"].items():
        for model, by in models.items():
            rows.append([name, model, *[_rate(by[s]) for s in strategies]])
    lines = ["## Schedules per second", "", *markdown_table(["target", "model", *strategies], rows), ""]
    lines += [f"Skipped: {s['strategy']} ({s['note']})" for s in section.get("skipped", [])]
    if "speedup" in sharding:
        lines.append(
            f"Sharding ({sharding['mechanism']}, {sharding['schedules']} schedules of {sharding['target']}, "
            f"{sharding['cpu_count']} CPUs, load {sharding['load_average']}): "
            f"`-n 0` {sharding['wall_s_n0']} s, "
            f"`-n 2` {sharding['wall_s_n2']} s: **{sharding['speedup']}x** (target >= 1.7x); "
            f"tests only (start-up excluded) {sharding['speedup_excluding_startup']}x; two CPU-bound "
            f"processes got {sharding['parallel_capacity']} cores' worth here at the time "
            f"(speedup per available core {sharding['speedup_per_available_core']}).")
    else:
        lines.append(f"Sharding: {sharding.get('note')}")
    return [*lines, ""]


def _rate(cell: dict[str, Any]) -> str:
    mark = " (exhausted)" if cell.get("exhausted") else ""
    return f"{cell['schedules_per_s']}{mark}"


def first_failure(section: dict[str, Any]) -> list[str]:
    rows: list[Row] = []
    for name, hunt in section["naive"].items():
        found = "yes" if hunt["found"] else hunt.get("verdict", "no")
        tally = hunt["tally"]
        rows.append([f"naive {name}", found, hunt["requests"], hunt["runs"], hunt["wall_s"],
                     hunt["reproduction_rate"],
                     f"{tally['failures']}/{tally['runs']} runs, "
                     f"{tally['expected_requests_to_failure']} req, {tally['expected_wall_s_to_failure']} s"])
    for case, ours in section["ours"].items():
        for strategy, o in ours["strategies"].items():
            rows.append([f"ours {case}: {ours['target']} {ours['model']}, {strategy}",
                         "yes" if o["found"] else "no", o["requests"], o["runs"], o["wall_s"],
                         o["reproduction_rate"],
                         "deterministic" if strategy in ("dfs", "bounded") else "seed 0"])
    header = ["hunt", "found", "requests", "runs", "wall s", "reproduction rate",
              "all runs: failures, mean requests and s per failure"]
    lines = ["## Time to first failure (targets: >= 100x fewer requests and less wall time)", "",
             *markdown_table(header, rows), ""]
    for case, ratios in section["ratios"].items():
        parts = [_ratio_text(s, r) for s, r in ratios.items()
                 if isinstance(r, dict) and "requests_ratio" in r]
        lines.append(f"- {case} vs naive {ratios['against']}: " + "; ".join(parts))
    return [*lines, "", *[f"Note: {n}" for n in section.get("notes", [])], ""]


def _ratio_text(strategy: str, r: dict[str, Any]) -> str:
    text = f"{strategy} {r['requests_ratio']}x requests / {r['wall_ratio']}x wall"
    if r.get("lower_bound"):
        return text + " (lower bound: naive hit its cap)"
    if r.get("expected_requests_ratio") is not None:
        text += f" (vs the naive mean: {r['expected_requests_ratio']}x / {r['expected_wall_ratio']}x)"
    return text


def proof(section: dict[str, Any]) -> list[str]:
    rows: list[Row] = []
    for cell, ways in section["cells"].items():
        row: Row = [cell]
        for way in ("dfs", "bounded_no_reduction", "bounded_sleep_sets"):
            w = ways.get(way, {})
            row.append(f"{w['wall_s']} s / {w['schedules']}" + ("" if w["exhausted"] else " NOT exhaustive")
                       if "wall_s" in w else w.get("note"))
        rows.append([*row, ways.get("reduction_speedup")])
    header = ["cell", "dfs (s / schedules)", "bounded, no reduction", "bounded, sleep sets",
              "reduction speedup"]
    return ["## Exhaustive proofs", "", *markdown_table(header, rows), ""]


def scale(section: dict[str, Any]) -> list[str]:
    rows: list[Row] = [[g["size"], g.get("schedules_per_s"), g.get("ms_per_schedule"),
                        g.get("mean_decisions"), g.get("peak_rss_mb"), g.get("note", "")]
                       for g in section["growth"]]
    header = ["concurrent migrations", "schedules/s", "ms/schedule", "decisions/schedule", "peak RSS MB", ""]
    rss = section["rss"]
    return ["## Scale", "", *markdown_table(header, rows), "",
            f"RSS across {rss['schedules']} schedules of {rss['target']} "
            f"({rss['schedules_per_s']} schedules/s): "
            f"first {rss['rss_mb_first']} MB, last {rss['rss_mb_last']} MB, max {rss['rss_mb_max']} MB "
            f"({rss['growth_kb_per_1000_schedules']} KB per 1,000 schedules).", ""]


def replay(section: dict[str, Any]) -> list[str]:
    rows: list[Row] = []
    for cell, c in section["cells"].items():
        s = c.get("shrink", {})
        rows.append([cell, c.get("replay_ms", c.get("note")), s.get("wall_s", s.get("note")),
                     _arrow(s.get("preemptions")), _arrow(s.get("choices")), s.get("replays")])
    header = ["failing cell", "replay ms", "shrink s", "preemptions", "choices", "shrink replays"]
    return ["## Replay and shrink", "", *markdown_table(header, rows), ""]


def _arrow(pair: list[int] | None) -> str | None:
    return None if not pair else f"{pair[0]} -> {pair[1]}"


def render(results: dict[str, Any]) -> str:
    m, v = results["machine"], results["versions"]
    lines = [
        f"Machine: {m['cpu_count']} CPUs, {m['platform']}, Python {m['python']} "
        f"(load average at start {m['load_average_at_start']}); "
        + ", ".join(f"{k} {val}" for k, val in v.items() if k != "python"),
        f"Command: `{results['command']}` ({results['elapsed_s']} s)", "",
    ]
    lines += overhead(results["overhead"])
    lines += throughput(results["schedules_per_s"], results["sharding"])
    lines += first_failure(results["first_failure"])
    lines += proof(results["proof"])
    lines += scale(results["scale"])
    lines += replay(results["replay"])
    return "\n".join(lines)
