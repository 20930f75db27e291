"""The code under test (``netapp/``) and the stories that race it.

``register`` is the ``race_harness.targets`` entry point: it adds every
scenario's targets, named ``scenario:variant``, to the harness's registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness import Registry


def register(registry: Registry) -> None:
    """Add the targets of every scenario module, in a fixed order."""
    from race_harness.scenarios import cinder_upstream, ems_vserver, migration_cascade, session_overwrite

    for module in (session_overwrite, ems_vserver, migration_cascade, cinder_upstream):
        module.register(registry)
