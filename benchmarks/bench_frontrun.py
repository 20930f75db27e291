"""The harness side by side with frontrun 0.7.0 on the same small threaded programs, in one run.

Why: issues 16 and 17 judge the automatic preemption points (``preempt_modules``)
and the exhaustive strategies against a Python peer that explores plain thread
code with no hints.  A comparison is only worth something if both tools run the
same code, on the same machine, at the same time: the programs
(``benchmarks/frontrun_programs/``) are written once as plain module code
(``setup()``, ``WORKERS``, ``LOCKED_WORKERS``, ``invariant(state)``, locks from
``threading.Lock()``), and each program is measured by every tool before the
next one starts, so a busy machine skews both alike.

* **harness**: ``harness.explore(body, strategy=S, preemption="preemptive",
  preempt_modules=[<program module>])``, no other hint.  The body calls
  ``setup()``, starts one thread per worker, joins them and asserts the
  invariant.  Two thread models, each in its own process (monkey-patching is
  process-wide and cannot be undone): ``green`` starts ``eventlet.spawn``
  greenthreads and rebinds the program's ``threading`` to
  ``eventlet.green.threading`` (what ``eventlet.patcher.import_patched`` does),
  so its ``Lock`` is eventlet's green lock; ``monkey`` calls
  ``eventlet.monkey_patch()`` first and starts ``threading.Thread``, the program
  untouched.  Strategies ``dfs``, ``bounded`` (no bound, sleep sets) and ``dpor``
  when ``harness.strategies.registry.names()`` has it (else the output says so).
* **frontrun**: ``frontrun.explore(setup=, workers=, invariant=)`` with plain
  ``threading``, in its own venv, under its CLI (``python -m frontrun.cli
  python ...``, as its docs require), strategy ``dpor`` with
  ``preemption_bound=None`` (full DPOR, no bound: the mode that can prove) and
  ``random`` (the bytecode sampler), ``reproduce_on_failure=0`` (no replays
  after a find: the harness does not replay either).

A race cell reports whether the race was found, the executions and wall time to
the first failure; a twin cell the executions and wall time to finish the
search, and whether the tool claims it was exhaustive.  Every exploration is
bounded by ``--budget`` executions and ``--seconds`` of wall time.

    python benchmarks/bench_frontrun.py --json frontrun.json
    python benchmarks/bench_frontrun.py --frontrun-python /tmp/frontrun-venv/bin/python
    python benchmarks/bench_frontrun.py --programs lost_update --budget 500 --skip-frontrun

Without ``--frontrun-python`` the peer venv is created on first use in
``~/.cache/race-harness/frontrun-venv`` (``python -m venv``, then ``pip install
frontrun==0.7.0``); frontrun is never installed into this interpreter.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = Path(__file__).resolve()
PROGRAMS = ("lost_update", "check_then_act", "session_overwrite", "narrow_window")
PACKAGE = "frontrun_programs"  # benchmarks/frontrun_programs/, imported from this script's folder
FRONTRUN_VERSION = "0.7.0"
HARNESS_STRATEGIES = ("dfs", "bounded", "dpor")
FRONTRUN_STRATEGIES = ("dpor", "random")
MODES = ("green", "monkey")
VARIANTS = ("race", "twin")
MARKER = "BENCH_FRONTRUN_JSON "  # prefixes the one line of JSON a side process prints
PIP_TIMEOUT = 900.0
WARM_UP_ROUNDS = 2  # one-execution explorations before the cells; the last one's wall is the fixed cost


class OutOfTime(Exception):
    """Raised from the harness's progress callback when a cell's wall-time budget is spent."""


# -- shared by both sides (stdlib only: this module also runs in frontrun's venv) -----------------

def load_program(name: str) -> ModuleType:
    """Import ``frontrun_programs.<name>``; the script's folder is on ``sys.path`` in every side."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(f"{PACKAGE}.{name}")


def workers_of(program: ModuleType, variant: str) -> tuple[Callable[[Any], None], ...]:
    return tuple(program.WORKERS if variant == "race" else program.LOCKED_WORKERS)


