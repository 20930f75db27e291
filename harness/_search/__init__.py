"""Search: exploring many runs (explore, replay), shrinking, statistics, the failure
database, failure signatures and the determinism check.

Private: import the public names from ``harness``.
"""
