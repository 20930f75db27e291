"""Front ends: the ``race-harness`` command, the pytest plugin and the verdict matrix.

Private: import the public names from ``harness``.
"""
