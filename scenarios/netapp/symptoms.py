"""Failure messages that read like the incident: the wire, then the logs.

A failing scenario shows the request that went to the wrong SVM (from the
fake's journal), then what the code under test made of the answer, cause
first, the way the production logs showed it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from race_harness.fakes.ontap.journal import JournalEntry


class Logged(Protocol):
    """Something that logs swallowed errors: parallel ``log`` lines and ``errors``."""

    log: list[str]
    errors: list[BaseException]


SHOWN = 5


def describe_request(entry: JournalEntry) -> str:
    """The journal line plus the lookup key, so the FlexVol asked for shows."""
    params = entry.params
    keys = [f"{k}={params[k]}" for k in ("nas.path", "name") if k in params]
    suffix = f" [{', '.join(keys)}]" if keys else ""
    return entry.describe() + suffix


def cause_chain(exc: BaseException) -> list[str]:
    """``Type: message`` for an exception and its causes, innermost first."""
    chain: list[str] = []
    current: BaseException | None = exc
    while current is not None:
        chain.append(f"{type(current).__name__}: {current}")
        current = current.__cause__
    return list(reversed(chain))


def wrong_svm_report(title: str, violations: list[JournalEntry], *logs: Logged) -> str:
    """Wrong-SVM requests and the errors the code under test logged, as one message."""
    lines = [f"{title}: {len(violations)} request(s) carried the wrong SVM header"]
    lines += [f"  {describe_request(entry)}" for entry in violations[:SHOWN]]
    lines += logged_errors(*logs)
    return "\n".join(lines)


def logged_errors(*logs: Logged) -> list[str]:
    """What the driver and the manager swallowed and logged, each error cause-first."""
    pairs = [pair for log in logs for pair in zip(log.log, log.errors, strict=True)]
    if not pairs:
        return []
    lines = ["what was logged (cause first):"]
    for line, exc in pairs[:SHOWN]:
        lines += [f"  {step}" for step in cause_chain(exc)]
        lines.append(f"    -> {line}")
    return lines
