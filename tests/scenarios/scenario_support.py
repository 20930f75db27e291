"""Shared helpers for the scenario tests: the registered targets and how to judge them."""

from __future__ import annotations

import pytest

from harness import Registry, Target
from race_harness.fakes.ontap import FakeOntap
from race_harness.scenarios import register

OWN_SCENARIOS = ("session_overwrite", "ems_vserver", "migration_cascade")


def registered() -> Registry:
    registry = Registry()
    register(registry)
    return registry


def own_targets() -> list[Target]:
    """The model scenarios' targets (not the real-cinder ones), in registration order."""
    return [t for t in registered().targets() if t.name.split(":")[0] in OWN_SCENARIOS]


def fake_lists_volume_files() -> bool:
    """cinder's ``get_file_sizes_by_dir`` lists ``/storage/volumes/{uuid}/files``."""
    keys = FakeOntap.default().routes.keys()
    return any(key.startswith("GET /api/storage/volumes/{uuid}/files") for key in keys)


def skip_without_files_route(target: Target) -> None:
    if target.name.startswith("migration_cascade:") and not fake_lists_volume_files():
        pytest.skip("the fake ONTAP does not serve GET /api/storage/volumes/{uuid}/files yet")
