"""Wiring shared by the scenarios: one NetApp backend against one fake ONTAP.

Everything is built fresh for each run (the fake, the client, the driver, the
services), because a harness run must not see the previous run's state.  The
preemptive model's instrumentation is here too: every access to the
connection's ``_session`` and ``_vserver`` and to the client's ``connection``
becomes a switch point, which is what native threads allow.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from race_harness.scenarios.netapp.client import RestClientModel
from race_harness.scenarios.netapp.connection import RestNaServerModel
from race_harness.scenarios.netapp.driver import NfsDriverModel
from race_harness.scenarios.netapp.service import SchedulerCacheModel, VolumeManagerModel
from race_harness.scenarios.netapp.variants import ClientVariant

if TYPE_CHECKING:
    from race_harness.fakes.ontap import FakeOntap

DATA_SVM = "svm_data_001"
ADMIN_SVM = "cluster_admin_svm"
NFS_LIF = "10.0.0.10"
SHARES = (f"{NFS_LIF}:/nfs_volume_ds01", f"{NFS_LIF}:/nfs_volume_ds02")
BACKEND_HOST = "cinder-volume@netapp"


@dataclass
class Backend:
    """A cinder-volume service for one NetApp NFS backend, and its scheduler view."""

    fake: FakeOntap
    client: RestClientModel
    driver: NfsDriverModel
    manager: VolumeManagerModel
    scheduler: SchedulerCacheModel


def make_client(fake: FakeOntap, client_class: type[RestClientModel]) -> RestClientModel:
    """A client of the data SVM; its constructor's version GET tunnels there too."""
    with fake.journal.intent(DATA_SVM):
        return client_class(
            hostname=fake.host,
            username=fake.username,
            password=fake.password,
            vserver=DATA_SVM,
            admin_vserver=ADMIN_SVM,
        )


def make_backend(fake: FakeOntap, variant: ClientVariant) -> Backend:
    client = make_client(fake, variant.client_class)
    driver = NfsDriverModel(
        client, list(SHARES), ems_initial_delay=variant.ems_initial_delay,
        intent=fake.journal.intent,
    )  # fmt: skip
    scheduler = SchedulerCacheModel()
    manager = VolumeManagerModel(BACKEND_HOST, driver, scheduler)
    return Backend(fake, client, driver, manager, scheduler)


@contextlib.contextmanager
def preemptive_instrumentation() -> Iterator[None]:
    """Switch points at every access of the state the two races share."""
    from harness.instrument import shared_attributes

    with (
        shared_attributes(RestNaServerModel, "_session", "_vserver"),
        shared_attributes(RestClientModel, "connection"),
    ):
        yield
