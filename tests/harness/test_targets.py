"""Targets: names a schedule can carry, fingerprints that notice edits, resolution."""

from __future__ import annotations

import warnings

import pytest
from engine_programs import lost_update

import harness
from harness._errors import UnknownTarget
from harness._schedule import Schedule
from harness._targets import (
    Expectation,
    Registry,
    Target,
    fingerprint_of,
    resolve_target,
    target_from_callable,
)


def test_a_callable_becomes_a_target_named_module_colon_qualname() -> None:
    target = target_from_callable(lost_update)
    assert target.name == "engine_programs:lost_update"
    assert target.body is lost_update
    assert len(target.fingerprint) == 12


def test_names_of_closures_and_lambdas_are_made_schedule_safe() -> None:
    # Regression: "<locals>" and "<lambda>" made every failing schedule unencodable.
    def inner() -> None:
        pass

    for func in (inner, lambda: None):
        target = target_from_callable(func)
        assert "<" not in target.name and ">" not in target.name
        Schedule(target.name, "cooperative", target.fingerprint, (0,))  # does not raise
    assert target_from_callable(inner).name.endswith(
        ":test_names_of_closures_and_lambdas_are_made_schedule_safe._locals_.inner")


def test_the_fingerprint_follows_the_source() -> None:
    def one() -> int:
        return 1

    def two() -> int:
        return 2

    assert fingerprint_of(one) == fingerprint_of(one)
    assert fingerprint_of(one) != fingerprint_of(two)
    assert fingerprint_of(one, two) != fingerprint_of(two, one)
    assert fingerprint_of(len) == fingerprint_of(len)  # no source: falls back to the name


def test_resolve_target_accepts_targets_callables_and_import_strings() -> None:
    target = Target("x", lost_update, "ab")
    assert resolve_target(target) is target
    assert resolve_target(lost_update).name == "engine_programs:lost_update"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a plug-in of another package may warn while loading
        imported = resolve_target("engine_programs:lost_update")
    assert imported.body is lost_update
    assert imported.name == "engine_programs:lost_update"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("no_colon_here", "not a registered scenario:variant"),
        ("engine_programs:", "not a registered scenario:variant"),
        ("no_such_module_xyz:f", "cannot be imported"),
        ("engine_programs:no_such_function", "has no attribute 'no_such_function'"),
        ("engine_programs:FINGERPRINT", "is not callable (it is a str)"),
    ],
)
def test_unknown_targets_say_what_is_wrong_and_what_to_run(spec: str, words: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(UnknownTarget) as info:
            resolve_target(spec)
    assert words in str(info.value)


def test_registry_keeps_registration_order_and_refuses_duplicates() -> None:
    registry = Registry()
    for name in ("zeta", "alpha", "mid"):
        registry.add(Target(name, lost_update, "ab"))
    assert registry.names() == ["zeta", "alpha", "mid"]
    assert [t.name for t in registry.targets()] == ["zeta", "alpha", "mid"]
    assert registry.get("alpha") is not None and registry.get("nope") is None
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(Target("mid", lost_update, "cd"))


def test_a_target_finds_its_expectation_per_model() -> None:
    target = Target("t", lost_update, "ab", expectations=(
        Expectation("cooperative", "pass"), Expectation("preemptive", "fail", strategy="random"),
    ))
    assert target.expectation("preemptive") == Expectation("preemptive", "fail", strategy="random")
    assert Target("u", lost_update, "ab").expectation("cooperative") is None


def test_a_target_can_carry_its_horizon() -> None:
    def periodic() -> None:
        import eventlet

        while True:
            eventlet.sleep(60)

    exploration = harness.explore(Target("periodic", periodic, "ab", until=600), strategy="dfs")
    assert exploration.passed


def test_factory_targets_are_built_only_when_their_scenario_is_asked_for() -> None:
    from harness._targets import Registry, Target

    built: list[str] = []

    def factory() -> list[Target]:
        built.append("lazy")
        return [Target("lazy:a", lambda: None, "0"), Target("lazy:b", lambda: None, "0")]

    registry = Registry()
    registry.add(Target("eager:x", lambda: None, "0"))
    registry.add_factory(("lazy",), factory)
    assert registry.get("eager:x") is not None
    assert built == []
    assert registry.get("lazy:b") is not None
    assert built == ["lazy"]
    assert registry.names() == ["eager:x", "lazy:a", "lazy:b"]
    assert built == ["lazy"]
