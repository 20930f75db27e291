"""What one request reads and writes of the fake cluster, for partial-order reduction.

The harness explores one order of two steps that commute and skips the other
(sleep sets, DPOR), so a footprint that is too small hides a race and one that
is too big only costs schedules.  Each request's footprint is recorded while
the handler runs (:class:`Accesses`, carried by the route's context), at the
grain the handler really looks at:

* a volume by uuid (``ontap:volume:<uuid>``), by name in an SVM
  (``ontap:volume-name:<svm>/<name>``: a lookup by exact name, the duplicate
  check of a create), by junction path (``ontap:junction:<svm>:<path>``);
* an SVM's whole volume collection (``ontap:volumes@<svm>``): any other query
  over that SVM's volumes, which a create in that SVM changes;
* jobs alike (``ontap:job:<uuid>``, ``ontap:jobs@<svm>``; a poll counts a job
  down, so it writes), the EMS log (``ontap:ems``: records are numbered in
  arrival order, so two posts do not commute) and the uuid counters
  (``ontap:uuids:<kind>``: two creates swap their uuids);
* what no request changes (the cluster, nodes, aggregates, the SVMs and the
  scope a request is tunneled into, ``ontap:svm:<name>``) is read all the
  same, so the record tells the whole story;
* the journal (``ontap:journal``): every request appends to it; reading it
  (the oracle's verdicts, ``len(journal)``) conflicts with every request.

A create writes everything a reader of the new volume could look at: its
uuid, its name and junction slots, its SVM's collection.  A cluster-scoped
read looks at every data SVM (the set of SVMs never changes through the API).
Names are plain deterministic strings, the same in every run; two fakes in one
run share them, which can only make more steps dependent, never fewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from harness import Footprint

JOURNAL = "ontap:journal"
CLUSTER = "ontap:cluster"
NODES = "ontap:nodes"
AGGREGATES = "ontap:aggregates"
SVMS = "ontap:svms"
EMS = "ontap:ems"
NO_SVM = "-"  # the collection key of objects that belong to no SVM (cluster-scoped jobs)


def svm(name: str) -> str:
    return f"ontap:svm:{name}"


def volume(uuid: str) -> str:
    return f"ontap:volume:{uuid}"


def volume_name(svm_name: str, name: str) -> str:
    return f"ontap:volume-name:{svm_name}/{name}"


def junction(svm_name: str, path: str) -> str:
    return f"ontap:junction:{svm_name}:{path}"


def volumes(svm_name: str) -> str:
    return f"ontap:volumes@{svm_name}"


def job(uuid: str) -> str:
    return f"ontap:job:{uuid}"


def jobs(svm_name: str | None) -> str:
    return f"ontap:jobs@{NO_SVM if svm_name is None else svm_name}"


def uuids(kind: str) -> str:
    return f"ontap:uuids:{kind}"


OPAQUE = Footprint(opaque=True)


@dataclass
class Accesses:
    """The resources one request's handler read and wrote so far."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)

    def read(self, resources: Iterable[str]) -> None:
        self.reads.update(resources)

    def write(self, resources: Iterable[str]) -> None:
        self.writes.update(resources)

    def footprint(self) -> Footprint:
        """The request's footprint: what it touched, plus its journal entry (an append)."""
        return Footprint(frozenset(self.reads), frozenset(self.writes), frozenset({JOURNAL}))
