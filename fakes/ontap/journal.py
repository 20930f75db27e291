"""The request journal: what was sent, by whom, meaning which SVM.

The races in this project are invisible in the client's own state; they show
only in the wire: a request that carries another SVM's ``X-Dot-SVM-Name``.
So the fake records every request with the header it actually carried *and*
the SVM its caller meant.  Callers declare what they mean with
``journal.intent(...)`` around their calls; the declaration is kept per
greenthread (keyed by :func:`harness.current_thread_name`), so concurrent
greenthreads each carry their own.  Requests sent with no declaration are
journaled as undeclared and never judged: the oracle only speaks where a
caller said what it wanted.

No credential is ever stored: the journal keeps the basic-auth user name.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from harness import current_thread_name, touch
from race_harness.fakes.ontap.footprints import JOURNAL
from race_harness.fakes.ontap.query import parse_query


@dataclass(frozen=True)
class JournalEntry:
    """One request as the fake received it (``status`` None: never answered)."""

    seq: int
    time: float
    thread: str
    method: str
    path: str
    query: str
    svm_header: str | None
    intent: str | None
    intent_declared: bool
    status: int | None
    user: str | None

    @property
    def params(self) -> dict[str, str]:
        """The query arguments as a dict."""
        return parse_query(self.query)

    @property
    def wrong_svm(self) -> bool:
        """True when a declared intent and the header sent disagree."""
        return self.intent_declared and self.svm_header != self.intent

    def describe(self) -> str:
        header = (
            "no X-Dot-SVM-Name header" if self.svm_header is None else f"X-Dot-SVM-Name: {self.svm_header}"
        )
        if not self.intent_declared:
            meant = "undeclared intent"
        elif self.intent is None:
            meant = "meant cluster scope"
        else:
            meant = f"meant {self.intent}"
        return (
            f"#{self.seq} t={self.time:.6f} {self.thread}: {self.method} {self.path} "
            f"with {header} ({meant}) -> {self.status}"
        )


class Journal:
    """Append-only record of requests plus the per-greenthread intents."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []
        self._intents: dict[str, list[str | None]] = {}
        self._lock = threading.Lock()
        self._next_seq = 0
        self._cleared = 0  # entries dropped by clear(): seq - _cleared is the index

    @contextlib.contextmanager
    def intent(self, svm: str | None) -> Iterator[None]:
        """Declare the SVM the current greenthread's requests are meant for.

        ``None`` means "cluster-scoped: no header meant".  Nestable; the
        previous declaration is restored on exit, even on error.
        """
        name = current_thread_name()
        stack = self._intents.setdefault(name, [])
        stack.append(svm)
        try:
            yield
        finally:
            stack.pop()
            if not stack:
                self._intents.pop(name, None)

    def current_intent(self, thread: str) -> tuple[bool, str | None]:
        """(declared, svm) for a greenthread's next request."""
        stack = self._intents.get(thread)
        if not stack:
            return False, None
        return True, stack[-1]

    def record(
        self,
        *,
        time: float,
        thread: str,
        method: str,
        path: str,
        query: str,
        svm_header: str | None,
        user: str | None,
    ) -> JournalEntry:
        """Journal a request as it is sent; its status is filled in on answer."""
        declared, intent = self.current_intent(thread)
        with self._lock:
            entry = JournalEntry(
                self._next_seq,
                time,
                thread,
                method,
                path,
                query,
                svm_header,
                intent,
                declared,
                None,
                user,
            )
            self._next_seq += 1
            self.entries.append(entry)
        self._appended()
        return entry

    def answered(self, entry: JournalEntry, status: int) -> JournalEntry:
        """Record the status the fake answered ``entry`` with."""
        # Built field by field, not with dataclasses.replace: this runs on every request.
        done = JournalEntry(
            entry.seq,
            entry.time,
            entry.thread,
            entry.method,
            entry.path,
            entry.query,
            entry.svm_header,
            entry.intent,
            entry.intent_declared,
            status,
            entry.user,
        )
        with self._lock:
            index = entry.seq - self._cleared
            if 0 <= index < len(self.entries) and self.entries[index].seq == entry.seq:
                self.entries[index] = done
        self._appended()
        return done

    def violations(self) -> list[JournalEntry]:
        """Requests whose SVM header differs from their caller's declared intent."""
        self._read()
        return [e for e in self.entries if e.wrong_svm]

    def undeclared(self) -> list[JournalEntry]:
        self._read()
        return [e for e in self.entries if not e.intent_declared]

    # Footprints for the harness's partial-order reduction: entries are appended
    # (an answer completes the sender's own entry), and no verdict depends on the
    # order of two appends, only on what a reader sees.  Sequence numbers do
    # follow the order, so two runs that differ only there count as one.  The
    # resource is the name each request's footprint appends to (a string, the
    # same in every run; journals of two fakes in one run share it: only
    # more dependent, never less).
    def _appended(self) -> None:
        touch(JOURNAL, append=True, partial=True)

    def _read(self) -> None:
        touch(JOURNAL, write=False, partial=True)

    def clear(self) -> None:
        """Forget the entries (intents in force stay declared)."""
        touch(JOURNAL, partial=True)
        with self._lock:
            self._cleared += len(self.entries)
            self.entries.clear()

    def format(self) -> str:
        """The journal as readable lines, for failure messages and reports."""
        self._read()
        return "\n".join(e.describe() for e in self.entries)

    def __len__(self) -> int:
        self._read()
        return len(self.entries)
