"""Step footprints: dependence, appends, partial declarations and vouching."""

from __future__ import annotations

import eventlet
import pytest

import harness
from harness import Target
from harness._engine.footprint import OPAQUE, Footprint, FootprintBuilder, dependent
from harness.instrument import shared_attributes
from harness.strategies import BoundedDfsStrategy


def fp(reads: tuple[str, ...] = (), writes: tuple[str, ...] = (), appends: tuple[str, ...] = ()) -> Footprint:
    return Footprint(frozenset(reads), frozenset(writes), frozenset(appends))


def test_reads_commute_writes_do_not() -> None:
    assert not dependent(fp(reads=("x",)), fp(reads=("x",)))
    assert dependent(fp(writes=("x",)), fp(reads=("x",)))
    assert dependent(fp(reads=("x",)), fp(writes=("x",)))
    assert not dependent(fp(writes=("x",)), fp(writes=("y",)))
    assert dependent(OPAQUE, fp())


def test_appends_commute_with_appends_but_not_with_reads_or_writes() -> None:
    log = fp(appends=("log",))
    assert not dependent(log, fp(appends=("log",)))
    assert dependent(log, fp(reads=("log",))) and dependent(fp(reads=("log",)), log)
    assert dependent(log, fp(writes=("log",))) and dependent(fp(writes=("log",)), log)
    assert not dependent(log, fp(reads=("other",)))


def test_a_step_nobody_vouched_for_is_opaque() -> None:
    step = FootprintBuilder(1)
    step.touch("attr:C.x", write=True, partial=True)
    step.add(fp(reads=("ontap:volumes",)))
    assert step.freeze() is OPAQUE
    step.touch("x", write=False)  # the code itself declares: it vouches for the step
    assert step.freeze() == fp(reads=("x", "ontap:volumes", "thread:1"), writes=("attr:C.x",))


def test_a_target_with_complete_footprints_vouches_for_silent_steps() -> None:
    assert FootprintBuilder(2, vouched=True).freeze() == fp(reads=("thread:2",))
    assert FootprintBuilder(2).freeze() is OPAQUE


def test_an_opaque_partial_declaration_makes_the_step_opaque() -> None:
    step = FootprintBuilder(1, vouched=True)
    step.add(OPAQUE)
    assert step.freeze() is OPAQUE


def test_shared_attributes_declare_typed_partial_accesses_and_wrapped_calls_are_opaque() -> None:
    """The descriptors declare ``attr:Class.name`` reads and writes as data, not as label
    text a parser has to read back; a wrapped call's step is opaque."""
    from harness._engine import points
    from harness.instrument import preempt_calls, shared_attributes

    class Probe:
        def __init__(self) -> None:
            self.builder = FootprintBuilder(3)

        def access(self, label: str, reads: tuple[str, ...], writes: tuple[str, ...],
                   appends: tuple[str, ...], offer: bool) -> None:
            for resource in reads:
                self.builder.touch(resource, False, False, True)
            for resource in writes:
                self.builder.touch(resource, True, False, True)

        def preempt(self, label: str, opaque: bool) -> None:
            self.builder.opaque = self.builder.opaque or opaque

    probe = Probe()
    box = Box()
    with shared_attributes(Box, "value"), pytest.MonkeyPatch.context() as mp:
        mp.setattr(points, "active_run", lambda: probe)
        box.value = box.value + 1
        step = probe.builder
        assert step.reads == {"attr:Box.value"} and step.writes == {"attr:Box.value"} and not step.vouched
        assert not step.opaque
        module = type("M", (), {"f": staticmethod(lambda: None)})
        with preempt_calls(module, "f"):
            module.f()
        assert step.opaque


# -- end to end: how many schedules the reduction leaves -----------------------------------
class Box:
    value = 0


def _two_readers_of_one_box() -> None:
    box = Box()

    def reader() -> None:
        harness.io_point("wire", footprint=Footprint(frozenset({"server"})))
        assert box.value == 0

    threads = [eventlet.spawn(reader), eventlet.spawn(reader)]
    for thread in threads:
        thread.wait()


def _runs(complete: bool) -> tuple[int, bool]:
    target = Target("footprint:readers", _two_readers_of_one_box, "0123456789ab",
                    instrument=lambda: shared_attributes(Box, "value"), complete_footprints=complete)
    outcome = harness.explore(target, strategy=BoundedDfsStrategy(None), schedules=1000,
                              stop_on_failure=False, database="off")
    return outcome.schedules_run, outcome.exhausted


def test_io_footprints_and_attribute_reads_reduce_only_when_the_target_vouches() -> None:
    vouched, exhausted = _runs(complete=True)
    unvouched, exhausted_too = _runs(complete=False)
    assert exhausted and exhausted_too
    assert vouched < unvouched, (vouched, unvouched)


def test_io_without_a_footprint_is_opaque_even_for_a_vouching_target() -> None:
    def body() -> None:
        threads = [eventlet.spawn(harness.io_point, "wire") for _ in range(3)]
        for thread in threads:
            thread.wait()

    def declared() -> None:
        threads = [eventlet.spawn(harness.io_point, "wire", footprint=Footprint()) for _ in range(3)]
        for thread in threads:
            thread.wait()

    def runs(program: object) -> int:
        target = Target("footprint:io", program, "0123456789ab", complete_footprints=True)  # type: ignore[arg-type]
        return harness.explore(target, strategy=BoundedDfsStrategy(None), schedules=5000,
                               stop_on_failure=False, database="off").schedules_run

    assert runs(declared) < runs(body)
