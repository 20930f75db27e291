"""Plain modules that race, instrumented by prefix (``preempt_modules(["preempt_programs"])``).

Nothing here names the harness: each module is ordinary code written as if
for native threads, the way a developer would write it before knowing where
the race is.
"""
