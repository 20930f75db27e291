"""Soundness of the fake's footprints: what they call independent really commutes.

The reduction runs one order of two independent steps and skips the other, so
a footprint that leaves out something a request reads or writes hides a race.
The check is the definition: for two requests whose footprints (each taken
first on a fresh cluster) are independent, running them in both orders on
fresh clusters gives the same answers, the same final state and the same
footprints (a step's footprint must not change when an independent step runs
first, or the reduction's bookkeeping is wrong).  Exhaustively over a
catalogue of the requests that matter, then at random over generated ones.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ontap_requests import (
    ADMIN,
    EMS_BODY,
    EMS_PATH,
    JOBS,
    VOLUMES,
    Req,
    cluster,
    job_uuids,
    next_uuid,
    snapshot,
    uuid_of,
)

from harness._engine.footprint import dependent
from race_harness.fakes.ontap import fake as fake_module
from race_harness.fakes.ontap.fake import Exchange

VOL_A1, VOL_B1 = uuid_of("vol_a1", "svm_a"), uuid_of("vol_b1", "svm_b")
NEXT_VOL, SECOND_VOL = next_uuid("volume"), next_uuid("volume", 1)
RUNNING_JOB, DONE_JOB = job_uuids()
NEXT_JOB = next_uuid("job")
SCOPES = (None, "svm_a", "svm_b")
QUERIES = ("", "?name=vol_a1", "?name=vol_new", "?name=vol_*", "?name=vol_new|vol_b1", "?name=!vol_a1",
           "?nas.path=/vol_new", f"?uuid={NEXT_VOL}", "?fields=name&max_records=1", "?return_records=false",
           "?svm.name=svm_b", "?svm.name=svm_a&name=vol_new", f"?svm.name=svm_b&uuid={NEXT_VOL}",
           "?svm.name=svm_*", "?svm.name=!svm_b")


def catalogue() -> list[Req]:
    """Requests that read, create, refuse and count down, in every scope that matters."""
    reqs = [Req("GET", VOLUMES + q, s) for s in SCOPES for q in QUERIES]
    reqs += [Req("GET", VOLUMES, ADMIN), Req("GET", VOLUMES + "?name=vol_new", ADMIN)]
    reqs += [Req("GET", f"{VOLUMES}/{u}", s) for u in (VOL_A1, NEXT_VOL, SECOND_VOL) for s in (None, "svm_a")]
    reqs += [Req("GET", f"{VOLUMES}/{u}/files", None) for u in (VOL_A1, NEXT_VOL)]
    reqs += [Req("GET", f"{VOLUMES}/{VOL_A1}/files/f", "svm_a")]
    reqs += [
        Req("POST", VOLUMES, "svm_a", {"name": "vol_new"}),
        Req("POST", VOLUMES, "svm_a", {"name": "vol_new", "nas": {"path": "/vol_new"}}),
        Req("POST", VOLUMES, "svm_b", {"name": "vol_new"}),
        Req("POST", VOLUMES, None, {"name": "vol_new", "svm": {"name": "svm_b"}}),
        Req("POST", VOLUMES, "svm_a", {"name": "vol_a1"}),  # 409: taken
        Req("POST", VOLUMES, "svm_a", {"name": "vol_new", "size": -1}),  # 400 after the duplicate check
        Req("POST", VOLUMES, "svm_a", b"{broken"),
        Req("POST", VOLUMES, ADMIN, {"name": "vol_new"}),
    ]
    reqs += [Req("POST", EMS_PATH, s, EMS_BODY) for s in (None, ADMIN)]
    reqs += [Req("POST", EMS_PATH, None, {"severity": "bad"})]
    reqs += [Req("GET", JOBS, s) for s in SCOPES]
    reqs += [Req("GET", f"{JOBS}/{j}", s) for j in (RUNNING_JOB, NEXT_JOB) for s in SCOPES]
    reqs += [Req("GET", f"{JOBS}/{DONE_JOB}", None)]
    reqs += [Req("GET", p, s) for p in ("/api/cluster", "/api/svm/svms") for s in (None, "svm_a")]
    reqs += [Req("GET", p) for p in ("/api/cluster/nodes", "/api/storage/aggregates", "/api/no/such")]
    reqs += [Req("GET", VOLUMES, "svm_ghost"), Req("GET", VOLUMES, None, auth=False)]
    return reqs


def _run(order: Sequence[Req]) -> tuple[list[Exchange], tuple[str, tuple[tuple[str, str], ...]]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fake_module, "now", lambda: 1_767_225_600.0)  # one clock for every run
        fake = cluster()
        exchanges = [req.send(fake) for req in order]
    return exchanges, snapshot(fake)


@dataclass(frozen=True)
class Verdict:
    independent: bool  # by the footprints, each taken first on a fresh cluster
    order_matters: bool  # the two orders differ in an answer or the final state
    problem: str | None  # how the pair breaks the contract, if it does


def judge(a: Req, b: Req) -> Verdict:
    """Run ``a`` and ``b`` in both orders and hold the footprints to what happened."""
    ab, state_ab = _run((a, b))
    ba, state_ba = _run((b, a))
    (a_first, b_second), (b_first, a_second) = ab, ba
    order_matters = (a_first[:3], b_second[:3], state_ab) != (a_second[:3], b_first[:3], state_ba)
    if dependent(a_first.footprint, b_first.footprint):
        return Verdict(False, order_matters, None)
    for what, left, right in (
        ("the answer to the first", a_first[:3], a_second[:3]),
        ("the answer to the second", b_second[:3], b_first[:3]),
        ("the final state", state_ab, state_ba),
        ("the first's footprint", a_first.footprint, a_second.footprint),
        ("the second's footprint", b_first.footprint, b_second.footprint),
    ):
        if left != right:
            problem = (f"{a}  and  {b}: independent footprints ({a_first.footprint}, {b_first.footprint}) "
                       f"but the order changes {what}: {left!r} != {right!r}")
            return Verdict(True, order_matters, problem)
    return Verdict(True, order_matters, None)


@dataclass
class Survey:
    """Every pair of the catalogue, judged once (both tests below read it)."""

    pairs: int = 0
    independent: int = 0
    interfering: int = 0  # dependent, and the order does change an answer or the state
    broken: list[str] = field(default_factory=list)


@functools.cache
def survey() -> Survey:
    result = Survey()
    for a, b in itertools.combinations_with_replacement(catalogue(), 2):
        verdict = judge(a, b)
        result.pairs += 1
        result.independent += verdict.independent
        result.interfering += not verdict.independent and verdict.order_matters
        if verdict.problem is not None:
            result.broken.append(verdict.problem)
    return result


def test_independent_footprints_commute_over_the_whole_catalogue() -> None:
    broken = survey().broken
    assert broken == [], f"{len(broken)} unsound pairs, e.g.:\n" + "\n".join(broken[:5])


def test_the_catalogue_exercises_both_sides() -> None:
    """The check above means something only if many pairs are independent (the reduction
    gains) and if dependent pairs do interfere (the check could see a wrong footprint)."""
    result = survey()
    assert result.independent > result.pairs // 2, result
    assert result.interfering > 50, result


# -- random requests ------------------------------------------------------------
#
# Drawn so that pairs meet often: few names (one taken in each SVM, one free), two
# data SVMs, creates and volume queries more often than the rest.

_NAMES = st.sampled_from(["vol_a1", "vol_b1", "vol_new"])
_SCOPES = st.sampled_from([None, "svm_a", "svm_b", "svm_a", "svm_b", ADMIN])
_NO_VOLUME = "f1e70000-0000-4000-8000-0000000000ff"
_VOLUME_UUIDS = st.sampled_from([VOL_A1, NEXT_VOL, NEXT_VOL, SECOND_VOL, _NO_VOLUME])
_JOB_UUIDS = st.sampled_from([RUNNING_JOB, DONE_JOB, NEXT_JOB, next_uuid("job", 1)])


def _filter() -> st.SearchStrategy[str]:
    value = st.one_of(_NAMES, _NAMES, _NAMES.map(lambda n: n[:-1] + "*"), _NAMES.map(lambda n: "!" + n),
                      st.tuples(_NAMES, _NAMES).map("|".join))
    svm = st.sampled_from(["svm_a", "svm_b", "svm_*", "!svm_a"])
    return st.one_of(
        value.map(lambda v: f"name={v}"),
        value.map(lambda v: f"nas.path=/{v}"),
        st.one_of(_VOLUME_UUIDS, st.just("f1e7*")).map(lambda v: f"uuid={v}"),
        svm.map(lambda v: f"svm.name={v}"),
    )


def _query() -> st.SearchStrategy[str]:
    return st.lists(_filter(), max_size=2).map(lambda fs: "?" + "&".join(fs) if fs else "")


def _create() -> st.SearchStrategy[Req]:
    def build(scope: str | None, name: str, path: str | None, named_svm: str | None, size: int) -> Req:
        body: dict[str, object] = {"name": name, "size": size}
        if path is not None:
            body["nas"] = {"path": "/" + path}
        if named_svm is not None:
            body["svm"] = {"name": named_svm}
        return Req("POST", VOLUMES, scope, body)

    return st.builds(build, _SCOPES, _NAMES, st.none() | _NAMES, st.none() | _SCOPES.filter(bool),
                     st.sampled_from([1024**3, 1024**3, -1]))


def _volume_query() -> st.SearchStrategy[Req]:
    return st.builds(lambda s, q: Req("GET", VOLUMES + q, s), _SCOPES, _query())


REQUESTS = st.one_of(
    _create(), _create(), _create(),
    _volume_query(), _volume_query(), _volume_query(),
    st.builds(lambda s, u: Req("GET", f"{VOLUMES}/{u}", s), _SCOPES, _VOLUME_UUIDS),
    st.builds(lambda s, u: Req("GET", f"{VOLUMES}/{u}/files", s), _SCOPES, _VOLUME_UUIDS),
    st.builds(lambda s: Req("POST", EMS_PATH, s, EMS_BODY), _SCOPES),
    st.builds(lambda s: Req("GET", JOBS, s), _SCOPES),
    st.builds(lambda s, j: Req("GET", f"{JOBS}/{j}", s), _SCOPES, _JOB_UUIDS),
    st.builds(lambda s: Req("GET", "/api/cluster", s), _SCOPES),
)


@settings(max_examples=500, deadline=None)
@given(REQUESTS, REQUESTS)
def test_random_pairs_with_independent_footprints_commute(a: Req, b: Req) -> None:
    assert judge(a, b).problem is None
