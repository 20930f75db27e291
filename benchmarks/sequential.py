"""The scenarios' requests, run once sequentially, with no harness: the overhead baseline.

Why hand-written: a scenario body is concurrent (it spawns greenthreads and
sleeps on a virtual clock: the EMS scenario waits 120 s, a migration 5 s),
so running it without the harness would measure sleeps, not work.  These
functions make the same client calls, through the same model classes, the
same ``FakeOntap`` and the same requests-mock adapter, one after the other in
one OS thread, skipping only the sleeps.  Each returns the fake, so the
caller can check that it sent as many requests as a harness run does.
"""

from __future__ import annotations

from collections.abc import Callable

from race_harness.fakes.ontap import FakeOntap
from race_harness.scenarios import ems_vserver, session_overwrite
from race_harness.scenarios.migration_cascade import DEFAULT_SIZE, MIGRATION_VARIANTS
from race_harness.scenarios.netapp.backend import BACKEND_HOST, SHARES, make_backend, make_client
from race_harness.scenarios.netapp.migration import VmwareVolume, VolumeRpcModel
from race_harness.scenarios.netapp.variants import VARIANTS

Baseline = Callable[[], FakeOntap]


def session_overwrite_sequential(variant: str) -> FakeOntap:
    """Client construction, the tunneled lookup, then the cluster read."""
    fake = FakeOntap.default(oracle="raise")
    with fake.installed():
        rest = make_client(fake, VARIANTS[variant].client_class)
        session_overwrite._lookup(fake, rest)
        session_overwrite._cluster_name(fake, rest)
    assert not fake.journal.violations()
    return fake


def ems_vserver_sequential(variant: str) -> FakeOntap:
    """Start-up without overlap: inline SSC, the capability report, one EMS run."""
    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        backend = make_backend(fake, VARIANTS[variant])
        backend.driver._update_ssc()
        backend.manager.publish_service_capabilities()
        backend.driver._handle_ems_logging()
    ems_vserver.check(backend)
    return fake


def migration_cascade_sequential(variant: str, size: int = DEFAULT_SIZE) -> FakeOntap:
    """Start-up as above, then each migration's pool lookup and file-size RPC in turn."""
    chosen = MIGRATION_VARIANTS[variant]
    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        backend = make_backend(fake, chosen.client)
        backend.driver._update_ssc()
        backend.manager.publish_service_capabilities()
        backend.driver._handle_ems_logging()
        rpc = VolumeRpcModel({BACKEND_HOST: backend.manager})
        migrator = chosen.migration_class(backend.scheduler, rpc, BACKEND_HOST)
        for index in range(size):
            volume = VmwareVolume(f"vol-{index:02d}", SHARES[index % 2])
            host = migrator.get_netapp_cinder_host(volume)
            rpc.get_file_sizes_by_dir(host, volume.flexvol_name)
    return fake


SCENARIOS: dict[str, Callable[[str], FakeOntap]] = {
    "session_overwrite": session_overwrite_sequential,
    "ems_vserver": ems_vserver_sequential,
    "migration_cascade": migration_cascade_sequential,
}


def baseline_for(target_name: str) -> Baseline | None:
    """The sequential twin of a registered ``scenario:variant``, or None when there is none."""
    scenario, _, variant = target_name.partition(":")
    make = SCENARIOS.get(scenario)
    known = MIGRATION_VARIANTS if scenario == "migration_cascade" else VARIANTS
    if make is None or variant not in known:
        return None
    return lambda: make(variant)
