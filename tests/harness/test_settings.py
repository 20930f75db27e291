"""Settings: defaults, RACE_* variables, and errors that name the variable."""

from __future__ import annotations

import pytest

import harness
from harness._errors import InvalidSetting
from harness._settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert (settings.schedules, settings.seed, settings.strategy, settings.preemption) == (
        1000, 0, "random", "cooperative")
    assert settings.stop_on_failure is True


def test_race_variables_override_the_defaults() -> None:
    settings = Settings.from_env({
        "RACE_SCHEDULES": "25", "RACE_SEED": "7", "RACE_STRATEGY": " dfs ",
        "RACE_PREEMPTION": "preemptive", "RACE_MAX_STEPS": "500", "RACE_STOP_ON_FAILURE": "no",
        "UNRELATED": "x",
    })
    assert settings == Settings(schedules=25, seed=7, strategy="dfs", preemption="preemptive",
                                max_steps=500, stop_on_failure=False)


@pytest.mark.parametrize("raw", ["1", "true", "YES", "on"])
def test_true_spellings(raw: str) -> None:
    assert Settings.from_env({"RACE_STOP_ON_FAILURE": raw}).stop_on_failure is True


@pytest.mark.parametrize(
    ("variable", "raw", "words"),
    [
        ("RACE_SCHEDULES", "many", "not a whole number"),
        ("RACE_SCHEDULES", "0", ">= 1"),
        ("RACE_SCHEDULES", "-5", ">= 1"),
        ("RACE_SEED", "-1", ">= 0"),
        ("RACE_SEED", "0x10", "not a whole number"),
        ("RACE_MAX_STEPS", "1.5", "not a whole number"),
        ("RACE_MAX_STEPS", "0", ">= 1"),
        ("RACE_STRATEGY", "bogus", "not one of: random, dfs"),
        ("RACE_PREEMPTION", "threads", "not one of: cooperative, preemptive"),
        ("RACE_STOP_ON_FAILURE", "maybe", "true/false"),
        ("RACE_STOP_ON_FAILURE", "", "true/false"),
    ],
)
def test_a_bad_variable_is_named_in_the_error(variable: str, raw: str, words: str) -> None:
    with pytest.raises(InvalidSetting) as info:
        Settings.from_env({variable: raw})
    message = str(info.value)
    assert f"{variable}={raw!r}" in message
    assert words in message


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACE_SEED", "99")
    assert Settings.from_env().seed == 99
    monkeypatch.setenv("RACE_SEED", "x")
    with pytest.raises(InvalidSetting, match="RACE_SEED"):
        harness.explore(lambda: None)


def test_overrides_skip_none_and_are_checked() -> None:
    base = Settings(seed=3)
    assert base.with_overrides(seed=None, schedules=5) == Settings(seed=3, schedules=5)
    with pytest.raises(InvalidSetting, match="schedules must be"):
        base.with_overrides(schedules=0)
    with pytest.raises(InvalidSetting, match="schedules must be"):
        Settings(schedules=True)  # a bool is not a count


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().seed = 1  # type: ignore[misc]


@pytest.mark.parametrize("raw", ["\u0661\u0660", "1_000", "\uff11\uff10", "ten"])  # Arabic-Indic, full-width
def test_whole_numbers_from_the_environment_are_ascii_digits(raw: str) -> None:
    with pytest.raises(InvalidSetting, match="RACE_SCHEDULES"):
        Settings.from_env({"RACE_SCHEDULES": raw})
    assert Settings.from_env({"RACE_SCHEDULES": " 12 "}).schedules == 12
