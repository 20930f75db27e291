"""ONTAP wildcard queries in linear time, with the semantics the regex matcher had.

``name=***************x`` froze the fake for 8-21 s (a regex ``.*`` per star
backtracks exponentially on a failed match) while it held its lock.  The
matcher now scans once; a filter value longer than ``MAX_FILTER_CHARS`` is
refused with ONTAP's error body.  A differential test pins the new matcher to
the old regex on small patterns, where the regex is fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from race_harness.fakes.ontap.query import MAX_FILTER_CHARS, _wildcard, matches

VOLUMES = "/api/storage/volumes"
BOUND = 5.0  # seconds: generous; the fixed matcher answers in about a millisecond
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served() -> Iterator[requests.Session]:
    """The fake served by ``fake-ontap serve`` in a child process, its URL on ``session.url``.

    A child, not a thread: the old regex held the GIL, so a runaway match in this
    process would have hung the test instead of failing it; a child's hang is a
    client timeout here, and the child is killed at the end."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "race_harness.fakes.ontap.cli", "fake-ontap", "serve"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        session = requests.Session()
        session.trust_env = False
        session.auth = ("admin", "netapp123")
        session.url = url  # type: ignore[attr-defined]
        yield session
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def get(session: requests.Session, **params: str) -> requests.Response:
    """A volume query that must be answered within :data:`BOUND` seconds."""
    try:
        return session.get(session.url + VOLUMES, params=params, timeout=BOUND)  # type: ignore[attr-defined]
    except requests.Timeout:
        pytest.fail(f"no answer within {BOUND} s: the fake is stuck on the query")


def _names(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(r["name"] for r in response.json()["records"])


@pytest.mark.parametrize("stars", [15, 22, 2000])
def test_many_stars_that_fail_to_match_answer_at_once(served: requests.Session, stars: int) -> None:
    response = get(served, name="*" * stars + "x")
    assert _names(response) == [] and response.json()["num_records"] == 0
    assert get(served, name="nfs_volume_ds01").json()["num_records"] == 1  # and the server still serves


@pytest.mark.parametrize("stars", [15, 2000])
def test_many_stars_that_match_find_the_right_volumes(served: requests.Session, stars: int) -> None:
    assert _names(get(served, name="nfs" + "*" * stars + "_ds0" + "*" * stars + "2")) == ["nfs_volume_ds02"]
    every = ["nfs_volume_ds01", "nfs_volume_ds02", "svm_data_001_root"]
    assert _names(get(served, name="*" * stars)) == every
    either = "*" * stars + "ds01|" + "*" * stars + "_root"
    assert _names(get(served, name=either)) == ["nfs_volume_ds01", "svm_data_001_root"]


def test_a_value_over_the_cap_is_refused_with_ontaps_error(served: requests.Session) -> None:
    assert _names(get(served, name="*" * (MAX_FILTER_CHARS - 2) + "01")) == ["nfs_volume_ds01"]
    over = get(served, name="*" * MAX_FILTER_CHARS + "x")
    assert over.status_code == 400 and set(over.json()) == {"error"}
    error = over.json()["error"]
    assert error["code"] == "262197" and error["target"] == "name"
    assert f"{MAX_FILTER_CHARS + 1} characters long" in error["message"]
    assert f"at most {MAX_FILTER_CHARS}" in error["message"]
    assert len(error["message"]) < 300  # the value itself is not echoed back


def test_the_cap_counts_alternatives_together_in_any_field(call: Any) -> None:
    alternatives = "|".join(["/nfs_volume_ds01"] * (MAX_FILTER_CHARS // 16 + 1))
    response = call.get(VOLUMES, params={"nas.path": alternatives})
    assert response.status_code == 400 and response.json()["error"]["target"] == "nas.path"
    assert call.get(VOLUMES, params={"nas.path": alternatives[:MAX_FILTER_CHARS]}).status_code == 200


# -- the old semantics, kept as the reference ---------------------------------


def _old_wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")) + r"\Z", re.DOTALL)


def _old_alternative(pattern: str, value: Any) -> bool:
    for op in ("<=", ">=", "<", ">"):
        if pattern.startswith(op):
            operand = pattern[len(op):]
            try:
                left: Any = float(value)
                right: Any = float(operand)
            except (TypeError, ValueError):
                left, right = _text(value), operand
            return bool({"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op])
    if isinstance(value, bool):
        return _text(value) == pattern.lower()
    if "*" not in pattern:
        return _text(value) == pattern
    return _old_wildcard(pattern).match(_text(value)) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _old_matches(values: list[Any], spec: str) -> bool:
    alternatives = re.split(r"[|,]", spec)
    wanted = [a for a in alternatives if not a.startswith("!")]
    unwanted = [a[1:] for a in alternatives if a.startswith("!")]
    if any(_old_alternative(w, v) for w in wanted for v in values):
        return True
    return bool(values) and any(not any(_old_alternative(u, v) for v in values) for u in unwanted)


_CHARS = "ab*.\\\n\u00e9A"
_PATTERNS = st.text(alphabet=_CHARS, max_size=8)
_TEXTS = st.text(alphabet="ab.\\\n\u00e9A", max_size=12)


@settings(max_examples=500, deadline=None)
@given(_PATTERNS.map(lambda p: p + "*" if "*" not in p else p), _TEXTS)
def test_the_matcher_agrees_with_the_old_regex(pattern: str, text: str) -> None:
    assert _wildcard(pattern)(text) == (_old_wildcard(pattern).match(text) is not None)


_SPEC_PART = st.one_of(_PATTERNS, st.sampled_from(["<5", ">=b", "true", "FALSE", "!a*", "!*", "1*", "*0"]))
_VALUES = st.lists(st.one_of(_TEXTS, st.booleans(), st.integers(-20, 20)), max_size=3)


@settings(max_examples=500, deadline=None)
@given(st.lists(_SPEC_PART, min_size=1, max_size=3), st.sampled_from("|,"), _VALUES)
def test_filters_agree_with_the_old_semantics(parts: list[str], separator: str, values: list[Any]) -> None:
    """Alternatives, negation, comparisons, booleans (case-insensitive) and wildcards
    (case-sensitive) decide as before."""
    spec = separator.join(parts)
    assert matches(values, spec) == _old_matches(values, spec)