def locations(text: str, program: ModuleType) -> list[str]:
    """The program's own source lines a failure report points at (``name.py:LINE``), in order."""
    stem = Path(program.__file__ or "").stem
    return list(dict.fromkeys(re.findall(rf"\b{re.escape(stem)}\.py:\d+", text)))


def headline(text: str, line: int = 0) -> str:
    """Non-empty line ``line`` of a report (or its last one), for the table."""
    lines = [part.strip() for part in text.splitlines() if part.strip()]
    return lines[min(line, len(lines) - 1)][:300] if lines else ""


def emit(payload: dict[str, Any]) -> None:
    """The side's whole result, one marked line on stdout (tools may print their own lines)."""
    sys.stdout.write(MARKER + json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()


# -- the harness side (this interpreter) ----------------------------------------------------------

def green_start(workers: Sequence[Callable[[Any], None]], state: Any) -> None:
    import eventlet

    threads = [eventlet.spawn(worker, state) for worker in workers]
    for thread in threads:
        thread.wait()


def monkey_start(workers: Sequence[Callable[[Any], None]], state: Any) -> None:
    import threading  # green after eventlet.monkey_patch()

    threads = [threading.Thread(target=worker, args=(state,), name=worker.__name__) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def make_body(program: ModuleType, workers: Sequence[Callable[[Any], None]],
              start: Callable[[Sequence[Callable[[Any], None]], Any], None]) -> Callable[[], None]:
    """The harness target: what frontrun's explore does around setup/workers/invariant, as a body."""

    def body() -> None:
        state = program.setup()
        start(workers, state)
        if not program.invariant(state):
            shown = {key: value for key, value in vars(state).items() if key != "lock"}
            raise AssertionError(f"{program.__name__}: invariant broken, state {shown}")

    return body


def explore_bounded(body: Callable[[], None], strategy: str, module: str, budget: int,
                    seconds: float) -> tuple[Any, float, bool]:
    """One exploration, stopped by ``budget`` schedules or ``seconds`` of wall time, whichever first.

    Settings are explicit (``Settings()``, no failure database, no determinism
    replays) so RACE_* variables or a stored schedule cannot change the count."""
    import harness

    seen: dict[str, Any] = {}
    began = time.perf_counter()

    def progress(outcome: Any) -> None:
        seen["outcome"] = outcome
        if time.perf_counter() - began > seconds:
            raise OutOfTime

    try:
        outcome = harness.explore(body, strategy=strategy, schedules=budget, preemption="preemptive",
                                  preempt_modules=[module], database="off", verify_determinism=False,
                                  settings=harness.Settings(), progress=progress)
        timed_out = False
    except OutOfTime:
        outcome, timed_out = seen["outcome"], True
    return outcome, time.perf_counter() - began, timed_out


def harness_cell(program: ModuleType, variant: str, mode: str, strategy: str, budget: int,
                 seconds: float) -> dict[str, Any]:
    start = green_start if mode == "green" else monkey_start
    body = make_body(program, workers_of(program, variant), start)
    outcome, wall, timed_out = explore_bounded(body, strategy, program.__name__, budget, seconds)
    failure = outcome.failure
    found = failure is not None and not outcome.refused
    text = failure.describe() if failure is not None else ""
    return {
        "program": program.__name__.rsplit(".", 1)[-1], "variant": variant, "tool": "harness", "mode": mode,
        "strategy": strategy, "found": found, "refused": bool(outcome.refused),
        "executions": outcome.first_failure_after if found else outcome.schedules_run,
        "wall_s": round(wall, 4), "exhaustive_claim": bool(outcome.exhausted and failure is None),
        "completed": bool(found or outcome.exhausted), "timed_out": timed_out,
        "preemptions": failure.preemptions if found else None, "verdict": outcome.verdict(),
        "message": headline(text), "locations": locations(text, program),
    }


def green_threading(program: ModuleType) -> Any:
    """Rebind the program's ``threading`` to eventlet's green one; returns the original to restore."""
    from eventlet.green import threading as green

    original = program.threading
    program.threading = green
    return original


def harness_program(program: ModuleType, args: argparse.Namespace,
                    available: Sequence[str]) -> tuple[list[dict[str, Any]], float]:
    """Every harness cell of one program, after one-execution warm-up explorations (first-call costs:
    imports, caches), and the last warm-up's wall: what every exploration pays before its first run."""
    original = green_threading(program) if args.threads == "green" else None
    try:
        start = green_start if args.threads == "green" else monkey_start
        warm_body = make_body(program, workers_of(program, "twin"), start)
        warm = 0.0
        for _ in range(WARM_UP_ROUNDS):
            warm = explore_bounded(warm_body, "dfs", program.__name__, 1, args.seconds)[1]
        cells = [harness_cell(program, variant, args.threads, strategy, args.budget, args.seconds)
                 for variant in VARIANTS for strategy in HARNESS_STRATEGIES if strategy in available]
    finally:
        if original is not None:
            program.threading = original
    return cells, round(warm, 4)


def harness_side(args: argparse.Namespace) -> dict[str, Any]:
    """Every harness cell of the given programs in one thread model, as JSON-ready records."""
    import eventlet

    if args.threads == "monkey":
        eventlet.monkey_patch()  # before the programs (and the harness) are imported, as an app would
    import harness  # noqa: F401 - imported after monkey-patching
    from harness.strategies import registry

    available = registry.names()
    cells: list[dict[str, Any]] = []
    fixed: dict[str, float] = {}
    for name in args.programs:
        found, fixed[name] = harness_program(load_program(name), args, available)
        cells.extend(found)
    return {"cells": cells, "registry": list(available), "one_execution_s": fixed,
            "eventlet": eventlet.__version__, "python": sys.version.split()[0]}


# -- the frontrun side (frontrun's venv, under its CLI) -------------------------------------------

def frontrun_options(strategy: str, budget: int, seconds: float, attempts: int) -> dict[str, Any]:
    """frontrun.explore keywords: full DPOR (no preemption bound) or the bytecode sampler."""
    if strategy == "dpor":
        return {"strategy": "dpor", "preemption_bound": None, "max_executions": budget,
                "total_timeout": seconds, "stop_on_first": True, "reproduce_on_failure": 0}
    return {"strategy": "random", "max_attempts": attempts, "seed": 0, "total_timeout": seconds,
            "reproduce_on_failure": 0}


def frontrun_cell(program: ModuleType, variant: str, strategy: str,
                  args: argparse.Namespace) -> dict[str, Any]:
    import frontrun

    options = frontrun_options(strategy, args.budget, args.seconds, args.random_attempts)
    began = time.perf_counter()
    result = frontrun.explore(setup=program.setup, workers=list(workers_of(program, variant)),
                              invariant=program.invariant, **options)
    wall = time.perf_counter() - began
    found = result.property_holds is False
    limit = options.get("max_executions", options.get("max_attempts"))
    finished = strategy == "dpor" and result.property_holds is not None and result.num_explored < limit \
        and wall < args.seconds
    text = result.explanation or ""
    return {
        "program": program.__name__.rsplit(".", 1)[-1], "variant": variant, "tool": "frontrun",
        "mode": "threads", "strategy": strategy, "found": found, "refused": False,
        "executions": result.num_explored, "wall_s": round(wall, 4),
        "exhaustive_claim": result.exhausted is True, "exhausted_field": result.exhausted,
        "completed": bool(found or finished), "timed_out": wall >= args.seconds,
        "property_holds": result.property_holds, "preemptions": None,
        "verdict": _frontrun_verdict(result, strategy, finished),
        "message": headline(text, 1), "locations": locations(text, program),
    }


def _frontrun_verdict(result: Any, strategy: str, finished: bool) -> str:
    if result.property_holds is False:
        return f"FAIL after {result.num_explored} execution(s) ({strategy})"
    if result.property_holds is None:
        return f"inconclusive after {result.num_explored}: {result.inconclusive_reason}"
    how = "search finished" if finished else "not exhaustive"
    return f"pass in {result.num_explored} execution(s) ({strategy}, {how}, exhausted={result.exhausted})"


def frontrun_warm_up(program: ModuleType, seconds: float) -> float:
    """One single-execution DPOR exploration of the twin; its wall time."""
    import frontrun

    began = time.perf_counter()
    frontrun.explore(setup=program.setup, workers=list(workers_of(program, "twin")),
                     invariant=program.invariant, **frontrun_options("dpor", 1, seconds, 1))
    return round(time.perf_counter() - began, 4)


def frontrun_side(args: argparse.Namespace) -> dict[str, Any]:
    """Every frontrun cell of the given programs, each program after one-execution warm-ups (as on
    the harness side; the last one's wall is frontrun's fixed cost per exploration)."""
    cells: list[dict[str, Any]] = []
    fixed: dict[str, float] = {}
    for name in args.programs:
        program = load_program(name)
        for _ in range(WARM_UP_ROUNDS):
            fixed[name] = frontrun_warm_up(program, args.seconds)
        cells += [frontrun_cell(program, variant, strategy, args)
                  for variant in VARIANTS for strategy in FRONTRUN_STRATEGIES]
    import frontrun

    return {"cells": cells, "one_execution_s": fixed, "frontrun": frontrun.__version__,
            "python": sys.version.split()[0]}


# -- the peer venv ---------------------------------------------------------------------------------

def default_venv() -> Path:
    """Outside the repository: other engineers share the tree, and the venv is a cache."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "race-harness" / "frontrun-venv"


def frontrun_version(python: Path) -> str | None:
    """The frontrun version importable by ``python``, or None."""
    try:
        done = subprocess.run([str(python), "-c", "import frontrun; print(frontrun.__version__)"],
                              capture_output=True, text=True, timeout=120, check=False)
    except OSError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def ensure_frontrun(python: Path | None, say: Callable[[str], None]) -> Path:
    """The peer interpreter: the given one, else the cached venv, created and filled on first use."""
    if python is not None:
        return python
    venv = default_venv()
    exe = venv / "bin" / "python"
    if not exe.exists():
        say(f"creating {venv} (python -m venv)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    if frontrun_version(exe) != FRONTRUN_VERSION:
        say(f"installing frontrun=={FRONTRUN_VERSION} into {venv}")
        subprocess.run([str(exe), "-m", "pip", "install", "--quiet", f"frontrun=={FRONTRUN_VERSION}"],
                       check=True, timeout=PIP_TIMEOUT)
    return exe


# -- the driver --------------------------------------------------------------------------------------

def side_command(side: str, args: argparse.Namespace, program: str, python: Path | None = None,
                 mode: str = "green") -> list[str]:
    common = ["--programs", program, "--budget", str(args.budget), "--seconds", str(args.seconds),
              "--random-attempts", str(args.random_attempts)]
    if side == "harness":
        return [sys.executable, str(SCRIPT), "--side", "harness", "--threads", mode, *common]
    peer = str(python)
    return [peer, "-m", "frontrun.cli", peer, str(SCRIPT), "--side", "frontrun", *common]


def run_side(command: list[str], timeout: float) -> dict[str, Any]:
    """Run one side process; its marked JSON line, or the reason there is none."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"cells": [], "error": f"timed out after {timeout:.0f} s: {' '.join(command)}"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            payload: dict[str, Any] = json.loads(line[len(MARKER):])
            return payload
    return {"cells": [], "error": f"exit {done.returncode}: {done.stderr.strip()[-1500:]}"}


def side_timeout(args: argparse.Namespace) -> float:
    """Enough for every cell of one program to spend its whole time budget, plus start-up."""
    return len(VARIANTS) * len(HARNESS_STRATEGIES) * args.seconds + 120.0


def machine() -> dict[str, Any]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"cpu_count": os.cpu_count(), "usable_cpus": affinity, "load_before": list(os.getloadavg()),
            "platform": platform.platform(), "python": sys.version.split()[0]}


def measure(args: argparse.Namespace, peer: Path | None, say: Callable[[str], None]) -> dict[str, Any]:
    """Program by program, every side in turn: the cells of one program are measured together."""
    cells: list[dict[str, Any]] = []
    sides: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for program in args.programs:
        plan = [(f"harness/{mode}", side_command("harness", args, program, mode=mode)) for mode in MODES]
        if peer is not None:
            plan.append(("frontrun", side_command("frontrun", args, program, python=peer)))
        for label, command in plan:
            say(f"{program}: {label}")
            payload = run_side(command, side_timeout(args))
            cells.extend(payload.pop("cells"))
            if "error" in payload:
                errors.append(f"{program} {label}: {payload['error']}")
            sides[label] = merge_side(sides.get(label, {}), payload)
    return {"cells": cells, "sides": sides, "errors": errors}


def merge_side(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """One side's payloads over the programs: versions from any, fixed costs per program from all."""
    costs = {**old.get("one_execution_s", {}), **new.get("one_execution_s", {})}
    return {**old, **new, "one_execution_s": costs}


def harness_registry(sides: dict[str, dict[str, Any]]) -> list[str]:
    for mode in MODES:
        found = sides.get(f"harness/{mode}", {}).get("registry")
        if found:
            return list(found)
    return []


def columns(cells: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(tool, mode, strategy) of every measured configuration, in a fixed order."""
    seen = {(c["tool"], c["mode"], c["strategy"]) for c in cells}
    order = [("harness", m, s) for m in MODES for s in HARNESS_STRATEGIES] + \
            [("frontrun", "threads", s) for s in FRONTRUN_STRATEGIES]
    return [key for key in order if key in seen]


def label(key: tuple[str, str, str]) -> str:
    tool, mode, strategy = key
    return f"{tool} {strategy}" if tool == "frontrun" else f"harness {mode} {strategy}"


def index(cells: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str, str, str], dict[str, Any]]:
    return {(c["program"], c["variant"], c["tool"], c["mode"], c["strategy"]): c for c in cells}


def cell_text(cell: dict[str, Any] | None) -> str:
    """Race: found or not, executions and seconds to the first failure.  Twin: to the end of the search,
    and what the tool claims (proof: it says exhaustive; done: the search ended, no claim; sampled)."""
    if cell is None:
        return "-"
    head = f"{cell['executions']} / {cell['wall_s']:.3f}s"
    if cell["refused"]:
        return f"refused ({head})"
    if cell["variant"] == "race":
        if cell["found"]:
            return f"yes {head}" + (f" ({cell['preemptions']}p)" if cell["preemptions"] is not None else "")
        return f"**no** {head}" + (", search done" if cell["completed"] else ", budget spent")
    if cell["found"]:
        return f"FAIL {head} (false alarm)"
    if cell["exhaustive_claim"]:
        claim = "proof"
    elif cell["completed"]:
        claim = "done, no claim"
    else:
        claim = "sampled" if cell["strategy"] == "random" else "**not proved**, budget spent"
    return f"safe {head}, {claim}" + (" (timed out)" if cell["timed_out"] else "")


def main_table(cells: list[dict[str, Any]], programs: Sequence[str]) -> list[str]:
    keys = columns(cells)
    by = index(cells)
    lines = ["| program | " + " | ".join(label(k) for k in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for program in programs:
        for variant in VARIANTS:
            row = [cell_text(by.get((program, variant, *k))) for k in keys]
            lines.append(f"| {program} {variant} | " + " | ".join(row) + " |")
    return lines


def ratio(harness_cell: dict[str, Any] | None, peer: dict[str, Any] | None) -> dict[str, Any] | None:
    """Harness executions / frontrun executions (and wall), only where both did the same job."""
    if harness_cell is None or peer is None or not peer["executions"]:
        return None
    if harness_cell["found"] != peer["found"] or not harness_cell["completed"] or not peer["completed"]:
        return None
    return {"executions": round(harness_cell["executions"] / peer["executions"], 3),
            "wall": round(harness_cell["wall_s"] / peer["wall_s"], 3) if peer["wall_s"] else None}


def ratios(cells: list[dict[str, Any]], programs: Sequence[str]) -> list[dict[str, Any]]:
    """Per program and harness configuration, against frontrun's DPOR, or its sampler where the DPOR
    missed the race (a twin has no sampler ratio: the sampler never finishes)."""
    by = index(cells)
    rows = []
    for program in programs:
        for variant in VARIANTS:
            for key in columns(c for c in cells if c["tool"] == "harness"):
                mine = by.get((program, variant, *key))
                for peer_strategy in FRONTRUN_STRATEGIES:
                    peer = by.get((program, variant, "frontrun", "threads", peer_strategy))
                    value = ratio(mine, peer)
                    if value is not None:
                        rows.append({"program": program, "variant": variant, "harness": label(key),
                                     "frontrun": peer_strategy, **value})
                        break
    return rows


def ratio_table(rows: list[dict[str, Any]], programs: Sequence[str]) -> list[str]:
    keys = list(dict.fromkeys(r["harness"] for r in rows))
    if not keys:
        return ["(no ratio: frontrun was not measured, or no cell pair did the same job)"]
    found = {(r["program"], r["variant"], r["harness"]): r for r in rows}
    lines = ["| program | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for program in programs:
        for variant in VARIANTS:
            row = []
            for key in keys:
                r = found.get((program, variant, key))
                vs = "" if r is None or r["frontrun"] == "dpor" else " vs random"
                row.append("-" if r is None else f"{_times(r['executions'])} (wall {_times(r['wall'])}){vs}")
            lines.append(f"| {program} {variant} | " + " | ".join(row) + " |")
    return lines


def _times(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}x" if value >= 100 else f"{value:.3g}x"


def report_table(cells: list[dict[str, Any]], programs: Sequence[str]) -> list[str]:
    """Which failure reports name the program's own lines, and frontrun's conflict line."""
    by = index(cells)
    lines = ["| race | harness green dfs: message | lines named | frontrun dpor: conflict | lines named |",
             "|---|---|---|---|---|"]
    for program in programs:
        mine = by.get((program, "race", "harness", "green", "dfs"))
        peer = by.get((program, "race", "frontrun", "threads", "dpor"))
        lines.append(f"| {program} | {_short(mine)} | {_yes(mine)} | {_short(peer)} | {_yes(peer)} |")
    return lines


def _short(cell: dict[str, Any] | None) -> str:
    if cell is None or not cell["message"]:
        return "-"
    return cell["message"][:100].replace("|", "/")


def _yes(cell: dict[str, Any] | None) -> str:
    return "-" if cell is None else ", ".join(cell["locations"]) or "no"


LEGEND = (
    "Cells: executions / wall seconds; race: to the first failure, (Np) = preemptions in the harness's "
    "failing schedule; twin: to the end of the search, *proof* = the tool says exhaustive, *done, no claim* "
    "= the search ended within budget but the tool reports no coverage (frontrun's thread mode leaves "
    "`exhausted=None`), *sampled* = a sampler's attempt budget, no claim.")


def render(result: dict[str, Any]) -> str:
    m = result["machine"]
    registry = result["harness_registry"]
    dpor = "measured" if "dpor" in registry else \
        f"absent: harness.strategies.registry.names() = {tuple(registry)} has no 'dpor', not measured"
    out = [f"# harness vs frontrun {result['frontrun_version'] or '(not measured)'}: same programs, one run",
           "",
           f"command: `{result['command']}`  ",
           f"machine: {m['platform']}, cpu_count={m['cpu_count']}, usable CPUs={m['usable_cpus']}, "
           f"load average before {_load(m['load_before'])}, after {_load(m['load_after'])}  ",
           f"budgets: {result['budget']} executions and {result['seconds']} s per cell; frontrun random: "
           f"{result['random_attempts']} attempts, seed 0  ",
           f"harness dpor: {dpor}  ",
           f"fixed cost of one exploration (a one-execution exploration, in every cell's wall): "
           f"{fixed_costs(result['sides'])}", "",
           LEGEND,
           "", *main_table(result["cells"], result["programs"]), "",
           "Harness executions / frontrun executions (frontrun DPOR unless it missed the race):", "",
           *ratio_table(result["ratios"], result["programs"]), "",
           *report_table(result["cells"], result["programs"])]
    if result["errors"]:
        out += ["", "Errors:", *[f"* {e}" for e in result["errors"]]]
    return "\n".join(out)


def fixed_costs(sides: dict[str, dict[str, Any]]) -> str:
    parts = []
    for side, payload in sides.items():
        values = payload.get("one_execution_s") or {}
        if values:
            parts.append(f"{side} {min(values.values()):.3f}-{max(values.values()):.3f} s")
    return "; ".join(parts) or "-"


def _load(values: Sequence[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def drive(args: argparse.Namespace) -> dict[str, Any]:
    say = (lambda text: print(f"[bench_frontrun] {text}", file=sys.stderr, flush=True)) if not args.quiet \
        else (lambda text: None)
    peer = None if args.skip_frontrun else ensure_frontrun(args.frontrun_python, say)
    version = frontrun_version(peer) if peer is not None else None
    if peer is not None and version is None:
        raise SystemExit(f"frontrun is not importable by {peer}: pip install frontrun=={FRONTRUN_VERSION}")
    info = machine()
    measured = measure(args, peer, say)
    info["load_after"] = list(os.getloadavg())
    result = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "machine": info,
              "programs": list(args.programs), "budget": args.budget, "seconds": args.seconds,
              "random_attempts": args.random_attempts, "frontrun_python": str(peer) if peer else None,
              "frontrun_version": version, "harness_registry": harness_registry(measured["sides"]),
              **measured}
    result["ratios"] = ratios(result["cells"], args.programs)
    result["calls"] = calls(args)
    if version not in (None, FRONTRUN_VERSION):
        result["errors"].append(f"frontrun {version} measured, not {FRONTRUN_VERSION}")
    return result


def frontrun_call(strategy: str, args: argparse.Namespace) -> str:
    options = frontrun_options(strategy, args.budget, args.seconds, args.random_attempts)
    spelled = ", ".join(f"{key}={value!r}" for key, value in options.items())
    return f"frontrun.explore(setup, workers, invariant, {spelled}) under python -m frontrun.cli"


def calls(args: argparse.Namespace) -> dict[str, str]:
    """How each tool was driven, spelled out in the JSON so a reader can repeat one cell."""
    harness_call = (f"harness.explore(body, strategy=S, schedules={args.budget}, preemption='preemptive', "
                    "preempt_modules=[<program module>], database='off', verify_determinism=False, "
                    f"settings=harness.Settings(), progress=<stops after {args.seconds} s>)")
    return {"harness": harness_call, **{f"frontrun_{s}": frontrun_call(s, args) for s in FRONTRUN_STRATEGIES}}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--programs", type=lambda s: tuple(s.split(",")), default=PROGRAMS,
                        help=f"comma-separated, from {', '.join(PROGRAMS)}")
    parser.add_argument("--budget", type=int, default=20_000, help="most executions per cell")
    parser.add_argument("--seconds", type=float, default=60.0, help="most wall seconds per cell")
    parser.add_argument("--random-attempts", type=int, default=1000, help="frontrun random: max_attempts")
    parser.add_argument("--frontrun-python", type=Path, default=None,
                        help=f"an interpreter with frontrun=={FRONTRUN_VERSION} (default: {default_venv()})")
    parser.add_argument("--skip-frontrun", action="store_true", help="measure the harness side only")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write every figure here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--side", choices=("harness", "frontrun"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--threads", choices=MODES, default="green", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.programs) - set(PROGRAMS))
    if unknown:
        parser.error(f"unknown program(s) {', '.join(unknown)}; choose from {', '.join(PROGRAMS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.side == "harness":
        emit(harness_side(args))
        return 0
    if args.side == "frontrun":
        emit(frontrun_side(args))
        return 0
    result = drive(args)
    print(render(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
