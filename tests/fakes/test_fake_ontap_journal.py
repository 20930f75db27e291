"""The journal, the declared intents, the wrong-SVM oracle and the decision points."""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest

from race_harness.fakes.ontap import FakeOntap, WrongSvmRequest
from race_harness.fakes.ontap import fake as fake_module
from race_harness.fakes.ontap import oracle as oracle_module

LOOKUP = {"nas.path": "/nfs_volume_ds02", "fields": "name"}


def test_every_request_is_journaled(call: Any, fake: FakeOntap, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake_module, "now", lambda: 42.5)
    call.get("/api//storage/volumes/", params=LOOKUP, svm="svm_data_001")
    call.get("/api/nowhere")
    call.session.auth = ("admin", "wrong")
    call.get("/api/cluster")
    first, second, third = fake.journal.entries
    assert (first.seq, first.time, first.method, first.path) == (0, 42.5, "GET", "/api/storage/volumes")
    assert first.query == "nas.path=%2Fnfs_volume_ds02&fields=name"
    assert first.params == LOOKUP
    assert (first.svm_header, first.status, first.user) == ("svm_data_001", 200, "admin")
    assert first.thread == threading.current_thread().name
    assert (first.intent, first.intent_declared) == (None, False)
    assert (second.path, second.status, second.svm_header) == ("/api/nowhere", 404, None)
    assert (third.status, third.user) == (401, "admin")


@pytest.mark.parametrize(
    ("intent", "header", "wrong"),
    [
        (None, "svm_data_001", True),  # header present when cluster scope was meant
        ("svm_data_001", None, True),  # header absent when an SVM was meant
        ("svm_data_001", "cluster_admin_svm", True),  # another SVM
        ("svm_data_001", "svm_data_001", False),
        (None, None, False),
    ],
    ids=["header-when-none-meant", "no-header-when-svm-meant", "other-svm", "right-svm", "right-cluster"],
)
def test_oracle_cases_collect(
    call: Any, fake: FakeOntap, intent: str | None, header: str | None, wrong: bool
) -> None:
    with fake.journal.intent(intent):
        response = call.get("/api/storage/volumes", params=LOOKUP, svm=header)
    assert response.status_code == 200  # collect mode answers, as ONTAP would
    (entry,) = fake.journal.entries
    assert entry.intent_declared and entry.intent == intent and entry.svm_header == header
    assert entry.wrong_svm is wrong
    assert fake.journal.violations() == ([entry] if wrong else [])


def test_undeclared_requests_are_not_judged(call: Any, fake: FakeOntap) -> None:
    call.get("/api/storage/volumes", svm="cluster_admin_svm")
    (entry,) = fake.journal.entries
    assert not entry.intent_declared and not entry.wrong_svm
    assert fake.journal.violations() == [] and fake.journal.undeclared() == [entry]


def test_collect_mode_answers_the_violating_request_as_ontap_would(call: Any, fake: FakeOntap) -> None:
    with fake.journal.intent("svm_data_001"):
        body = call.get("/api/storage/volumes", params=LOOKUP, svm="cluster_admin_svm").json()
    assert body["records"] == []  # how the production "Volumes found: []" arises
    assert [e.status for e in fake.journal.violations()] == [200]


@pytest.mark.parametrize(
    ("intent", "header", "expected"),
    [
        (None, "svm_data_001", ["X-Dot-SVM-Name: svm_data_001", "cluster scope"]),
        ("svm_data_001", None, ["no X-Dot-SVM-Name header", "SVM 'svm_data_001'"]),
        ("svm_data_001", "cluster_admin_svm", ["X-Dot-SVM-Name: cluster_admin_svm", "SVM 'svm_data_001'"]),
    ],
)
def test_raise_mode_raises_in_the_sender_and_fails_the_run(
    caller_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    intent: str | None,
    header: str | None,
    expected: list[str],
) -> None:
    failures: list[BaseException] = []
    monkeypatch.setattr(oracle_module, "record_failure", failures.append)
    fake = FakeOntap.default(oracle="raise")
    call = caller_for(fake)
    with fake.journal.intent(intent), pytest.raises(WrongSvmRequest) as info:
        call.get("/api/storage/volumes", params=LOOKUP, svm=header)
    error = info.value
    assert isinstance(error, AssertionError)
    assert failures == [error]  # recorded before it was raised
    message = str(error)
    for part in ["GET /api/storage/volumes", threading.current_thread().name, *expected]:
        assert part in message
    (entry,) = fake.journal.entries
    assert error.entry.seq == entry.seq and entry.status is None  # never answered


def test_raise_mode_lets_right_and_undeclared_requests_through(caller_for: Any) -> None:
    fake = FakeOntap.default(oracle="raise")
    call = caller_for(fake)
    with fake.journal.intent("svm_data_001"):
        assert call.get("/api/storage/volumes", svm="svm_data_001").status_code == 200
    assert call.get("/api/storage/volumes", svm="cluster_admin_svm").status_code == 200
    assert fake.journal.violations() == []


def test_unknown_oracle_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="raise"):
        FakeOntap.default(oracle="shout")  # type: ignore[arg-type]


