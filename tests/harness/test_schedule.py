"""Schedule strings: compact, shell-safe, and strict about what they accept."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness._errors import InvalidSchedule
from harness._schedule import MAX_OPTION, Schedule, decode_choices, encode_choices

GOOD = "rh1:ems_vserver:old:c:1a2f:0x3.2.1x2"


def test_a_schedule_string_carries_target_model_fingerprint_and_choices() -> None:
    schedule = Schedule.parse(GOOD)
    assert schedule == Schedule("ems_vserver:old", "cooperative", "1a2f", (0, 0, 0, 2, 1, 1))
    assert schedule.encode() == GOOD
    assert str(schedule) == GOOD
    assert schedule.preemptions == 3


@pytest.mark.parametrize(
    ("choices", "text"),
    [((), "-"), ((0,), "0"), ((0, 0, 0, 2, 1, 1), "0x3.2.1x2"), ((5, 0, 5), "5.0.5"), ((0,) * 12, "0x12")],
)
def test_choices_are_run_length_encoded(choices: tuple[int, ...], text: str) -> None:
    assert encode_choices(choices) == text
    assert decode_choices(text) == choices


def test_the_preemptive_model_and_a_target_with_colons() -> None:
    schedule = Schedule.parse("rh1:pkg.mod:func:p:ff:1")
    assert (schedule.target, schedule.model, schedule.choices) == ("pkg.mod:func", "preemptive", (1,))


def test_whitespace_around_a_pasted_schedule_is_ignored() -> None:
    assert Schedule.parse(f"  {GOOD}\n") == Schedule.parse(GOOD)


MALFORMED = [
    # (text, words the message must contain)
    pytest.param("", ["1 ':'-separated fields", "truncated"], id="empty"),
    pytest.param("rh1:ems_vserver:old:c", ["4 ':'-separated fields", "truncated"], id="truncated"),
    pytest.param("rh9:ems_vserver:old:c:1a2f:0", ["version 'rh9'", "'rh1'"], id="wrong-version"),
    pytest.param("rh1:ems_vserver:old:x:1a2f:0", ["model field 'x'", "cooperative"], id="bad-model"),
    pytest.param("rh1:ems_vserver:old:c:XYZ:0", ["fingerprint field 'XYZ'"], id="bad-fingerprint"),
    pytest.param("rh1:ems_vserver:old:c:1a2f:0x3.zz", ["run 'zz' (run 2)"], id="bad-run"),
    pytest.param("rh1:ems_vserver:old:c:1a2f:0x0", ["run '0x0'"], id="zero-count"),
    pytest.param("rh1:ems_vserver:old:c:1a2f:01", ["run '01'"], id="leading-zero"),
    pytest.param("rh1:ems_vserver:old:c:1a2f:", ["empty choices field"], id="empty-choices"),
    pytest.param("rh1:ems vserver:c:1a2f:0", ["target field 'ems vserver'"], id="bad-target"),
    pytest.param("rh1::c:1a2f:0", ["target field ''"], id="empty-target"),
    pytest.param("rh1:t:c:1a2f:0x99999999", ["past 10000000 decisions"], id="too-many-choices"),
    # `$` in a regex also matches before a final newline: these used to parse
    pytest.param("rh1:t:c:1a2f\n:0", ["fingerprint field '1a2f\\n'"], id="newline-in-fingerprint"),
    pytest.param("rh1:t\n:c:1a2f:0", ["target field 't\\n'"], id="newline-in-target"),
    pytest.param("rh1:t:c:1a2f:0\n.1", ["run '0\\n'"], id="newline-in-run"),
]


@pytest.mark.parametrize(("text", "words"), MALFORMED)
def test_malformed_schedules_are_refused_naming_the_bad_part(text: str, words: list[str]) -> None:
    with pytest.raises(InvalidSchedule) as info:
        Schedule.parse(text)
    for word in words:
        assert word in str(info.value)


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidSchedule, match="not bytes"):
        Schedule.parse(b"rh1:t:c:1a2f:0")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (("t", "threads", "ab", ()), "preemption model 'threads'"),
        (("t <x>", "cooperative", "ab", ()), "target name"),
        (("t", "cooperative", "AB", ()), "fingerprint 'AB'"),
        (("t", "cooperative", "ab", (-1,)), "option indices"),
        (("t", "cooperative", "ab", (MAX_OPTION + 1,)), "option indices"),
    ],
)
def test_a_schedule_that_could_not_be_encoded_cannot_be_built(fields: tuple[object, ...], words: str) -> None:
    with pytest.raises(InvalidSchedule, match=words):
        Schedule(*fields)  # type: ignore[arg-type]


@given(st.text())
def test_parse_never_raises_anything_but_invalid_schedule(text: str) -> None:
    try:
        schedule = Schedule.parse(text)
    except InvalidSchedule:
        return
    assert Schedule.parse(schedule.encode()) == schedule


_FIELD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=8)


@given(
    st.lists(st.sampled_from(["rh1", "c", "p", "0", "1x2", "ff", "x", ":", ".", "", "-", "0x3"]), max_size=8),
)
def test_parse_of_near_misses_never_raises_anything_but_invalid_schedule(pieces: list[str]) -> None:
    with contextlib.suppress(InvalidSchedule):
        Schedule.parse(":".join(pieces))


@given(
    target=st.lists(_FIELD, min_size=1, max_size=3).map(":".join),
    model=st.sampled_from(["cooperative", "preemptive"]),
    fingerprint=st.text(alphabet="0123456789abcdef", min_size=1, max_size=64),
    choices=st.lists(st.integers(min_value=0, max_value=MAX_OPTION), max_size=200)
    | st.lists(st.integers(min_value=0, max_value=3), max_size=500),
)
def test_encode_then_parse_round_trips(target: str, model: str, fingerprint: str, choices: list[int]) -> None:
    schedule = Schedule(target, model, fingerprint, tuple(choices))
    text = schedule.encode()
    assert Schedule.parse(text) == schedule
    assert text.isascii() and " " not in text and "'" not in text and '"' not in text
    assert decode_choices(encode_choices(choices)) == tuple(choices)
