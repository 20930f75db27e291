"""The one route table both transports serve, and the SVM scoping rules.

Scoping, as ONTAP does it: without ``X-Dot-SVM-Name`` a request is
cluster-scoped and sees every SVM's objects; with it, the request is
tunneled into that SVM and sees only that SVM's objects.  The cluster admin
SVM owns no FlexVols, so a volume lookup tunneled into it finds nothing (the
production ``Could not find unique volume. Volumes found: []``).  Cluster
objects (nodes, aggregates) are visible from cluster scope and the admin SVM,
and refused ("not authorized", code 6) from a data SVM.  ``GET /api/cluster``
answers in every scope: cinder's client asks for the version tunneled.
An unknown SVM name is refused before any route runs.

Each handler records what it reads and writes of the state on the request's
context (:mod:`race_harness.fakes.ontap.footprints`), at the grain it looks
at, so the harness's reduction knows which requests commute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from race_harness.fakes.ontap import errors
from race_harness.fakes.ontap import footprints as fp
from race_harness.fakes.ontap.footprints import Accesses, Footprint
from race_harness.fakes.ontap.query import answer_collection, answer_object
from race_harness.fakes.ontap.records import KINDS, Record, file_entries
from race_harness.fakes.ontap.request import Request
from race_harness.fakes.ontap.state import ClusterState, Svm
from race_harness.fakes.ontap.writes import create_ems_log, create_volume

MAX_BODY_BYTES = 1024 * 1024
Answer = tuple[int, Record | None]


@dataclass
class Ctx:
    """What a handler may use: the state, the request's scope, the clock."""

    state: ClusterState
    scope: Svm | None
    request: Request
    now: float
    accesses: Accesses = field(default_factory=Accesses)

    @property
    def params(self) -> Mapping[str, str]:
        return self.request.params

    def read(self, *resources: str) -> None:
        self.accesses.read(resources)

    def write(self, *resources: str) -> None:
        self.accesses.write(resources)

    def scope_svms(self) -> list[str]:
        """The SVMs whose objects the request sees: its own, or every SVM (cluster scope)."""
        return list(self.state.svms) if self.scope is None else [self.scope.name]

    def cluster_only(self) -> None:
        if self.scope is not None and not self.scope.is_admin:
            raise errors.not_authorized()

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or ONTAP's refusal."""
        content_type = (self.request.content_type or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "application/hal+json"):
            raise errors.invalid_input(
                f'Content-Type "{content_type or "(none)"}" is not supported; send application/json.'
            )
        try:
            body = json.loads(self.request.body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.invalid_input(f"The request body is not valid JSON: {exc}.") from None
        except RecursionError:  # e.g. 200,000 "[": the parser recurses per level
            raise errors.invalid_input(
                "The request body is not valid JSON: it nests arrays or objects too deeply."
            ) from None
        if not isinstance(body, dict):
            raise errors.invalid_input("The request body must be a JSON object.")
        return body


Handler = Callable[[Ctx, dict[str, str]], Answer]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    regex: re.Pattern[str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.pattern}"


def _by_uuid(items: list[Any], uuid: str) -> Any:
    found = next((i for i in items if i.uuid == uuid), None)
    if found is None:
        raise errors.entry_not_found()
    return found


# -- handlers ----------------------------------------------------------------


def get_cluster(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.read(fp.CLUSTER)
    return 200, answer_object(KINDS["cluster"], ctx.state.cluster, ctx.params)


def get_nodes(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.cluster_only()
    ctx.read(fp.NODES)
    path = "/api/cluster/nodes"
    return 200, answer_collection(KINDS["node"], ctx.state.nodes, ctx.params, path, ctx.request.query)


def get_node(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.cluster_only()
    ctx.read(fp.NODES)
    return 200, answer_object(KINDS["node"], _by_uuid(ctx.state.nodes, args["uuid"]), ctx.params)


def _visible_jobs(ctx: Ctx) -> list[Any]:
    jobs = list(ctx.state.jobs.values())
    if ctx.scope is None:
        return jobs
    return [j for j in jobs if j.svm == ctx.scope.name]


def _job_collections(ctx: Ctx) -> Iterable[str]:
    """The job collections a listing reads: its SVM's, or (cluster scope) every one that
    exists or could be created (jobs of SVMs, jobs of no SVM)."""
    if ctx.scope is not None:
        return [fp.jobs(ctx.scope.name)]
    owners: set[str | None] = {None, *ctx.state.svms, *(j.svm for j in ctx.state.jobs.values())}
    return sorted(fp.jobs(owner) for owner in owners)


def get_jobs(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.read(*_job_collections(ctx))
    path = "/api/cluster/jobs"
    return 200, answer_collection(KINDS["job"], _visible_jobs(ctx), ctx.params, path, ctx.request.query)


def get_job(ctx: Ctx, args: dict[str, str]) -> Answer:
    """A poll counts a running job down: it writes the job (and what lists it)."""
    ctx.read(fp.job(args["uuid"]))
    job = _by_uuid(_visible_jobs(ctx), args["uuid"])
    ctx.write(fp.job(job.uuid), fp.jobs(job.svm))
    if job.running_polls > 0:
        job.running_polls -= 1
        job.state, job.message = "running", "running"
    else:
        job.state, job.message = "success", "success"
    return 200, answer_object(KINDS["job"], job, ctx.params)


def _visible_svms(ctx: Ctx) -> list[Svm]:
    if ctx.scope is None:
        return ctx.state.data_svms()
    return [] if ctx.scope.is_admin else [ctx.scope]


def get_svms(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.read(fp.SVMS)
    path = "/api/svm/svms"
    return 200, answer_collection(KINDS["svm"], _visible_svms(ctx), ctx.params, path, ctx.request.query)


def get_svm(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.read(fp.SVMS)
    svm = _by_uuid(_visible_svms(ctx), args["uuid"])
    return 200, answer_object(KINDS["svm"], svm, ctx.params)


def get_aggregates(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.cluster_only()
    ctx.read(fp.AGGREGATES)
    path = "/api/storage/aggregates"
    return 200, answer_collection(
        KINDS["aggregate"], ctx.state.aggregates, ctx.params, path, ctx.request.query
    )


def get_aggregate(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.cluster_only()
    ctx.read(fp.AGGREGATES)
    aggr = _by_uuid(ctx.state.aggregates, args["uuid"])
    return 200, answer_object(KINDS["aggregate"], aggr, ctx.params)


def _visible_volumes(ctx: Ctx) -> list[Any]:
    return ctx.state.volumes_of(None if ctx.scope is None else ctx.scope.name)


_SPECIAL = frozenset("*|,!<>")


def _exact(ctx: Ctx, name: str) -> str | None:
    """The value of filter ``name`` if it matches one exact value only (no wildcard,
    alternative, negation or comparison), else None."""
    spec = ctx.params.get(name)
    return spec if spec is not None and _SPECIAL.isdisjoint(spec) else None


def _volume_query_reads(ctx: Ctx) -> list[str]:
    """What a volume query can see: the SVMs in scope (an exact ``svm.name`` filter keeps
    one), and in them only the volumes an exact ``name``, ``uuid`` or ``nas.path`` filter
    admits (a conjunction: any one of them bounds the answer), else the whole collection."""
    svms = ctx.scope_svms()
    owner = _exact(ctx, "svm.name")
    if owner is not None:
        svms = [s for s in svms if s == owner]
    name, uuid, path = _exact(ctx, "name"), _exact(ctx, "uuid"), _exact(ctx, "nas.path")
    if name is not None:
        return [fp.volume_name(s, name) for s in svms]
    if uuid is not None:
        return [fp.volume(uuid)] if svms else []
    if path is not None:
        return [fp.junction(s, path) for s in svms]
    return [fp.volumes(s) for s in svms]


def get_volumes(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.read(*_volume_query_reads(ctx))
    path = "/api/storage/volumes"
    return 200, answer_collection(KINDS["volume"], _visible_volumes(ctx), ctx.params, path, ctx.request.query)


def get_volume(ctx: Ctx, args: dict[str, str]) -> Answer:
    ctx.read(fp.volume(args["uuid"]))
    vol = _by_uuid(_visible_volumes(ctx), args["uuid"])
    return 200, answer_object(KINDS["volume"], vol, ctx.params)


def get_files(ctx: Ctx, args: dict[str, str]) -> Answer:
    """A FlexVol's root directory listing, or one file of it (``files/{path}``)."""
    ctx.read(fp.volume(args["uuid"]))
    vol = _by_uuid(_visible_volumes(ctx), args["uuid"])
    entries = file_entries(vol)
    wanted = args.get("path", "").strip("/")
    if wanted not in ("", "."):
        entries = [e for e in entries if e.name == wanted]
        if not entries:
            raise errors.no_such_file(args["path"])
    path = f"/api/storage/volumes/{vol.uuid}/files"
    return 200, answer_collection(KINDS["file"], entries, ctx.params, path, ctx.request.query)


def _name_slot(ctx: Ctx, body: Mapping[str, Any]) -> list[str]:
    """The name a create checks for duplicates, where the body names one: whether it
    is taken decides the answer (409 or not), so even a refused create reads it."""
    named = body.get("svm")
    named_svm = named.get("name") if isinstance(named, dict) else None
    svm = ctx.scope.name if ctx.scope is not None else str(named_svm) if named_svm else None  # as writes.py
    name = body.get("name")
    return [fp.volume_name(svm, name)] if svm is not None and isinstance(name, str) else []


def post_volume(ctx: Ctx, args: dict[str, str]) -> Answer:
    body = ctx.json_body()
    ctx.read(fp.AGGREGATES, *_name_slot(ctx, body))
    vol = create_volume(ctx.state, ctx.scope, body)
    job = ctx.state.add_job(f"POST /api/storage/volumes/{vol.uuid}", vol.svm.name, ctx.now)
    svm = vol.svm.name
    junction = [] if vol.junction_path is None else [fp.junction(svm, vol.junction_path)]
    ctx.write(fp.volume(vol.uuid), fp.volume_name(svm, vol.name), *junction, fp.volumes(svm),
              fp.uuids("volume"), fp.uuids("job"), fp.job(job.uuid), fp.jobs(svm))
    href = f"/api/cluster/jobs/{job.uuid}"
    return 202, {"job": {"uuid": job.uuid, "_links": {"self": {"href": href}}}}


def post_ems_log(ctx: Ctx, args: dict[str, str]) -> Answer:
    """Records are numbered in arrival order: a post writes the log, not an append."""
    svm = None if ctx.scope is None else ctx.scope.name
    create_ems_log(ctx.state, svm, ctx.request.user, ctx.json_body(), ctx.now)
    ctx.write(fp.EMS)
    return 201, {}


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/cluster", get_cluster),
    ("GET", "/api/cluster/nodes", get_nodes),
    ("GET", "/api/cluster/nodes/{uuid}", get_node),
    ("GET", "/api/cluster/jobs", get_jobs),
    ("GET", "/api/cluster/jobs/{uuid}", get_job),
    ("GET", "/api/svm/svms", get_svms),
    ("GET", "/api/svm/svms/{uuid}", get_svm),
    ("GET", "/api/storage/aggregates", get_aggregates),
    ("GET", "/api/storage/aggregates/{uuid}", get_aggregate),
    ("GET", "/api/storage/volumes", get_volumes),
    ("POST", "/api/storage/volumes", post_volume),
    ("GET", "/api/storage/volumes/{uuid}", get_volume),
    ("GET", "/api/storage/volumes/{uuid}/files", get_files),
    ("GET", "/api/storage/volumes/{uuid}/files/{path}", get_files),
    ("POST", "/api/support/ems/application-logs", post_ems_log),
)


def _compile(pattern: str) -> re.Pattern[str]:
    """``{name}`` matches one path segment; ``{path}`` (a file path) matches the rest."""
    regex = re.escape(pattern).replace(r"\{path\}", r"(?P<path>.+)")
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex) + r"\Z")


class RouteTable:
    """Maps (method, normalised path) to a handler; static paths by dict lookup."""

    def __init__(self, routes: tuple[tuple[str, str, Handler], ...] = ROUTES):
        self.routes = [Route(m, p, h, _compile(p)) for m, p, h in routes]
        self._static = {(r.method, r.pattern): r for r in self.routes if "{" not in r.pattern}
        self._dynamic = [r for r in self.routes if "{" in r.pattern]

    def keys(self) -> list[str]:
        return [r.key for r in self.routes]

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        route = self._static.get((method, path))
        if route is not None:
            return route, {}
        path_known = any(p == path for _, p in self._static)
        for route in self._dynamic:
            match = route.regex.match(path)
            if match:
                if route.method == method:
                    return route, match.groupdict()
                path_known = True
        raise errors.method_not_allowed(method) if path_known else errors.api_not_found()


def resolve_scope(state: ClusterState, header: str | None, accesses: Accesses) -> Svm | None:
    if header is None:
        return None
    accesses.read([fp.svm(header)])
    svm = state.svm(header)
    if svm is None:
        raise errors.unknown_svm(header)
    return svm


class Reply(NamedTuple):
    """One request's answer and what answering it touched."""

    route: str | None  # the route key, None if refused before a route was found
    status: int
    body: Record | None
    footprint: Footprint


def answer(table: RouteTable, state: ClusterState, request: Request, now: float) -> Reply:
    """The answer to one request (ONTAP errors as bodies) and its footprint, which covers
    what the handler read before it refused, too: a refusal can depend on the state."""
    route_key = None
    accesses = Accesses()
    try:
        if not request.authenticated:
            raise errors.not_authenticated()
        if len(request.body) > MAX_BODY_BYTES:
            raise errors.body_too_large(MAX_BODY_BYTES)
        route, args = table.find(request.method, request.path)
        route_key = route.key
        scope = resolve_scope(state, request.svm_header, accesses)
        status, body = route.handler(Ctx(state, scope, request, now, accesses), args)
    except errors.OntapError as exc:
        return Reply(route_key, exc.status, exc.body(), accesses.footprint())
    return Reply(route_key, status, body, accesses.footprint())
