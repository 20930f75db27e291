"""Benchmarks: what the performance claims in the README are measured with.

``race-harness bench`` (``race_harness.benchmarks.cli``) runs every measurement side by
side in one process, so a noisy machine skews all figures alike and the
ratios stay meaningful.  The ``bench_*.py`` scripts are older, narrower
measurements (per request, per switch, per strategy) kept runnable on their
own.
"""

import warnings as _warnings

# eventlet announces its deprecation on import; a benchmark of eventlet code
# has no use for it (the harness filters the same message).
_warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
