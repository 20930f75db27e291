"""The real cinder NetApp REST client (cinder 29.0.0, as installed) under the harness.

A model can be wrong; the installed code cannot.  These scenarios construct
cinder's own ``RestClient`` (``client_cmode_rest.py``), and through it
cinder's own ``RestNaServer`` (``client/api.py``), against the fake ONTAP,
and race the same operations as the model scenarios, two greenthreads with
one request each through one shared client:

* ``cinder_session_overwrite:<variant>``: ``get_flexvol_capacity`` (a volume
  lookup by junction path, tunneled to ``svm_data_001``) beside
  ``get_cluster_name`` (not tunneled: cluster scope).  Oracle "raise": the
  run fails at the first request whose ``X-Dot-SVM-Name`` disagrees with what
  its caller meant.
* ``cinder_ems_vserver:<variant>``: ``send_ems_log_message`` beside the SSC
  capacity lookup ``get_flexvol_capacity('/nfs_volume_ds02')``.  Oracle
  "collect": ONTAP's own answers flow back, so a lookup tunneled into the
  admin SVM raises cinder's production error, ``NetAppDriverException:
  Volume /nfs_volume_ds02 not found.``

Variants: ``upstream`` (exactly as installed), ``patched`` (the local-session
fix, a ``RestNaServer`` subclass swapped in for the constructor only) and, for
the EMS scenario, ``fork_ems`` (upstream plus the downstream fork's
``send_ems_log_message``, the incident's code, grafted on as a subclass) and
``fork_ems_session_fix`` (the same plus the local-session fix).

What the harness measured (the expectations below; docs/cinder_upstream.md
has the numbers and the comparison with the models):

* The installed upstream client HAS the session race (race 1), under the
  preemptive model only.  Cooperative (eventlet greenthreads): exhaustive DFS
  (35 schedules) proves no schedule loses it; the only switch points are the
  transport's send and receive, after ``send_http_request`` has read
  ``self._session`` back.  Preemptive (a switch at every ``_session``
  access, as native threads allow): one preemption suffices; DFS fails at
  schedule 287, bounded DFS at schedule 10, and the whole space (bounded DFS
  with sleep sets, 26,219 schedules) holds 6,055 failing ones.  A request
  leaves on the other greenthread's session: with its SVM header, or on a
  half-built session with requests' default headers (no ``X-Dot-SVM-Name``,
  no ``Content-Type``) or no basic auth (ONTAP answers 401 and cinder raises
  ``NaApiError`` "Authentication failed").  The patched connection passes
  both models, exhaustively.
* Upstream's EMS does NOT mutate the connection's vserver at all.
  ``RestClient.send_ems_log_message`` is a plain ``send_request(
  '/support/ems/application-logs', 'post', body=body)``: tunneled with the
  client's own SVM, no ``set_vserver``, no connection swap
  (``cinder_support.observe_ems``).  The ZAPI
  ``client_cmode.Client.send_ems_log_message`` sets the admin vserver only on
  ``copy.copy`` of the client and of its connection (``observe_zapi_ems``).
  Race 2 does not exist upstream: ``cinder_ems_vserver:upstream`` passes the
  cooperative model exhaustively.  It FAILS the preemptive model, but through
  race 1 (two preemptions: the EMS POST leaves on the lookup's half-built
  session, ONTAP refuses it with 400 and cinder swallows it as "Failed to
  invoke EMS"); with the local-session fix it passes both, exhaustively.
* The fork's EMS on the same real client fails both models in eventlet's
  default order (16 of the 35 cooperative schedules), with cinder's own
  production error ``NetAppDriverException: Volume /nfs_volume_ds02 not
  found.``; the session fix does not change that (``fork_ems_session_fix``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from harness import Expectation, Registry, Target, fingerprint_of
from race_harness.scenarios import cinder_support
from race_harness.scenarios.cinder_support import DATA_SVM, EMS_MESSAGE, VARIANTS, Variant

SESSION_FLEXVOL = "/nfs_volume_ds01"
EMS_FLEXVOL = "/nfs_volume_ds02"
Operation = Callable[[Any, Any, Variant], None]


def lookup(path: str) -> Operation:
    """The SSC capacity lookup: a volume query by junction path, tunneled to the data SVM."""

    def capacity(fake: Any, client: Any, variant: Variant) -> None:
        with fake.journal.intent(DATA_SVM):
            client.get_flexvol_capacity(flexvol_path=path)

    capacity.__qualname__ = f"get_flexvol_capacity[{path}]"
    return capacity


def cluster_name(fake: Any, client: Any, variant: Variant) -> None:
    """A cluster-scoped read (``enable_tunneling=False``): no SVM header meant."""
    with fake.journal.intent(None):
        client.get_cluster_name()


def ems(fake: Any, client: Any, variant: Variant) -> None:
    """The EMS telemetry call, meant for the SVM the variant's EMS targets."""
    with fake.journal.intent(cinder_support.ems_intent(variant)):
        client.send_ems_log_message(dict(EMS_MESSAGE))


def race(variant: Variant, oracle: str, operations: tuple[Operation, ...]) -> Callable[[], None]:
    """A body: one fresh fake and client, one greenthread per operation."""

    def body() -> None:
        import eventlet

        from race_harness.fakes.ontap import FakeOntap

        fake = FakeOntap.default(oracle=oracle)  # type: ignore[arg-type]
        with fake.installed():
            client = cinder_support.make_client(fake, variant)
            threads = [eventlet.spawn(op, fake, client, variant) for op in operations]
            raised = [_outcome(thread) for thread in threads]
        check(fake, [e for e in raised if e is not None])

    return body


