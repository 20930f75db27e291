"""The determinism guard: a failing schedule must replay to the same trace.

If replaying a schedule gives a different trace, something outside the
scheduler's control decided the run: the wall clock, the global random
generator, real I/O, set or address ordering, or a thread outside the hub.
The guard names the first differing event so the cause can be found.
"""

from __future__ import annotations

import re

from harness._engine.results import RunResult
from harness._engine.trace import Trace
from harness._errors import NondeterminismDetected

# Observations about a run rather than its behaviour: the clock audit watches only
# some runs (the first of an exploration by default), so a replay need not repeat them.
AUDIT_KINDS = frozenset({"real-clock"})

LIKELY_CAUSES = (
    "the wall clock (a clock the harness does not virtualise), the global random generator, "
    "real I/O, iteration over a set or dict keyed by object identity, or a native thread "
    "running beside the hub"
)


# Object addresses in messages (``<Counter object at 0x7f...>``) differ between
# runs of the same schedule without any difference in behaviour.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def _behaviour(trace: Trace) -> list[str]:
    return [_ADDRESS.sub("0x?", event.line()) for event in trace.events if event.kind not in AUDIT_KINDS]


def first_difference(expected: Trace, actual: Trace) -> tuple[int, str, str] | None:
    """The index and text of the first event that differs (audit notes aside), or None."""
    left, right = _behaviour(expected), _behaviour(actual)
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return index, a, b
    if len(left) != len(right):
        index = min(len(left), len(right))
        missing = "<end of trace>"
        return (index, left[index] if index < len(left) else missing,
                right[index] if index < len(right) else missing)
    return None


def check_same(schedule: str, original: RunResult, replays: list[RunResult]) -> None:
    """Raise NondeterminismDetected if any replay's trace differs from the original."""
    for number, again in enumerate(replays, start=1):
        difference = first_difference(original.trace, again.trace)
        if difference is None:
            continue
        index, was, now = difference
        raise NondeterminismDetected(
            f"replay {number} of schedule {schedule} differs from the original run at event "
            f"{index}:\n  original: {was.strip()}\n  replay:   {now.strip()}\n"
            f"{_likely_cause([original.trace, *(r.trace for r in replays)])}"
        )


def _likely_cause(traces: list[Trace]) -> str:
    """The real-clock reads the audit saw, if any (the usual culprit), then the usual list."""
    reads = list(dict.fromkeys(e.detail for t in traces for e in t.events if e.kind in AUDIT_KINDS))
    if reads:
        return f"Likely cause: the real clock ({'; '.join(reads[:3])}). Other causes: {LIKELY_CAUSES}."
    return f"Likely causes: {LIKELY_CAUSES}."
