"""Hypothesis integration, for use inside your own ``@given`` tests.

    from hypothesis import given, strategies as st
    import harness.hypothesis as rh

    @given(rh.interleavings())
    def test_no_lost_update(interleaving):
        interleaving.run(lost_update)            # raises InterleavingFailed on a bad schedule

    @given(st.data())
    def test_no_lost_update_data(data):
        rh.run_with_data(lost_update, data)

Hypothesis shrinks a failing interleaving toward eventlet's default order
(fewest preemptions); the error message carries the schedule string to replay.
"""

from __future__ import annotations

from harness.strategies.hypothesis import (
    HypothesisStrategy,
    Interleaving,
    InterleavingFailed,
    interleavings,
    run_with_data,
)

__all__ = ["HypothesisStrategy", "Interleaving", "InterleavingFailed", "interleavings", "run_with_data"]
