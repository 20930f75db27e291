"""The fake's footprints: what each request touches, exactly, so partial-order reduction can use it.

Pairs that commute must have independent footprints (or the reduction gains
nothing), pairs that can see each other's effect must be dependent (or the
reduction skips a real race).  The second half is proved exhaustively and at
random in ``test_fake_ontap_footprint_soundness.py``; here are the pairs the
clients actually send, named, and the footprint reaching the harness.
"""

from __future__ import annotations

from typing import Any

import eventlet
import pytest
import requests
from ontap_requests import (
    AUTH,
    EMS_BODY,
    EMS_PATH,
    SVMS,
    VOLUMES,
    Req,
    cluster,
    job_uuids,
    next_uuid,
    uuid_of,
)

import harness
from harness import Target
from harness._engine.footprint import dependent
from harness.strategies import BoundedDfsStrategy
from race_harness.fakes.ontap import FakeOntap
from race_harness.fakes.ontap import fake as fake_module
from race_harness.fakes.ontap import footprints as fp
from race_harness.fakes.ontap.footprints import Footprint

JOURNAL_READ = Footprint(reads=frozenset({fp.JOURNAL}))


def footprint(method: str, path: str, svm: str | None = None, body: Any = None) -> Footprint:
    """The footprint of one request on a fresh cluster."""
    return Req(method, path, svm, body).send(cluster()).footprint


def create(svm: str = "svm_a", name: str = "vol_new", **extra: Any) -> Footprint:
    return footprint("POST", VOLUMES, svm, {"name": name, **extra})


NEXT_VOLUME, NEXT_JOB = next_uuid("volume"), next_uuid("job")
VOL_A1 = uuid_of("vol_a1", "svm_a")
RUNNING_JOB, OTHER_JOB = job_uuids()


INDEPENDENT: dict[str, tuple[Footprint, Footprint]] = {
    "two lists": (footprint("GET", VOLUMES, "svm_a"), footprint("GET", VOLUMES, "svm_a")),
    "create vs list of another SVM": (create("svm_a"), footprint("GET", VOLUMES, "svm_b")),
    "create vs lookup of another name": (
        create("svm_a"), footprint("GET", VOLUMES + "?name=vol_a1", "svm_a")),
    "create vs lookup of the same name in another SVM": (
        create("svm_a"), footprint("GET", VOLUMES + "?name=vol_new", "svm_b")),
    "create vs lookup by another junction path": (
        create("svm_a", nas={"path": "/vol_new"}), footprint("GET", VOLUMES + "?nas.path=/vol_a1", "svm_a")),
    "create vs get of an existing volume": (create(), footprint("GET", f"{VOLUMES}/{VOL_A1}")),
    "create vs a cluster-scoped query of another SVM": (
        create("svm_a"), footprint("GET", VOLUMES + "?svm.name=svm_b")),
    "create vs EMS": (create(), footprint("POST", EMS_PATH, "svm_a", EMS_BODY)),
    "create vs jobs of another SVM": (create("svm_a"), footprint("GET", "/api/cluster/jobs", "svm_b")),
    "create vs cluster version": (create(), footprint("GET", "/api/cluster")),
    "EMS vs list": (footprint("POST", EMS_PATH, None, EMS_BODY), footprint("GET", VOLUMES)),
    "polls of two jobs": (footprint("GET", f"/api/cluster/jobs/{RUNNING_JOB}"),
                          footprint("GET", f"/api/cluster/jobs/{OTHER_JOB}")),
    "poll vs volumes": (footprint("GET", f"/api/cluster/jobs/{RUNNING_JOB}"), footprint("GET", VOLUMES)),
    "two gets of one volume": (footprint("GET", f"{VOLUMES}/{VOL_A1}"),
                               footprint("GET", f"{VOLUMES}/{VOL_A1}")),
    "refused requests": (footprint("GET", "/api/no/such/route"), footprint("GET", VOLUMES, "svm_ghost")),
}

