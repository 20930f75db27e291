"""Failure signatures: what "fails the same way" keeps and what it lets vary."""

from __future__ import annotations

import harness
from harness._engine.trace import Trace
from harness._search.signature import FailureSignature, signature_of, violation_categories, violation_category


def _raised(make: type[BaseException], message: str) -> BaseException:
    try:
        raise make(message)
    except BaseException as exc:  # noqa: BLE001 - the point is to keep the traceback
        return exc


def _raised_elsewhere(message: str) -> BaseException:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def _trace(*violations: str) -> Trace:
    trace = Trace()
    trace.add(1, 0.0, "gt1", "run", "after start")
    for detail in violations:
        trace.add(2, 0.0, "gt1", "violation", detail)
    return trace


def test_the_message_may_vary_but_not_the_type_origin_or_violation_category() -> None:
    a = signature_of(_raised(ValueError, "gt2 read 3 at 0x7f00"), _trace("stale read: gt2 read 3"))
    b = signature_of(_raised(ValueError, "gt11 read 17, 2 requests"), _trace("stale read: gt11 read 17"))
    assert a == b
    assert signature_of(_raised(KeyError, "x"), _trace("stale read: x")) != a
    assert signature_of(_raised_elsewhere("gt2 read 3"), _trace("stale read: gt2 read 3")) != a
    assert signature_of(_raised(ValueError, "gt2 read 3"), _trace("lost update: 2 != 1")) != a
    assert signature_of(_raised(ValueError, "gt2 read 3"), _trace()) != a


def test_origin_is_the_innermost_raising_function() -> None:
    signature = signature_of(_raised_elsewhere("boom"))
    assert signature.origin is not None and signature.origin.endswith("test_signature.py:_raised_elsewhere")
    assert signature.error_type == "builtins.ValueError"


def test_an_error_never_raised_has_no_origin() -> None:
    signature = signature_of(RuntimeError("recorded by the harness, not raised"))
    assert signature == FailureSignature("builtins.RuntimeError", None, ())


def test_violation_categories_are_distinct_in_first_seen_order() -> None:
    trace = _trace("wrong SVM: #1", "stale read: #2", "wrong SVM: #3", "no colon here")
    assert violation_categories(trace) == ("wrong SVM", "stale read", "no colon here")
    assert violation_category("  wrong SVM : detail: more") == "wrong SVM"
    assert violation_categories(None) == ()


def test_harness_violation_writes_a_categorised_note() -> None:
    def body() -> None:
        harness.violation("stale read", "gt0 read 1")
        raise AssertionError("checked after the note")

    outcome = harness.explore(body, schedules=1, database="off")
    assert outcome.failure is not None
    notes = outcome.failure.trace.of_kind("violation")
    assert [event.detail for event in notes] == ["stale read: gt0 read 1"]
    assert signature_of(outcome.failure.error, outcome.failure.trace).violations == ("stale read",)
