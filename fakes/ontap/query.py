"""ONTAP's collection query language, on rendered records.

A GET on a collection takes three kinds of query arguments: control
arguments (``fields``, ``max_records``, ``return_records``,
``return_timeout``, and the ``start.<key>`` cursor of a ``_links.next`` href),
filters (any field path: ``name=vol1``, ``nas.path=/vol1``,
``style=flex*``, ``is_svm_root=false``, ``name=a|b``, ``size=>100``,
``state=!offline``), and nothing else: an unknown argument is refused with
ONTAP's "Unexpected argument" error, an unknown field in ``fields`` with its
"invalid value" error.  Records carry their key fields (``uuid``, ``name``),
the requested fields, and the queried fields, as ONTAP returns them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from race_harness.fakes.ontap import errors
from race_harness.fakes.ontap.records import Kind, Record

CONTROL = frozenset({"fields", "max_records", "return_records", "return_timeout"})
# The longest filter value accepted (all alternatives together).  ONTAP names are
# at most a few hundred characters; the cap bounds what one query can cost.
MAX_FILTER_CHARS = 4096
_SAFE = "/*|,!<>=.:_-"


def parse_query(raw: str) -> dict[str, str]:
    """Query arguments, last one wins.

    ``?`` separates arguments like ``&``: cinder appends ``?max_records=N``
    to action URLs that already carry a query (``check_cluster_api``), and
    the fake reads such a URL as the two arguments it was meant to be.
    """
    params: dict[str, str] = {}
    if "?" in raw:
        raw = raw.replace("?", "&")
    for part in raw.split("&"):
        if part:
            key, _, value = part.partition("=")
            params[unquote(key) if "%" in key else key] = unquote(value) if "%" in value else value
    return params


def encode_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{quote(k, safe=_SAFE)}={quote(v, safe=_SAFE)}" for k, v in params.items())


# -- filters -------------------------------------------------------------------
#
# A filter is compiled once per (field, value) into a predicate on a rendered
# record and cached (clients repeat the same queries), so a request pays for
# matching only.

Predicate = Callable[[Record], bool]


def _values(value: Any, parts: tuple[str, ...]) -> list[Any]:
    """The leaf values at a path; lists of objects are searched through."""
    for index, part in enumerate(parts):
        if isinstance(value, dict):
            if part not in value:
                return []
            value = value[part]
        elif isinstance(value, list):
            found: list[Any] = []
            for item in value:
                found.extend(_values(item, parts[index:]))
            return found
        else:
            return []
    return value if isinstance(value, list) else [value]


def values_at(record: Record, path: str) -> list[Any]:
    """The leaf values at a dotted path of a record."""
    return _values(record, tuple(path.split(".")))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


@functools.lru_cache(maxsize=256)
def _wildcard(pattern: str) -> Callable[[str], bool]:
    """A matcher for an ONTAP wildcard (``*``: any run of characters, case-sensitive).

    Not a regex: ``.*`` per star backtracks exponentially on a failed match
    (15 stars took seconds, under the fake's lock).  A ``*``-only glob needs
    no backtracking: the text starts with the part before the first star,
    ends with the part after the last, and holds the parts in between, in
    order, without overlapping; taking each at its leftmost place leaves the
    most room for the rest, so one left-to-right scan (``str.find``) decides:
    one search per piece, never a retry.  Runs of stars are one star.
    """
    head, *middle, tail = pattern.split("*")
    pieces = tuple(p for p in middle if p)
    least = len(head) + len(tail)

    def match(text: str) -> bool:
        if len(text) < least or not text.startswith(head) or not text.endswith(tail):
            return False
        position, end = len(head), len(text) - len(tail)
        for piece in pieces:
            found = text.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return match


def _compare(value: Any, op: str, operand: str) -> bool:
    try:
        left: Any = float(value)
        right: Any = float(operand)
    except (TypeError, ValueError):
        left, right = _text(value), operand
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


@functools.lru_cache(maxsize=1024)
def _alternative(pattern: str) -> Callable[[Any], bool]:
    """One alternative of a filter value: exact, wildcard (``*``) or comparison."""
    for op in ("<=", ">=", "<", ">"):
        if pattern.startswith(op):
            operand = pattern[len(op) :]
            return lambda value: _compare(value, op, operand)
    lowered = pattern.lower()
    wildcard = _wildcard(pattern) if "*" in pattern else None

    def match(value: Any) -> bool:
        if isinstance(value, bool):
            return _text(value) == lowered
        if wildcard is None:
            return _text(value) == pattern
        return wildcard(_text(value))

    return match


@functools.lru_cache(maxsize=1024)
def compile_filter(path: str, spec: str) -> Predicate:
    """ONTAP filter semantics: ``|`` (or ``,``) separates alternatives, ``!`` negates.

    A value longer than :data:`MAX_FILTER_CHARS` is refused (400) before it is
    compiled: no field holds such a value, and matching costs grow with it.
    """
    if len(spec) > MAX_FILTER_CHARS:
        raise errors.value_too_long(path, len(spec), MAX_FILTER_CHARS)
    parts = tuple(path.split("."))
    alternatives = re.split(r"[|,]", spec)
    wanted = [_alternative(a) for a in alternatives if not a.startswith("!")]
    unwanted = [_alternative(a[1:]) for a in alternatives if a.startswith("!")]

    if len(wanted) == 1 and not unwanted:  # the usual case: one value, no negation
        (test,) = wanted

        def single(record: Record) -> bool:
            return any(map(test, _values(record, parts)))  # map: no generator frame per value

        return single

    def predicate(record: Record) -> bool:
        values = _values(record, parts)
        if any(test(v) for test in wanted for v in values):
            return True
        return bool(values) and any(not any(test(v) for v in values) for test in unwanted)

    return predicate


_IDENTIFYING = frozenset({"uuid", "name", "nas.path", "svm.name", "svm.uuid"})


def _selectivity(name: str, spec: str) -> int:
    """Sort key: exact identifying values first (they reject most records), then the rest."""
    if any(c in spec for c in "*|,!<>"):
        return 3
    if spec.lower() in ("true", "false"):
        return 2
    return 0 if name in _IDENTIFYING else 1


def matches(values: Sequence[Any], spec: str) -> bool:
    """Whether leaf ``values`` satisfy a filter value."""
    return compile_filter("v", spec)({"v": list(values)})


# -- field selection ---------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _prefixes(paths: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for path in paths:
        parts = path.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(out)


def _prune(obj: Record, whole: frozenset[str], partial: frozenset[str], prefix: str) -> Record:
    out: Record = {}
    for key, value in obj.items():
        path = prefix + key
        if path in whole or (not prefix and key == "_links"):
            out[key] = value
        elif path in partial:
            if isinstance(value, dict):
                out[key] = _prune(value, whole, partial, path + ".")
            elif isinstance(value, list):
                out[key] = [
                    _prune(v, whole, partial, path + ".") if isinstance(v, dict) else v for v in value
                ]
    return out


def select(record: Record, paths: frozenset[str] | None) -> Record:
    """The record trimmed to ``paths`` (plus ``_links``); None keeps everything."""
    if paths is None:
        return record
    return _prune(record, paths, _prefixes(paths), "")


def requested_fields(kind: Kind, params: Mapping[str, str]) -> frozenset[str] | None:
    """The ``fields`` argument, checked; None means "all fields" (``*``/``**``)."""
    wanted = [f for f in params.get("fields", "").split(",") if f]
    if "*" in wanted or "**" in wanted:
        return None
    for name in wanted:
        if name not in kind.fields:
            raise errors.invalid_field_value("fields", name)
    return frozenset(wanted)


# -- control arguments -------------------------------------------------------


def _int_arg(params: Mapping[str, str], name: str, minimum: int) -> int | None:
    if name not in params:
        return None
    try:
        value = int(params[name])
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise errors.invalid_field_value(name, params[name])
    return value


def _bool_arg(params: Mapping[str, str], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise errors.invalid_field_value(name, value)
    return value.lower() == "true"


def check_object_args(kind: Kind, params: Mapping[str, str]) -> frozenset[str] | None:
    """Arguments of a GET on one object: control arguments only."""
    for name in params:
        if name not in CONTROL:
            raise errors.unexpected_argument(name)
    _int_arg(params, "max_records", 1)
    _int_arg(params, "return_timeout", 0)
    _bool_arg(params, "return_records", True)
    return requested_fields(kind, params) or None  # no fields: the whole object


def answer_object(kind: Kind, obj: Any, params: Mapping[str, str]) -> Record:
    return select(kind.render(obj), check_object_args(kind, params))


@dataclass(frozen=True)
class _Plan:
    """A collection query, checked and compiled once for all requests that repeat it."""

    filters: tuple[Predicate, ...]
    max_records: int | None
    return_records: bool
    shown: frozenset[str] | None


@functools.lru_cache(maxsize=512)
def _plan(kind: Kind, items: tuple[tuple[str, str], ...]) -> _Plan:
    params = dict(items)
    fields = requested_fields(kind, params)
    filters: list[tuple[int, str, str]] = []
    for name, spec in items:
        if name in CONTROL or name == kind.cursor:
            continue
        if name not in kind.fields:
            raise errors.unexpected_argument(name)
        filters.append((_selectivity(name, spec), name, spec))
    filters.sort(key=lambda f: f[0])  # a conjunction: any order answers the same
    max_records = _int_arg(params, "max_records", 1)
    _int_arg(params, "return_timeout", 0)
    return_records = _bool_arg(params, "return_records", True)
    shown = None if fields is None else fields | frozenset(kind.defaults) | {n for _, n, _ in filters}
    return _Plan(
        tuple(compile_filter(name, spec) for _, name, spec in filters), max_records, return_records, shown
    )


def answer_collection(
    kind: Kind, objects: Iterable[Any], params: Mapping[str, str], path: str, query: str | None = None
) -> Record:
    """The body of a GET on a collection: records, num_records, _links.

    ``query`` is the request's raw query string, echoed in the self link as
    ONTAP does (re-encoded from ``params`` when not given).
    """
    plan = _plan(kind, tuple(params.items()))
    filters = plan.filters
    records = [r for r in map(kind.render, objects) if all(test(r) for test in filters)]
    key, cursor = kind.key, kind.cursor
    records.sort(key=lambda r: str(r.get(key, "")))
    if cursor in params:
        records = [r for r in records if str(r.get(key, "")) >= params[cursor]]
    page = records if plan.max_records is None else records[: plan.max_records]
    self_href = _href(path, params) if query is None else _raw_href(path, query)
    links: Record = {"self": {"href": self_href}}
    if not plan.return_records:
        return {"num_records": len(records), "_links": links}
    if len(page) < len(records):
        rest = {k: v for k, v in params.items() if k != cursor}
        rest[cursor] = str(records[len(page)][key])
        links["next"] = {"href": _href(path, rest)}
    return {
        "records": [select(r, plan.shown) for r in page],
        "num_records": len(page),
        "_links": links,
    }


def _href(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{encode_query(params)}" if params else path


def _raw_href(path: str, query: str) -> str:
    query = query.replace("?", "&").strip("&")
    return f"{path}?{query}" if query else path