DEPENDENT: dict[str, tuple[Footprint, Footprint]] = {
    "create vs list in the same SVM": (create("svm_a"), footprint("GET", VOLUMES, "svm_a")),
    "create vs cluster-scoped list": (create("svm_a"), footprint("GET", VOLUMES)),
    "create vs a wildcard query in the same SVM": (
        create("svm_a"), footprint("GET", VOLUMES + "?name=vol_*", "svm_a")),
    "create vs lookup of its name": (create("svm_a"), footprint("GET", VOLUMES + "?name=vol_new", "svm_a")),
    "create vs lookup of its name, cluster-scoped": (
        create("svm_a"), footprint("GET", VOLUMES + "?name=vol_new")),
    "create vs a cluster-scoped query of its SVM": (
        create("svm_a"), footprint("GET", VOLUMES + "?svm.name=svm_a&fields=name")),
    "create vs lookup of its junction path": (
        create("svm_a", nas={"path": "/vol_new"}), footprint("GET", VOLUMES + "?nas.path=/vol_new", "svm_a")),
    "create vs get of the uuid it takes": (create(), footprint("GET", f"{VOLUMES}/{NEXT_VOLUME}")),
    "create vs files of the uuid it takes": (create(), footprint("GET", f"{VOLUMES}/{NEXT_VOLUME}/files")),
    "two creates in different SVMs (they swap uuids)": (create("svm_a"), create("svm_b", "vol_other")),
    "create vs a refused duplicate of its name": (create("svm_a"), create("svm_a", "vol_new", size=-1)),
    "cluster-scoped create vs tunneled create of the name": (
        footprint("POST", VOLUMES, None, {"name": "vol_new", "svm": {"name": "svm_a"}}), create("svm_a")),
    "create vs jobs of its SVM": (create("svm_a"), footprint("GET", "/api/cluster/jobs", "svm_a")),
    "create vs poll of the job it makes": (create(), footprint("GET", f"/api/cluster/jobs/{NEXT_JOB}")),
    "two polls of one job": (footprint("GET", f"/api/cluster/jobs/{RUNNING_JOB}"),
                             footprint("GET", f"/api/cluster/jobs/{RUNNING_JOB}", "svm_a")),
    "poll vs jobs listing": (footprint("GET", f"/api/cluster/jobs/{RUNNING_JOB}"),
                             footprint("GET", "/api/cluster/jobs")),
    "two EMS posts (numbered in order)": (footprint("POST", EMS_PATH, None, EMS_BODY),
                                          footprint("POST", EMS_PATH, "svm_a", EMS_BODY)),
    "a journal read vs a lookup": (JOURNAL_READ, footprint("GET", VOLUMES)),
    "a journal read vs a refused request": (JOURNAL_READ, footprint("GET", "/api/cluster", "svm_ghost")),
}


@pytest.mark.parametrize("pair", INDEPENDENT.values(), ids=INDEPENDENT)
def test_requests_that_commute_have_independent_footprints(pair: tuple[Footprint, Footprint]) -> None:
    assert not dependent(*pair), pair


@pytest.mark.parametrize("pair", DEPENDENT.values(), ids=DEPENDENT)
def test_requests_that_interfere_have_dependent_footprints(pair: tuple[Footprint, Footprint]) -> None:
    assert dependent(*pair), pair


def test_footprints_name_the_objects_a_request_touched() -> None:
    assert create("svm_a", nas={"path": "/vol_new"}) == Footprint(
        reads=frozenset({fp.svm("svm_a"), fp.AGGREGATES, fp.volume_name("svm_a", "vol_new")}),
        writes=frozenset({
            fp.volume(NEXT_VOLUME), fp.volume_name("svm_a", "vol_new"), fp.junction("svm_a", "/vol_new"),
            fp.volumes("svm_a"), fp.uuids("volume"), fp.uuids("job"), fp.job(NEXT_JOB), fp.jobs("svm_a"),
        }),
        appends=frozenset({fp.JOURNAL}),
    )
    lookup = footprint("GET", VOLUMES + "?name=vol_a1&fields=uuid")
    assert lookup.reads == {fp.volume_name(s, "vol_a1") for s in ("cluster_admin_svm", "svm_a", "svm_b")}
    assert lookup.writes == frozenset()
    assert footprint("GET", "/api/cluster", "svm_a").reads == {fp.svm("svm_a"), fp.CLUSTER}


