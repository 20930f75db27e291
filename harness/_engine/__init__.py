"""The engine: the deterministic hub, the run loop, the switch points, virtual clocks,
and the patches that bring eventlet and the standard library under the scheduler.

Private: import the public names from ``harness``.
"""
