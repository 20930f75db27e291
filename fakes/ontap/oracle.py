"""The wrong-SVM oracle: the one judgement this project exists to make.

A request is wrong when its caller declared an intent and the
``X-Dot-SVM-Name`` header it carried says otherwise: a header when cluster
scope was meant, no header when an SVM was meant, or another SVM's name.
In ``"raise"`` mode the oracle fails the harness run (``record_failure``,
so an ``except Exception`` in the client cannot swallow it) and raises
:class:`WrongSvmRequest` in the greenthread that sent the request, before
the fake answers.  In ``"collect"`` mode it only judges: the fake answers the
request as ONTAP would (the admin SVM answers "0 volumes"), which is how the
production error arises, and ``journal.violations()`` lists the culprits.
"""

from __future__ import annotations

from typing import Literal

from harness import record_failure, violation
from race_harness.fakes.ontap.journal import JournalEntry

OracleMode = Literal["raise", "collect"]
MODES: tuple[OracleMode, ...] = ("raise", "collect")


class WrongSvmRequest(AssertionError):
    """A request carried an SVM header other than the one its caller meant."""

    def __init__(self, entry: JournalEntry):
        self.entry = entry
        super().__init__(_message(entry))


def _scope(svm: str | None) -> str:
    return "cluster scope (no X-Dot-SVM-Name header)" if svm is None else f"SVM {svm!r}"


CATEGORY = "wrong SVM"


def _message(entry: JournalEntry) -> str:
    return f"{CATEGORY}: {_details(entry)}"


def _details(entry: JournalEntry) -> str:
    sent = "no X-Dot-SVM-Name header" if entry.svm_header is None else f"X-Dot-SVM-Name: {entry.svm_header}"
    return (
        f"greenthread {entry.thread} sent {entry.method} {entry.path} with {sent}, "
        f"but its caller meant {_scope(entry.intent)} "
        f"(request #{entry.seq} at t={entry.time:.6f}). "
        "Inspect fake.journal.violations() and replay the run's schedule to see the "
        "interleaving that led here."
    )


class Oracle:
    """Judges journal entries; raises or only collects, by mode."""

    def __init__(self, mode: OracleMode = "raise"):
        if mode not in MODES:
            raise ValueError(f"oracle mode must be one of {MODES}, not {mode!r}")
        self.mode: OracleMode = mode

    def check(self, entry: JournalEntry) -> None:
        """Note every wrong request in the run's trace (both modes, so reports can
        highlight it); fail the run and raise in the sender in ``raise`` mode."""
        if entry.wrong_svm:
            violation(CATEGORY, _details(entry))
        if self.mode == "raise" and entry.wrong_svm:
            error = WrongSvmRequest(entry)
            record_failure(error)
            raise error
