"""Race 1, the session overwrite (cinder ``RestNaServer``, client/api.py).

The story: one ``RestNaServer`` is shared by every greenthread of the volume
service.  ``send_http_request`` builds a new ``requests.Session`` carrying the
request's headers, *stores it on* ``self._session``, then reads
``self._session`` back to send.  If greenthread A is switched out anywhere
between storing its session and reading it back (or between creating it and
setting its headers), greenthread B's ``_build_session`` replaces it, and A's
request leaves with B's headers: a volume lookup meant for ``svm_data_001``
goes out with no ``X-Dot-SVM-Name`` (cluster scope), or the cluster-scoped
call goes out tunneled.

Here A looks a FlexVol up, tunneled to the data SVM, while B reads the
cluster name, not tunneled, both through one client; the fake fails the run
at the first request whose header disagrees with what its caller meant.

What the harness shows, both facts at once:

* cooperative (eventlet greenthreads): no switch point exists between
  ``_build_session`` and the read of ``self._session`` (the only switches
  are in the fake transport's send and receive, after the session was
  chosen), so no schedule can lose the race.  The space is tiny, so DFS
  exhausts it: an exhaustive proof of "unreachable under eventlet".
* preemptive (native threads): a switch at any access of ``_session`` lets
  the other thread's session win; the failing request is printed with the
  header it carried.

Variants: ``old`` (cinder 29.0.0) and ``patched`` (``_build_session``
returns a local session; plus fix B, irrelevant here).

Measured: cooperative, DFS exhausts all 35 schedules of both variants with
no failure.  Preemptive, ``old`` fails at the 3rd random schedule (DFS: the
287th), either way round: the lookup leaves with no header (the cluster
read's session) or the cluster read leaves tunneled to ``svm_data_001``;
``patched`` passes an exhaustive DFS of all 210 schedules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import eventlet

from harness import Expectation, Registry, Target, fingerprint_of
from race_harness.fakes.ontap import FakeOntap
from race_harness.scenarios.netapp import backend as wiring
from race_harness.scenarios.netapp import client, connection, variants
from race_harness.scenarios.netapp.backend import DATA_SVM, make_client, preemptive_instrumentation
from race_harness.scenarios.netapp.variants import VARIANTS, ClientVariant

FLEXVOL_PATH = "/nfs_volume_ds01"


def _lookup(fake: FakeOntap, rest: client.RestClientModel) -> None:
    with fake.journal.intent(DATA_SVM):
        rest.get_flexvol_capacity(flexvol_path=FLEXVOL_PATH)


def _cluster_name(fake: FakeOntap, rest: client.RestClientModel) -> None:
    with fake.journal.intent(None):
        rest.get_cluster_name()


def make_body(variant: ClientVariant) -> Callable[[], None]:
    """Two greenthreads, one request each, through one shared client."""

    def body() -> None:
        fake = FakeOntap.default(oracle="raise")
        with fake.installed():
            rest = make_client(fake, variant.client_class)
            threads = [
                eventlet.spawn(_lookup, fake, rest),
                eventlet.spawn(_cluster_name, fake, rest),
            ]
            for thread in threads:
                thread.wait()
        assert not fake.journal.violations(), fake.journal.format()

    body.__qualname__ = f"session_overwrite_{variant.name}"
    return body


FINGERPRINT = fingerprint_of(sys.modules[__name__], connection, client, variants, wiring)

EXPECTED = {
    "old": (
        Expectation(
            "cooperative", "pass", strategy="dfs", schedules=5000,
            why="no eventlet switch between storing self._session and reading it back",
        ),
        Expectation(
            "preemptive", "fail", strategy="random", schedules=300,
            why="a native-thread switch at a _session access lets the other session win",
        ),
    ),
    "patched": (
        Expectation("cooperative", "pass", strategy="dfs", schedules=5000,
                    why="the session is a local: nothing shared to overwrite"),
        Expectation("preemptive", "pass", strategy="dfs", schedules=5000,
                    why="the session is a local: nothing shared to overwrite (exhaustive)"),
    ),
}  # fmt: skip


def targets() -> list[Target]:
    return [
        Target(
            name=f"session_overwrite:{name}",
            body=make_body(VARIANTS[name]),
            fingerprint=FINGERPRINT,
            until=60.0,
            instrument=preemptive_instrumentation,
            complete_footprints=True,
            description=f"race 1, shared RestNaServer session; client {name}: {VARIANTS[name].summary}",
            expectations=expectations,
        )
        for name, expectations in EXPECTED.items()
    ]


def register(registry: Registry) -> None:
    for target in targets():
        registry.add(target)
