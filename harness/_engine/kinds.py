"""The kinds of trace events the harness writes (``EventKind``): one list, no imports,
so every engine module can name them."""

from __future__ import annotations

from enum import Enum


class EventKind(str, Enum):
    """Every kind of event the harness itself writes into a trace.

    ``harness.note(kind, detail)`` may add kinds of its own (the fake ONTAP's
    ``request``): those stay plain strings.  A ``str`` enum, so ``event.kind ==
    "run"`` holds and a trace line prints the word."""

    RUN = "run"                # a greenthread runs a step: "after <label> [option k of n]"
    PREEMPTED = "preempted"    # the greenthread eventlet would have run is left waiting
    SPAWN = "spawn"            # a greenthread is started (by the body, another one, or the hub)
    CHOOSE = "choose"          # a wake-up went to one of several waiters (a recorded choice)
    IO = "io"                  # a green I/O point that did not switch (nothing else was ready)
    EXIT = "exit"              # a greenthread died of an exception (judged at the end)
    FAIL = "fail"              # the run failed here
    STOP = "stop"              # the run stopped: horizon, pruned, a greenthread stopped at teardown
    UNHANDLED = "unhandled"    # an exception nobody can observe, noted (unobserved_exceptions=ignore)
    WARNING = "warning"        # uncontrolled concurrency let through (uncontrolled=warn), stdin
    TPOOL = "tpool"            # eventlet.tpool.execute ran inline (tpool=inline)
    VIOLATION = "violation"    # an oracle violation: "category: detail" (harness.violation)
    REAL_CLOCK = "real-clock"  # code read the real clock, which the harness does not virtualise
    RACE = "race"              # the conflicting accesses of a failing run (the race pair)

    def __str__(self) -> str:
        return str(self.value)
