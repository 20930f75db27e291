"""The preemptive model: switch points at shared-state accesses, installed and
removed without editing the code under test."""

from __future__ import annotations

import eventlet
import pytest
from engine_helpers import global_state, live_greenlets, make_target

import harness
from harness.instrument import SharedAttribute, preempt_calls, shared_attributes


class Session:
    """A toy HTTP session whose SVM header two workers share (the real bug's shape)."""

    timeout = 30

    def __init__(self) -> None:
        self.svm: str | None = None


class Client:
    def __init__(self) -> None:
        self.session = Session()

    def send(self, svm: str) -> str | None:
        self.session.svm = svm  # set the header...
        return self.session.svm  # ...and read it back when the request goes out


def shared_session() -> None:
    client = Client()
    wrong: list[tuple[str, str | None]] = []

    def worker(svm: str) -> None:
        sent = client.send(svm)
        if sent != svm:
            wrong.append((svm, sent))

    first, second = eventlet.spawn(worker, "vs1"), eventlet.spawn(worker, "vs2")
    first.wait()
    second.wait()
    assert not wrong, f"requests sent with the wrong SVM: {wrong}"


SESSION_RACE = make_target(shared_session, instrument=lambda: shared_attributes(Session, "svm"))


def test_shared_session_race_passes_cooperatively_and_fails_preemptively() -> None:
    cooperative = harness.explore(SESSION_RACE, strategy="dfs", preemption="cooperative")
    assert cooperative.passed and cooperative.exhausted

    preemptive = harness.explore(SESSION_RACE, strategy="dfs", preemption="preemptive", schedules=1000)
    failure = preemptive.failure
    assert failure is not None
    assert "wrong SVM" in str(failure.error)
    assert failure.schedule.split(":")[3] == "p"
    assert failure.preemptions >= 1
    details = [event.detail for event in failure.trace.of_kind("run")]
    assert any(detail.startswith("after Session.svm set") for detail in details)
    assert any(detail.startswith("after Session.svm get") for detail in details)
    # and it replays, instrumentation included
    again = harness.replay(SESSION_RACE, failure.schedule)
    assert again.trace.lines() == failure.trace.lines()


def test_preemptive_exploration_puts_the_class_back() -> None:
    before = dict(vars(Session))
    harness.explore(SESSION_RACE, strategy="dfs", preemption="preemptive")
    assert dict(vars(Session)) == before
    assert "svm" not in vars(Session)


def test_instrumentation_is_undone_after_a_keyboard_interrupt() -> None:
    def body() -> None:
        Client().send("vs1")
        eventlet.spawn(eventlet.sleep, 1)
        raise KeyboardInterrupt

    target = make_target(body, instrument=lambda: shared_attributes(Session, "svm"))
    before_state, alive = global_state(), live_greenlets()
    with pytest.raises(KeyboardInterrupt):
        harness.explore(target, strategy="dfs", preemption="preemptive")
    assert "svm" not in vars(Session)
    assert global_state() == before_state
    assert live_greenlets() - alive == set()


def test_preemption_points_are_inert_cooperatively_and_outside_runs() -> None:
    with shared_attributes(Session, "svm"):
        assert isinstance(vars(Session)["svm"], SharedAttribute)
        assert Client().send("vs9") == "vs9"  # outside a run: just the value
    result = harness.replay(SESSION_RACE, f"rh1:{SESSION_RACE.name}:c:{SESSION_RACE.fingerprint}:-")
    assert not any("Session.svm" in line for line in result.trace.lines())


# -- shared_attributes ---------------------------------------------------------------

def test_shared_attributes_keep_values_where_they_were() -> None:
    session = Session()
    session.svm = "before"
    with shared_attributes(Session, "svm", "timeout"):
        assert session.svm == "before"
        session.svm = "during"
        assert vars(session)["svm"] == "during"  # stored in the instance dict, as before
        assert session.timeout == 30  # falls back to the class attribute
        session.timeout = 5
        assert session.timeout == 5
        del session.timeout
        assert session.timeout == 30
        assert Session.timeout == 30  # class access is unchanged
        with pytest.raises(AttributeError):
            del session.timeout
    assert session.svm == "during"
    assert vars(Session)["timeout"] == 30
    assert "svm" not in vars(Session)


def test_shared_attributes_missing_attribute_is_still_an_attribute_error() -> None:
    with shared_attributes(Session, "svm"):
        bare = Session.__new__(Session)
        with pytest.raises(AttributeError, match="'svm'"):
            _ = bare.svm


def test_shared_attributes_refuse_properties_and_empty_lists() -> None:
    class WithProperty:
        @property
        def value(self) -> int:
            return 1

    with pytest.raises(TypeError, match="preempt_calls"), shared_attributes(WithProperty, "value"):
        pass
    assert isinstance(vars(WithProperty)["value"], property)
    with pytest.raises(ValueError, match="at least one"), shared_attributes(Session):
        pass


def test_shared_attributes_nest_and_unwind_on_error() -> None:
    with pytest.raises(RuntimeError), shared_attributes(Session, "svm"):
        with shared_attributes(Session, "svm"):  # already instrumented: left alone
            pass
        assert isinstance(vars(Session)["svm"], SharedAttribute)
        raise RuntimeError
    assert "svm" not in vars(Session)


# -- preempt_calls ---------------------------------------------------------------------

class Api:
    def method(self) -> str:
        return "method"

    @staticmethod
    def static() -> str:
        return "static"

    @classmethod
    def klass(cls) -> str:
        return cls.__name__


class SubApi(Api):
    pass


def test_preempt_calls_wraps_functions_static_and_class_methods_and_restores_them() -> None:
    originals = dict(vars(Api))
    with preempt_calls(Api, "method", "static", "klass"):
        assert (Api().method(), Api.static(), SubApi.klass()) == ("method", "static", "SubApi")
        assert isinstance(vars(Api)["static"], staticmethod)
        assert isinstance(vars(Api)["klass"], classmethod)
        assert vars(Api)["method"] is not originals["method"]
        assert vars(Api)["method"].__wrapped__ is originals["method"]
    assert dict(vars(Api)) == originals


def test_preempt_calls_on_an_inherited_name_removes_the_wrapper_afterwards() -> None:
    with preempt_calls(SubApi, "method"):
        assert "method" in vars(SubApi)
        assert SubApi().method() == "method"
    assert "method" not in vars(SubApi)


def test_preempt_calls_labels_name_the_function() -> None:
    def body() -> None:
        def worker() -> None:
            Api().method()

        first, second = eventlet.spawn(worker), eventlet.spawn(worker)
        first.wait()
        second.wait()

    target = make_target(body, instrument=lambda: preempt_calls(Api, "method"))
    exploration = harness.explore(target, strategy="dfs", preemption="preemptive", stop_on_failure=False)
    assert exploration.passed and exploration.exhausted
    cooperative = harness.explore(target, strategy="dfs", preemption="cooperative")
    assert exploration.schedules_run > cooperative.schedules_run  # the calls added choices
    replayed = harness.replay(target, f"rh1:{target.name}:p:{target.fingerprint}:1")
    labels = {event.detail.split(" [")[0] for event in replayed.trace.of_kind("run")}
    assert any(label.startswith("after call Api.method") for label in labels), labels
