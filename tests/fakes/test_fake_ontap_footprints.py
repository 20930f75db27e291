"""The fake's footprints: what each request touches, so partial-order reduction can use it."""

from __future__ import annotations

import eventlet
import requests

import harness
from harness import Target
from harness._engine.footprint import dependent
from harness.strategies import BoundedDfsStrategy
from race_harness.fakes.ontap import FakeOntap
from race_harness.fakes.ontap.routes import NO_ROUTE, ROUTE_FOOTPRINTS, ROUTES, route_footprint


def test_every_route_declares_its_footprint() -> None:
    keys = [f"{method} {pattern}" for method, pattern, _handler in ROUTES]
    assert sorted(keys) == sorted(ROUTE_FOOTPRINTS)
    assert not any(footprint.opaque for footprint in ROUTE_FOOTPRINTS.values())


def test_reads_commute_and_writes_conflict_with_what_they_change() -> None:
    volumes = route_footprint("GET /api/storage/volumes")
    assert not dependent(volumes, route_footprint("GET /api/storage/volumes/{uuid}"))
    assert not dependent(volumes, route_footprint("GET /api/cluster"))
    assert dependent(volumes, route_footprint("POST /api/storage/volumes"))
    assert not dependent(volumes, route_footprint("POST /api/support/ems/application-logs"))


def test_a_job_poll_counts_down_so_it_writes() -> None:
    poll = route_footprint("GET /api/cluster/jobs/{uuid}")
    assert dependent(poll, poll)


def test_unknown_routes_are_opaque_and_refused_requests_touch_nothing_that_changes() -> None:
    assert route_footprint("GET /api/not/a/route").opaque
    assert route_footprint(None) == NO_ROUTE and not dependent(NO_ROUTE, NO_ROUTE)


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