def test_the_fake_uses_the_engines_public_footprint_type() -> None:
    assert Footprint is harness.Footprint


def test_every_route_declares_a_footprint_that_is_not_opaque() -> None:
    for route in cluster().routes.routes:
        path = route.pattern.replace("{uuid}", VOL_A1).replace("{path}", "f")
        exchange = Req(route.method, path, body={} if route.method == "POST" else None).send(cluster())
        assert not exchange.footprint.opaque, route.key
        assert fp.JOURNAL in exchange.footprint.appends, route.key


def test_a_bug_of_the_fake_makes_its_answer_opaque(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a handler touched before it crashed is unknown: dependent on every step."""

    def broken(*args: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr(fake_module, "answer", broken)
    fake = cluster()
    exchange = fake.exchange("GET", fake.base_url + "/api/cluster", {"Authorization": AUTH})
    assert exchange.status == 500 and exchange.footprint.opaque
    assert [type(e) for e in fake.internal_errors] == [KeyError]


def _pair(first: tuple[str, str, dict[str, Any] | None], second: tuple[str, str, dict[str, Any] | None],
          complete: bool = True) -> Target:
    """Two greenthreads, each sending one request (method, path, svm, body) through the adapter."""

    def body() -> None:
        fake = FakeOntap.with_svms(SVMS, oracle="raise")

        def send(method: str, svm: str, payload: dict[str, Any] | None) -> None:
            with fake.journal.intent(svm):
                session = requests.Session()
                session.auth = (fake.username, fake.password)
                session.request(method, fake.base_url + VOLUMES, json=payload,
                                headers={"X-Dot-SVM-Name": svm})

        with fake.installed():
            threads = [eventlet.spawn(send, *first), eventlet.spawn(send, *second)]
            for thread in threads:
                thread.wait()

    return Target("fake_footprints:pair", body, "0123456789ab", complete_footprints=complete)


def _explored(target: Target) -> int:
    strategy = BoundedDfsStrategy(None)
    outcome = harness.explore(target, strategy=strategy, schedules=5000, stop_on_failure=False,
                              database="off")
    assert outcome.passed and outcome.exhausted
    return strategy.explored


def test_a_create_and_a_list_commute_in_the_harness_only_across_svms() -> None:
    """The exact footprints reach the reduction: a create in one SVM and a list of another
    are one order; in the same SVM the list sees the create or not, two orders."""
    create_a = ("POST", "svm_a", {"name": "vol_new"})
    assert _explored(_pair(create_a, ("GET", "svm_b", None))) == 1
    assert _explored(_pair(create_a, ("GET", "svm_a", None))) >= 2


def _two_lookups(complete: bool) -> Target:
    def body() -> None:
        fake = FakeOntap.default(oracle="raise")

        def lookup() -> None:
            with fake.journal.intent(None):
                session = requests.Session()
                session.auth = (fake.username, fake.password)
                session.get(fake.base_url + "/api/storage/volumes")

        with fake.installed():
            threads = [eventlet.spawn(lookup), eventlet.spawn(lookup)]
            for thread in threads:
                thread.wait()
        assert not fake.journal.violations()

    return Target("fake_footprints:two_lookups", body, "0123456789ab", complete_footprints=complete)


def test_two_reads_through_the_fake_are_explored_as_one_order() -> None:
    runs = {}
    for complete in (False, True):
        strategy = BoundedDfsStrategy(None)
        outcome = harness.explore(_two_lookups(complete), strategy=strategy, schedules=5000,
                                  stop_on_failure=False, database="off")
        assert outcome.passed and outcome.exhausted
        runs[complete] = (outcome.schedules_run, strategy.explored)
    assert runs[True][1] == 1, runs  # journal appends commute, the two GETs read only
    assert runs[True][0] < runs[False][0], runs