def _outcome(thread: Any) -> BaseException | None:
    try:
        thread.wait()
    except Exception as exc:  # noqa: BLE001 - the scenario reports what the client raised
        return exc
    return None


def check(fake: Any, raised: list[BaseException]) -> None:
    """No wrong-SVM request, and no operation failed."""
    violations = fake.journal.violations()
    if not violations and not raised:
        return
    lines = [f"{len(violations)} wrong-SVM request(s); the client raised {len(raised)} error(s)"]
    lines += [f"  raised {type(e).__name__}: {e}" for e in raised]
    lines += ["journal:", fake.journal.format()]
    raise AssertionError("\n".join(lines)) from (raised[0] if raised else None)


# -- expectations (measured; see docs/cinder_upstream.md) ---------------------------------


def _cell(model: str, verdict: str, why: str, schedules: int = 20_000) -> Expectation:
    return Expectation(model, verdict, strategy="dfs", schedules=schedules, why=why)  # type: ignore[arg-type]


SESSION_EXPECTED: dict[str, tuple[Expectation, ...]] = {
    "upstream": (
        _cell("cooperative", "pass", "no eventlet switch between storing self._session and reading it"),
        _cell("preemptive", "fail", "a switch at a _session access sends one request on the other's session"),
    ),
    "patched": (
        _cell("cooperative", "pass", "the session is a local"),
        _cell("preemptive", "pass", "the session is a local: nothing shared to overwrite"),
    ),
}

# The same race with no attribute named: every shared access in cinder's NetApp package is a
# preemption point (preempt_modules).  Too many points to exhaust: bounded proofs.
AUTO_PACKAGE = "cinder.volume.drivers.netapp"
AUTO_EXPECTED: dict[str, tuple[Expectation, ...]] = {
    "upstream": (
        Expectation("preemptive", "fail", strategy="bounded", bound=1,  # type: ignore[arg-type]
                    why="found with no hint: only the package is named, the race pair is cinder's lines"),
    ),
    "patched": (
        Expectation("preemptive", "pass", strategy="bounded", bound=2,  # type: ignore[arg-type]
                    why="every automatic point in the package, up to 2 preemptions"),
    ),
}

EMS_EXPECTED: dict[str, tuple[Expectation, ...]] = {
    "upstream": (
        _cell("cooperative", "pass", "upstream EMS never calls set_vserver: nothing to race"),
        _cell("preemptive", "fail", "race 1, not race 2: a request leaves on the other's half-built session"),
    ),
    "patched": (
        _cell("cooperative", "pass", "upstream EMS never calls set_vserver"),
        _cell("preemptive", "pass", "upstream EMS never calls set_vserver; the session is a local"),
    ),
    "fork_ems": (
        _cell("cooperative", "fail", "the EMS POST's send is a switch inside the admin-SVM window"),
        _cell("preemptive", "fail", "the EMS POST's send is a switch inside the admin-SVM window"),
    ),
    "fork_ems_session_fix": (
        _cell("cooperative", "fail", "the admin SVM is read into the headers before any session exists"),
        _cell("preemptive", "fail", "the admin SVM is read into the headers before any session exists"),
    ),
}


def _fingerprint() -> str:
    cinder = cinder_support.load()
    return fingerprint_of(sys.modules[__name__], cinder_support, cinder.api, cinder.rest)


def targets() -> list[Target]:
    """Every real-client target; raises ImportError when cinder is missing."""
    fingerprint = _fingerprint()
    found = [
        Target(
            name=f"cinder_session_overwrite:{name}",
            body=race(VARIANTS[name], "raise", (lookup(SESSION_FLEXVOL), cluster_name)),
            fingerprint=fingerprint,
            instrument=cinder_support.instrumentation,
            description=f"race 1 on cinder's own RestNaServer; {VARIANTS[name].summary}",
            expectations=cells,
        )
        for name, cells in SESSION_EXPECTED.items()
    ]
    found += [
        Target(
            name=f"cinder_ems_vserver:{name}",
            body=race(VARIANTS[name], "collect", (ems, lookup(EMS_FLEXVOL))),
            fingerprint=fingerprint,
            instrument=cinder_support.instrumentation,
            description=f"EMS beside the SSC capacity lookup on cinder's client; {VARIANTS[name].summary}",
            expectations=cells,
        )
        for name, cells in EMS_EXPECTED.items()
    ]
    found += [
        Target(
            name=f"cinder_session_overwrite:{name}_auto",
            body=race(VARIANTS[name], "raise", (lookup(SESSION_FLEXVOL), cluster_name)),
            fingerprint=fingerprint,
            preempt_modules=(AUTO_PACKAGE,),
            description=f"race 1 with automatic preemption points in {AUTO_PACKAGE} only; "
                        f"{VARIANTS[name].summary}",
            expectations=cells,
        )
        for name, cells in AUTO_EXPECTED.items()
    ]
    return found


def register(registry: Registry) -> None:
    """Add the real-client targets, built (and cinder imported) only when asked
    for; without cinder installed, add none."""
    if cinder_support.installed_version() is None:
        return
    registry.add_factory(("cinder_session_overwrite", "cinder_ems_vserver"), targets)
