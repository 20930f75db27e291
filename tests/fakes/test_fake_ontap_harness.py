"""The fake inside real harness runs: greenthread names, virtual time, failing runs."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import requests

import harness
from race_harness.fakes.ontap import FakeOntap, WrongSvmRequest

if not hasattr(harness, "explore"):  # the engine is built alongside the fake
    pytest.skip("harness._search.explore is not available yet", allow_module_level=True)

eventlet = pytest.importorskip("eventlet")


def _session(fake: FakeOntap) -> requests.Session:
    session = requests.Session()
    session.auth = (fake.username, fake.password)
    return session


def test_intents_are_per_greenthread_in_every_schedule() -> None:
    """Each greenthread yields between declaring and sending: a shared intent would mix up."""
    journals: list[list[Any]] = []

    def target() -> None:
        fake = FakeOntap.default(oracle="collect")

        def sender(intent: str | None) -> None:
            with fake.journal.intent(intent):
                eventlet.sleep(0)
                headers = {"X-Dot-SVM-Name": intent} if intent else {}
                _session(fake).get(fake.base_url + "/api/storage/volumes", headers=headers)

        with fake.installed():
            threads = [eventlet.spawn(sender, "svm_data_001"), eventlet.spawn(sender, None)]
            for thread in threads:
                thread.wait()
        journals.append(list(fake.journal.entries))

    exploration = harness.explore(target, strategy="random", schedules=25, seed=7)
    assert exploration.passed, exploration.failure and exploration.failure.describe()
    assert journals and all(len(entries) == 2 for entries in journals)
    for entries in journals:
        assert all(e.intent_declared and not e.wrong_svm for e in entries)
        assert {e.thread for e in entries} <= {f"gt{i}" for i in range(1, 10)}
        assert len({e.thread for e in entries}) == 2


def test_a_swallowed_violation_still_fails_the_run() -> None:
    """Code under test that catches everything cannot hide a wrong-SVM request."""

    def target() -> None:
        fake = FakeOntap.default(oracle="raise")
        # contextlib.suppress: the code under test swallows every exception
        with fake.installed(), fake.journal.intent("svm_data_001"), contextlib.suppress(Exception):
            _session(fake).get(
                fake.base_url + "/api/storage/volumes", headers={"X-Dot-SVM-Name": "cluster_admin_svm"}
            )

    exploration = harness.explore(target, strategy="random", schedules=3, seed=1)
    assert exploration.failure is not None
    assert isinstance(exploration.failure.error, WrongSvmRequest)
    assert "X-Dot-SVM-Name: cluster_admin_svm" in str(exploration.failure.error)


def test_latency_is_virtual_time() -> None:
    times: list[tuple[float, float]] = []

    def target() -> None:
        fake = FakeOntap.default(oracle="collect")
        fake.set_latency("GET /api/cluster", 30.0)
        with fake.installed():
            before = harness.now()
            _session(fake).get(fake.base_url + "/api/cluster")
            times.append((before, harness.now()))

    exploration = harness.explore(target, strategy="random", schedules=1, seed=1)
    assert exploration.passed and exploration.elapsed < 5
    ((before, after),) = times
    assert after - before == pytest.approx(30.0)
