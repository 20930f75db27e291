"""Race 2, the EMS vserver mutation (the fork's ``send_ems_log_message``).

The story: the NetApp NFS driver logs EMS telemetry from a looping call, first
at start-up (``initial_delay=0``) and then hourly.  The fork's EMS points the
client's *shared* connection at the cluster admin SVM (``set_vserver``), POSTs
``/support/ems/application-logs``, and restores the vserver in ``finally``.
At start-up the volume manager publishes its first capability report at the
same moment: for each pool the driver asks ``get_flexvol_capacity``, a
volume query tunneled to the data SVM whose ``X-Dot-SVM-Name`` is read from
``get_vserver()`` when the headers are built.  If that happens inside the EMS
window the lookup goes to ``cluster_admin_svm``, which owns no FlexVols:

    GET /api//storage/volumes/?...nas.path=/nfs_volume_ds02  X-Dot-SVM-Name: cluster_admin_svm
    VolumeBackendAPIException: ... Could not find unique volume. Volumes found: [].
    NetAppDriverException: Volume /nfs_volume_ds02 not found.

and the pool drops out of the report.  The session fix does not help: the
wrong name is read before any session exists.

Where start-up overlaps: cinder 29.0.0 runs the first ``_update_ssc`` inline
in ``check_for_setup_error`` *before* starting the looping tasks (its own
guard against racing the first stats update), so the start-up SSC lookups
never overlap the t=0 EMS; the volume manager's start-up capability report,
published right after, does: it asks ``get_flexvol_capacity`` per pool while
the EMS greenthread runs.  That is the lookup that fails here.

Targets (every client variant of ``race_harness.scenarios.netapp.variants``):

* ``ems_vserver:<variant>``: the start-up window.  ``init_host`` runs the
  inline SSC refresh, starts the looping tasks (EMS due at its initial delay)
  and publishes the start-up report; the run watches 120 s of virtual time.
  With fix A the EMS runs at t=60 s with nothing beside it: pass.
* ``ems_vserver:fix_a_delay_hourly``: fix A over the first hour and a bit,
  with the manager's periodic report every 60 s and the hourly SSC and EMS.
  The delayed EMS (t=60 s, 3660 s) lands on a periodic report: fail.

The invariant: no request carries another SVM's header (fake oracle
"collect", so the driver sees ONTAP's real answer and the production errors
appear), every pool is in the last report, and the EMS records reached the
admin SVM.

Measured (cooperative: DFS, the pass cells exhausted in at most 1,260
schedules; preemptive: random walk, 300 schedules, except fix A's exhaustive
DFS of 462): old, session_fix_only and fix_c_ems_lock fail in both models;
fix_a_delay, fix_b_deepcopy and patched pass in both; fix_a_delay_hourly
fails in both.  One cell differs from DESIGN.md: fix_d_vserver_param passes
cooperatively but FAILS preemptively.  Fix D removes the vserver mutation
but leaves the shared ``self._session`` of race 1, and the EMS POST and the
report's lookups share that connection: on native threads the EMS POST
leaves with the report's ``X-Dot-SVM-Name: svm_data_001`` (or a lookup
leaves on the EMS's half-built session).  Fix D is only safe with the
session fix; fix B is safe alone because the EMS's deep copy has its own
``_session``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Literal

import eventlet

from harness import Expectation, Registry, Target, fingerprint_of
from harness._targets import Model
from race_harness.fakes.ontap import FakeOntap
from race_harness.scenarios.netapp import backend as wiring
from race_harness.scenarios.netapp import client, connection, driver, looping, service, variants
from race_harness.scenarios.netapp.backend import (
    ADMIN_SVM,
    SHARES,
    Backend,
    make_backend,
    preemptive_instrumentation,
)
from race_harness.scenarios.netapp.looping import ONE_HOUR
from race_harness.scenarios.netapp.symptoms import wrong_svm_report
from race_harness.scenarios.netapp.variants import VARIANTS, ClientVariant

STARTUP_WINDOW = 120.0
HOURLY_WINDOW = ONE_HOUR + 90.0


def check(backend: Backend) -> None:
    """No wrong-SVM request; the last report has every pool; EMS reached admin."""
    violations = backend.fake.journal.violations()
    if violations:
        raise AssertionError(
            wrong_svm_report("EMS vserver race", violations, backend.driver, backend.manager)
        )
    reported = backend.scheduler.history[-1][1] if backend.scheduler.history else []
    assert reported == list(SHARES), f"pools missing from the last report: {reported}"
    ems_svms = [log.svm for log in backend.fake.state.ems_logs]
    assert ems_svms and set(ems_svms) == {ADMIN_SVM}, f"EMS records landed in {ems_svms}"


def make_body(variant: ClientVariant, window: float, periodic: bool) -> Callable[[], None]:
    def body() -> None:
        fake = FakeOntap.default(oracle="collect")
        with fake.installed():
            backend = make_backend(fake, variant)
            backend.manager.init_host(periodic_reports=periodic)
            eventlet.sleep(window)
            backend.manager.stop()
        check(backend)

    body.__qualname__ = f"ems_vserver_{variant.name}{'_hourly' if periodic else ''}"
    return body


FINGERPRINT = fingerprint_of(
    sys.modules[__name__], connection, client, variants, driver, looping, service, wiring
)


Verdict = Literal["pass", "fail"]


def _cell(model: Model, verdict: Verdict, why: str, strategy: str, schedules: int,
          bound: int | None = None) -> Expectation:
    return Expectation(model, verdict, strategy=strategy, schedules=schedules, why=why, bound=bound)


def _coop(verdict: Verdict, why: str) -> Expectation:
    """Cooperative cells: DFS; the pass cells are exhausted well within the budget."""
    return _cell("cooperative", verdict, why, "dfs", 2000)


def _pre(verdict: Verdict, why: str, strategy: str = "random", schedules: int = 300) -> Expectation:
    return _cell("preemptive", verdict, why, strategy, schedules)


def _pre_bounded(why: str, bound: int) -> Expectation:
    """Preemptive pass cells too large to exhaust: every schedule with at most
    ``bound`` preemptions (measured: 59 with 1 for fix B, 406 with 2 for patched)."""
    return _cell("preemptive", "pass", why, "bounded", 5000, bound)


STARTUP_EXPECTED: dict[str, tuple[Expectation, ...]] = {
    "old": (
        _coop("fail", "EMS at t=0 points the shared connection at the admin SVM under the report"),
        _pre("fail", "race 2, and race 1 on top (a request leaves on the other's half-built session)"),
    ),
    "session_fix_only": (
        _coop("fail", "the wrong SVM is read in _build_headers, before any session exists"),
        _pre("fail", "race 2 is untouched by the session fix"),
    ),
    "fix_a_delay": (
        _coop("pass", "EMS moved to t=60 s: nothing runs beside it in the start-up window"),
        _pre("pass", "nothing runs beside the EMS (exhaustive)", "dfs", 2000),
    ),
    "fix_b_deepcopy": (
        _coop("pass", "EMS mutates a private deep copy, never the shared connection"),
        _pre_bounded("the copy has its own _session too, so neither race can happen", 1),
    ),
    "fix_c_ems_lock": (
        _coop("fail", "readers take no lock: the EMS window is still open to them"),
        _pre("fail", "readers take no lock: the EMS window is still open to them"),
    ),
    "fix_d_vserver_param": (
        _coop("pass", "EMS names its SVM per request and mutates nothing"),
        _pre(
            "fail",
            "measured: fix D alone keeps the shared _session, so race 1 sends the EMS "
            "POST with the report's SVM header (DESIGN said pass)",
        ),
    ),
    "patched": (
        _coop("pass", "session fix + fix B"),
        _pre_bounded("session fix + fix B", 2),
    ),
}
HOURLY_EXPECTED = (
    _coop("fail", "the delayed EMS (t=60 s, 3660 s) lands on a periodic capability report"),
    _pre("fail", "the delayed EMS lands on a periodic capability report", schedules=100),
)


def targets() -> list[Target]:
    found = [
        Target(
            name=f"ems_vserver:{name}",
            body=make_body(VARIANTS[name], STARTUP_WINDOW, periodic=False),
            fingerprint=FINGERPRINT,
            until=STARTUP_WINDOW + 60.0,
            instrument=preemptive_instrumentation,
            description=f"race 2 at start-up (report + EMS); client {name}: {VARIANTS[name].summary}",
            expectations=cells,
        )
        for name, cells in STARTUP_EXPECTED.items()
    ]
    found.append(
        Target(
            name="ems_vserver:fix_a_delay_hourly",
            body=make_body(VARIANTS["fix_a_delay"], HOURLY_WINDOW, periodic=True),
            fingerprint=FINGERPRINT,
            until=HOURLY_WINDOW + 60.0,
            instrument=preemptive_instrumentation,
            description="race 2 with fix A over an hour: periodic reports, hourly SSC and EMS",
            expectations=HOURLY_EXPECTED,
        )
    )
    return found


def register(registry: Registry) -> None:
    for target in targets():
        registry.add(target)
