"""Frozen settings with defaults from ``RACE_*`` environment variables.

Like loom's ``LOOM_*`` variables: CI can turn a knob without editing tests,
and a bad value fails at once with a message naming the variable, the value
and what is accepted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from harness._errors import InvalidSetting
from harness._options import (
    ClockAudit,
    Model,
    Tpool,
    Uncontrolled,
    Unobserved,
    coerce_choices,
    module_names,
)
from harness.strategies import registry


@dataclass(frozen=True)
class Settings:
    """Exploration settings; every field has a ``RACE_<NAME>`` variable."""

    schedules: int = 1000
    seed: int = 0
    strategy: str = "random"
    preemption: Model = Model.COOPERATIVE
    max_steps: int = 200_000
    stop_on_failure: bool = True
    # Replay each failing schedule twice more and compare traces.  Default on
    # when CI=true (and RACE_VERIFY_DETERMINISM is not set).
    verify_determinism: bool = False
    uncontrolled: Uncontrolled = Uncontrolled.ERROR
    unobserved_exceptions: Unobserved = Unobserved.FAIL
    tpool: Tpool = Tpool.REFUSE
    clock_audit: ClockAudit = ClockAudit.FIRST
    # Failure database directory (``off`` disables it); see harness/_search/database.py.
    database: str = ".race-harness"
    # PCT bug depth d (d - 1 priority change points per run).
    pct_depth: int = 3
    # Bounded DFS: most preemptions per schedule (-1: no bound), and sleep-set reduction.
    preemption_bound: int = -1
    reduction: bool = True
    # Packages whose every shared access is a preemption point (preemptive model).
    preempt_modules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_positive("schedules", self.schedules)
        _check_positive("max_steps", self.max_steps)
        if self.seed < 0:
            raise InvalidSetting(f"seed must be >= 0, got {self.seed}")
        registry.entry(self.strategy)
        object.__setattr__(self, "preempt_modules", module_names(self.preempt_modules))
        coerce_choices(self)  # strings in, enum members kept
        _check_positive("pct_depth", self.pct_depth)
        if not isinstance(self.preemption_bound, int) or self.preemption_bound < -1:
            raise InvalidSetting(
                f"preemption_bound must be >= 0, or -1 for no bound, got {self.preemption_bound!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by RACE_* variables; raise InvalidSetting on a bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            variable = f"RACE_{f.name.upper()}"
            raw = env.get(variable)
            if raw is not None:
                values[f.name] = _convert(f.name, raw, f.type)
                try:
                    cls(**{f.name: values[f.name]})
                except InvalidSetting as exc:
                    raise InvalidSetting(f"{variable}={raw!r}: {exc}") from None
        if "verify_determinism" not in values and _ci(env):
            values["verify_determinism"] = True
        return cls(**values)

    def knobs(self) -> registry.Knobs:
        """What a strategy reads of these settings."""
        bound = self.preemption_bound if self.preemption_bound >= 0 else None
        return registry.Knobs(self.seed, self.schedules, self.pct_depth, bound, self.reduction)

    def with_overrides(self, **overrides: Any) -> Settings:
        """These settings with the non-None overrides applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _convert(name: str, raw: str, kind: Any) -> Any:
    variable = f"RACE_{name.upper()}"
    if name == "preempt_modules":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind in ("int", int):
        digits = raw.strip().removeprefix("-")
        if not (digits.isascii() and digits.isdigit()):  # int() also reads other scripts' digits
            raise InvalidSetting(f"{variable}={raw!r} is not a whole number written with the digits 0-9")
        return int(raw)
    if kind in ("bool", bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise InvalidSetting(f"{variable}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")
    return raw.strip()


def _ci(env: Mapping[str, str]) -> bool:
    """True on CI (``CI=true``, as GitHub, GitLab and most CI services set it)."""
    return env.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def _check_positive(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidSetting(f"{name} must be a whole number >= 1, got {value!r}")
