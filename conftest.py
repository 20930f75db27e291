"""Root conftest: the repository's own test configuration.

The race-harness pytest plugin is loaded through its ``pytest11`` entry point
once the package is installed (``pip install -e ".[test]"``).
"""

from __future__ import annotations

import os

# Hypothesis: CI runs derandomized with no example database (DESIGN.md section 6).
try:
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("ci", derandomize=True, database=None, deadline=None)
    _hyp_settings.register_profile("dev", deadline=None)
    _hyp_settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
