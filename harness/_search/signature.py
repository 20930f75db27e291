"""Failure signatures: when two failing runs fail *the same way*.

Shrinking keeps a smaller schedule only if it fails the same way as the one it
replaces, and a minimality proof looks for a schedule with fewer preemptions
that fails the same way.  "The same way" must survive the shrinking itself: a
race that hits after one preemption usually reports other greenthread ids,
other request numbers, another of the two symmetric victims, or fewer
violating requests than the random schedule it was found from.  Comparing
messages would reject all of those, so a signature is what stays put:

* the error type (``module.QualName``);
* where it was raised: the file and function of the innermost frame (lines
  move when a function is edited, functions do not), or nothing for errors
  the harness records without raising (deadlock, step limit);
* the categories of the oracle violations the run noted before failing.  A
  violation is a trace note of kind ``"violation"`` whose detail reads
  ``"<category>: <details>"`` (``harness.violation`` writes it that way), so
  "wrong SVM" and "stale read" stay apart while their details vary.

This follows Hypothesis, which tells failures apart by exception type and
origin, plus the oracle's own verdict, which a race harness has and
Hypothesis does not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import TracebackType

from harness._engine.trace import Trace

VIOLATION = "violation"


@dataclass(frozen=True)
class FailureSignature:
    """Error type, raising function and violation categories of a failing run."""

    error_type: str
    origin: str | None
    violations: tuple[str, ...]

    def describe(self) -> str:
        where = f" raised in {self.origin}" if self.origin else ""
        noted = f" with violation(s) {', '.join(self.violations)}" if self.violations else ""
        return f"{self.error_type}{where}{noted}"


def signature_of(error: BaseException, trace: Trace | None = None) -> FailureSignature:
    """The signature of a run that failed with ``error`` and recorded ``trace``."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    return FailureSignature(kind, _origin(error.__traceback__), violation_categories(trace))


def violation_categories(trace: Trace | None) -> tuple[str, ...]:
    """Distinct categories of the trace's violation notes, in first-seen order."""
    if trace is None:
        return ()
    categories: dict[str, None] = {}
    for event in trace.of_kind(VIOLATION):
        categories.setdefault(violation_category(event.detail), None)
    return tuple(categories)


def violation_category(detail: str) -> str:
    """``"wrong SVM: gt2 sent ..."`` -> ``"wrong SVM"``; a detail without a colon is its own category."""
    head, sep, _rest = detail.partition(":")
    return head.strip() if sep else detail.strip()


def _origin(tb: TracebackType | None) -> str | None:
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    name = getattr(code, "co_qualname", code.co_name)  # co_qualname is 3.11+
    return f"{os.path.basename(code.co_filename)}:{name}"
