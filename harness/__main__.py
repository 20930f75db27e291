"""``python -m harness`` is the ``race-harness`` command."""

from __future__ import annotations

import sys

from harness._frontends.cli import main

sys.exit(main())
