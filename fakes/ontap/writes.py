"""The POST bodies the fake accepts, validated as ONTAP validates them.

Writes are where a wrong SVM does lasting damage (a volume created in, or an
EMS record logged against, the wrong SVM), so the end state must be exact:
bodies are checked field by field, unknown fields are refused with ONTAP's
"Unexpected argument", and the SVM a write lands in is the tunneled one,
which a ``svm`` in the body may name again but may not contradict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from race_harness.fakes.ontap import errors
from race_harness.fakes.ontap.state import ClusterState, EmsLog, FlexVol, Svm

_VOLUME_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,202}\Z")
_VOLUME_KEYS = frozenset(
    {
        "name",
        "svm",
        "size",
        "type",
        "style",
        "aggregates",
        "nas",
        "snapshot_policy",
        "language",
        "guarantee",
        "space",
        "efficiency",
        "comment",
        "state",
        "qos",
    }
)
_EMS_REQUIRED = (
    "computer_name",
    "event_source",
    "app_version",
    "event_id",
    "category",
    "event_description",
    "severity",
    "autosupport_required",
)
_SEVERITIES = frozenset({"emergency", "alert", "error", "notice", "informational", "debug"})


def _check_keys(body: Mapping[str, Any], allowed: frozenset[str] | tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise errors.unexpected_argument(key)


def _sub(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key, {})
    if not isinstance(value, dict):
        raise errors.invalid_input(f'The value of field "{key}" must be an object.', key)
    return value


def _target_svm(state: ClusterState, scope: Svm | None, body: Mapping[str, Any]) -> Svm:
    named = _sub(body, "svm").get("name")
    if scope is not None and named is not None and named != scope.name:
        raise errors.invalid_input(
            f'svm.name "{named}" differs from the tunneled SVM "{scope.name}".', "svm.name"
        )
    svm = scope if scope is not None else state.svm(str(named)) if named else None
    if svm is None:
        raise errors.invalid_input('Field "svm.name" is required.', "svm.name")
    if svm.is_admin:
        raise errors.invalid_input(
            f'Cannot create a volume in the cluster admin SVM "{svm.name}".', "svm.name"
        )
    return svm


def _size(body: Mapping[str, Any]) -> int:
    size = body.get("size", 20 * 1024 * 1024)
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise errors.invalid_field_value("size", str(size))
    return size


def _aggregates(state: ClusterState, body: Mapping[str, Any]) -> list[Any]:
    wanted = body.get("aggregates") or [{"name": state.aggregates[0].name}]
    if not isinstance(wanted, list):
        raise errors.invalid_input('"aggregates" must be a list.', "aggregates")
    found = []
    for item in wanted:
        name = item.get("name") if isinstance(item, dict) else None
        aggr = state.aggregate(str(name))
        if aggr is None:
            raise errors.invalid_field_value("aggregates.name", str(name))
        found.append(aggr)
    return found


def create_volume(state: ClusterState, scope: Svm | None, body: Mapping[str, Any]) -> FlexVol:
    _check_keys(body, _VOLUME_KEYS)
    name = body.get("name")
    if not isinstance(name, str) or not _VOLUME_NAME.match(name):
        raise errors.invalid_field_value("name", str(name))
    svm = _target_svm(state, scope, body)
    if state.volume(name, svm.name) is not None:
        raise errors.duplicate(f'Duplicate volume name "{name}".', "name")
    style = body.get("style", "flexvol")
    vol_type = body.get("type", "rw")
    if style not in ("flexvol", "flexgroup"):
        raise errors.invalid_field_value("style", str(style))
    if vol_type not in ("rw", "dp"):
        raise errors.invalid_field_value("type", str(vol_type))
    attrs: dict[str, Any] = {
        "size": _size(body),
        "used": 0,
        "style": style,
        "type": vol_type,
        "aggregates": _aggregates(state, body),
        "junction_path": _sub(body, "nas").get("path"),
    }
    if "snapshot_policy" in body:
        attrs["snapshot_policy"] = str(_sub(body, "snapshot_policy").get("name", "default"))
    if "language" in body:
        attrs["language"] = str(body["language"])
    if "guarantee" in body:
        attrs["guarantee_type"] = str(_sub(body, "guarantee").get("type", "none"))
    reserve = _sub(_sub(body, "space"), "snapshot").get("reserve_percent")
    if reserve is not None:
        try:
            attrs["snapshot_reserve_percent"] = int(reserve)
        except (TypeError, ValueError):
            raise errors.invalid_field_value("space.snapshot.reserve_percent", str(reserve)) from None
    return state.add_volume(svm.name, name, **attrs)


def _event_id(value: Any) -> int:
    if isinstance(value, bool):
        raise errors.invalid_field_value("event_id", str(value))
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.invalid_field_value("event_id", str(value)) from None


def create_ems_log(
    state: ClusterState, svm: str | None, user: str | None, body: Mapping[str, Any], now: float
) -> EmsLog:
    _check_keys(body, _EMS_REQUIRED)
    for key in _EMS_REQUIRED:
        if key not in body:
            raise errors.invalid_input(f'Field "{key}" is required.', key)
    if body["severity"] not in _SEVERITIES:
        raise errors.invalid_field_value("severity", str(body["severity"]))
    if not isinstance(body["autosupport_required"], bool):
        raise errors.invalid_field_value("autosupport_required", str(body["autosupport_required"]))
    fields = dict(body)
    fields["event_id"] = _event_id(body["event_id"])
    return state.add_ems_log(fields, svm, user, now)
