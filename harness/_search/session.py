"""The session layer: ``RunSpec``, everything that changes what a run of a target does.

A failure is only reproducible with the options it was found with: a schedule
found with ``tpool="inline"`` is refused when replayed with ``tpool="refuse"``,
and shrinking it would shrink the refusal.  So every front end (``explore``,
``replay``, ``shrink``, ``report``, the matrix, the pytest plugin) builds its
runs from one frozen ``RunSpec``; a ``Failure`` carries the spec it was found
under, and every replay command the harness prints is ``RunSpec.replay_command``,
which spells out each option the schedule string cannot carry.

``harness._options.RUN_OPTIONS`` is the table of those options (field, CLI
flag, values, help): the CLI's ``--tpool``/``--uncontrolled``/... flags, the
marker's keywords and the printed commands all derive from it.
``environment`` installs what a run needs once per exploration and always
undoes it; ``run_once`` runs one schedule.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from harness._engine.clock import audited, virtual_clocks
from harness._engine.interrupts import shielded
from harness._engine.native_locks import modelled_locks, release_orphans
from harness._engine.patches import deterministic_eventlet
from harness._engine.refusals import guarded
from harness._engine.results import RunConfig, RunResult
from harness._engine.rewrite import preempt_modules
from harness._engine.run import Run
from harness._engine.stdlib import controlled
from harness._options import (
    DEFAULT_MAX_STEPS,
    RUN_OPTIONS,
    ClockAudit,
    Model,
    Tpool,
    Uncontrolled,
    Unobserved,
    coerce_choices,
    module_names,
)
from harness._search.signature import signature_of
from harness._targets import Target

if TYPE_CHECKING:
    from harness._settings import Settings
    from harness.strategies.base import Strategy

RUN_RANDOM_SEED = 0x5EED


@dataclass(frozen=True)
class RunSpec:
    """What a run of ``target`` does, apart from the choices: the same spec and the
    same schedule give the same run, every time.

    ``until`` None means the target's own horizon.  ``clock_audit`` only decides
    which runs watch for real-clock reads; it never changes a run, so it is not
    spelled in replay commands."""

    target: str
    model: Model = Model.COOPERATIVE
    tpool: Tpool = Tpool.REFUSE
    uncontrolled: Uncontrolled = Uncontrolled.ERROR
    unobserved_exceptions: Unobserved = Unobserved.FAIL
    until: float | None = None
    max_steps: int = DEFAULT_MAX_STEPS
    preempt_modules: tuple[str, ...] = ()
    clock_audit: ClockAudit = field(default=ClockAudit.FIRST, compare=False)

    def __post_init__(self) -> None:
        coerce_choices(self)
        object.__setattr__(self, "preempt_modules", module_names(self.preempt_modules))

    @classmethod
    def of(cls, target: Target, settings: Settings, *, model: str | None = None,
           until: float | None = None, max_steps: int | None = None) -> RunSpec:
        """The spec for ``target`` under ``settings`` (and explicit overrides)."""
        return cls(target.name, Model(model or settings.preemption), settings.tpool, settings.uncontrolled,
                   settings.unobserved_exceptions, until, max_steps or settings.max_steps,
                   preempt_modules=settings.preempt_modules, clock_audit=settings.clock_audit)

    def modules(self, target: Target) -> tuple[str, ...]:
        """The packages instrumented with automatic preemption points: the target's own,
        then this spec's."""
        return tuple(dict.fromkeys((*target.preempt_modules, *self.preempt_modules)))

    def with_overrides(self, **overrides: Any) -> RunSpec:
        """This spec with the non-None overrides applied."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in overrides.items() if v is not None and k in known})

    def options(self) -> list[str]:
        """The command-line flags of every option that differs from its default."""
        default = RunSpec(self.target)
        return [option.spell(getattr(self, option.field)) for option in RUN_OPTIONS
                if getattr(self, option.field) != getattr(default, option.field)]

    def replay_command(self, schedule: str, command: str = "replay") -> str:
        """``race-harness replay TARGET SCHEDULE [options]``: reproduces the failure exactly."""
        return " ".join([f"race-harness {command} {self.target} {schedule}", *self.options()])

    def config(self, target: Target) -> RunConfig:
        """The run loop's knobs for ``target`` under this spec."""
        horizon = self.until if self.until is not None else target.until
        return RunConfig(preemptive=self.model is Model.PREEMPTIVE, max_steps=self.max_steps, until=horizon,
                         unobserved_exceptions=self.unobserved_exceptions.value,
                         complete_footprints=target.complete_footprints)


def spec_from_options(target: Target, args: Any, settings: Settings, model: str | None = None) -> RunSpec:
    """The spec for a command line's ``RUN_OPTIONS`` flags (None: not given) over ``settings``."""
    spec = RunSpec.of(target, settings, model=model)
    return spec.with_overrides(**{o.field: getattr(args, o.field, None) for o in RUN_OPTIONS})


def run_once(target: Target, strategy: Strategy, spec: RunSpec | RunConfig) -> RunResult:
    """One run of ``target`` under ``strategy``; the environment must be installed.

    The global random generator is reseeded first, so code that uses it replays."""
    config = spec.config(target) if isinstance(spec, RunSpec) else spec
    random.seed(RUN_RANDOM_SEED)
    run = Run(target.body, strategy, config)
    try:
        with audited(run):  # watches for real-clock reads (first run of an exploration by default)
            result = run.execute()
    finally:
        release_orphans()  # a lock held by a greenthread of this run can only be an orphan now
    summary = result.summary()
    if result.failure is not None:  # how it failed: a strategy may tell symptoms apart
        summary = replace(summary, signature=signature_of(result.failure.error, result.trace))
    strategy.end_execution(summary)
    return result


@shielded  # a Ctrl-C while installing or undoing it is held until it is whole: see interrupts.py
def environment(target: Target, spec: RunSpec) -> Iterator[None]:
    """Everything a run of ``target`` under ``spec`` needs, installed once per exploration
    and always undone: virtual clocks, deterministic eventlet, the tpool rule, the
    guards against uncontrolled concurrency, the target's instrumentation."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(_saved_global_random())
        stack.enter_context(virtual_clocks(audit=spec.clock_audit.value))
        stack.enter_context(deterministic_eventlet())
        stack.enter_context(controlled(spec.tpool.value))
        stack.enter_context(modelled_locks())  # a native lock never blocks the OS thread
        stack.enter_context(guarded(strict=spec.uncontrolled is Uncontrolled.ERROR))
        if target.instrument is not None and (spec.model is Model.PREEMPTIVE or target.complete_footprints):
            stack.enter_context(target.instrument())
        if spec.model is Model.PREEMPTIVE and spec.modules(target):
            # Under the cooperative model the points would never switch: not entered at all.
            stack.enter_context(preempt_modules(spec.modules(target)))
        yield


@shielded
def _saved_global_random() -> Iterator[None]:
    """Each run reseeds the global generator (so code using it replays exactly);
    the caller's generator state is restored afterwards."""
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)


def installed(target: Target, model: str = "cooperative",
              **options: Any) -> contextlib.AbstractContextManager[None]:
    """``environment`` for ``RunSpec(target.name, model, **options)``: for tests and tools
    that run a target by hand with ``run_once``."""
    return environment(target, RunSpec(target.name, Model(model), **options))