def test_intents_nest_and_restore_even_on_error(fake: FakeOntap) -> None:
    me = threading.current_thread().name
    with fake.journal.intent("svm_data_001"):
        with pytest.raises(RuntimeError), fake.journal.intent(None):
            assert fake.journal.current_intent(me) == (True, None)
            raise RuntimeError
        assert fake.journal.current_intent(me) == (True, "svm_data_001")
    assert fake.journal.current_intent(me) == (False, None)


def test_intents_are_kept_per_thread(caller_for: Any) -> None:
    """Each sender is judged by its own declaration (keyed by current_thread_name)."""
    fake = FakeOntap.default(oracle="collect")
    declared, sent = threading.Barrier(2, timeout=10), threading.Barrier(2, timeout=10)

    def worker(intent: str | None, header: str | None) -> None:
        call = caller_for(fake)
        with fake.journal.intent(intent):
            declared.wait()  # both intents are in force while both requests are sent
            call.get("/api/storage/volumes", svm=header)
            sent.wait()

    threads = [
        threading.Thread(target=worker, args=("svm_data_001", "svm_data_001"), name="sender-a"),
        threading.Thread(target=worker, args=(None, "svm_data_001"), name="sender-b"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    by_thread = {e.thread: e for e in fake.journal.entries}
    assert by_thread["sender-a"].intent == "svm_data_001" and not by_thread["sender-a"].wrong_svm
    assert by_thread["sender-b"].intent is None and by_thread["sender-b"].wrong_svm
    assert [e.thread for e in fake.journal.violations()] == ["sender-b"]


def test_clear_keeps_sequence_numbers_growing(call: Any, fake: FakeOntap) -> None:
    call.get("/api/cluster")
    fake.journal.clear()
    call.get("/api/cluster")
    assert [(e.seq, e.status) for e in fake.journal.entries] == [(1, 200)]


def test_credentials_never_stored_or_shown(caller_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oracle_module, "record_failure", lambda error: None)
    fake = FakeOntap.default(oracle="raise", password="s3cr3t-Passw0rd")
    call = caller_for(fake)
    secrets = ["s3cr3t-Passw0rd", base64.b64encode(b"admin:s3cr3t-Passw0rd").decode()]
    call.get("/api/cluster")
    with fake.journal.intent(None), pytest.raises(WrongSvmRequest) as info:
        call.get("/api/storage/volumes", svm="svm_data_001")
    call.session.auth = ("admin", "s3cr3t-Passw0rd-wrong")
    refused = call.get("/api/cluster")
    texts = [
        repr(fake.journal.entries),
        str(fake.journal.entries),
        fake.journal.format(),
        str(info.value),
        repr(info.value),
        repr(fake),
        repr(fake.credentials),
        refused.text,
        repr([vars(e) if hasattr(e, "__dict__") else e for e in fake.journal.entries]),
    ]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert {e.user for e in fake.journal.entries} == {"admin"}


def test_send_and_recv_are_decision_points(
    call: Any, fake: FakeOntap, monkeypatch: pytest.MonkeyPatch
) -> None:
    points: list[tuple[str, float]] = []
    notes: list[tuple[str, str]] = []
    monkeypatch.setattr(fake_module, "io_point",
                        lambda label, delay=0.0, footprint=None: points.append((label, delay)))
    monkeypatch.setattr(fake_module, "note", lambda kind, detail: notes.append((kind, detail)))
    monkeypatch.setattr(fake_module, "in_run", lambda: True)  # notes are only built inside a run
    fake.set_latency("GET /api/storage/volumes", 0.002)
    with fake.journal.intent("svm_data_001"):
        call.get("/api//storage/volumes/", svm="svm_data_001")
        call.get("/api/cluster")
    assert points == [
        ("ontap send GET /api/storage/volumes", 0.0),
        ("ontap recv GET /api/storage/volumes", 0.002),
        ("ontap send GET /api/cluster", 0.0),
        ("ontap recv GET /api/cluster", 0.0),
    ]
    assert [kind for kind, _ in notes] == ["request", "request"]
    assert "GET /api/storage/volumes" in notes[0][1] and "svm_data_001" in notes[0][1]
    assert "meant svm_data_001" in notes[0][1] and "no X-Dot-SVM-Name header" in notes[1][1]


def test_a_refused_request_is_not_sent(caller_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    points: list[str] = []
    monkeypatch.setattr(fake_module, "io_point",
                        lambda label, delay=0.0, footprint=None: points.append(label))
    monkeypatch.setattr(oracle_module, "record_failure", lambda error: None)
    fake = FakeOntap.default(oracle="raise")
    with fake.journal.intent(None), pytest.raises(WrongSvmRequest):
        caller_for(fake).get("/api/storage/volumes", svm="svm_data_001")
    assert points == []


def test_latency_configuration(fake: FakeOntap) -> None:
    fake.set_latency("*", 0.5)
    fake.set_latency("GET /api/cluster", 0.01)
    assert fake.latency("GET /api/cluster") == 0.01
    assert fake.latency("GET /api/storage/volumes") == 0.5
    assert fake.latency(None) == 0.5  # unknown endpoints take the default too
    with pytest.raises(ValueError, match="known routes"):
        fake.set_latency("GET /api/storage/lunz", 1)
    with pytest.raises(ValueError, match=">= 0"):
        fake.set_latency("GET /api/cluster", -1)
