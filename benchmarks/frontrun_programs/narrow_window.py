"""A narrow window that needs two preemptions.

A reconfiguration flips ``reloading`` on for exactly one step of a
three-step update (on, new version, off); a health check reads the flag
twice and must never see it go from on to off between its two reads.  That
takes the writer preempted right after turning the flag on, the reader
preempted between its reads, and the writer finishing in between: two
preemptions, none of the one-preemption orders fails.  The twin holds a lock
across the update and across the two reads.
"""

from __future__ import annotations

import threading


class Config:
    def __init__(self) -> None:
        self.reloading = False
        self.version = 1
        self.samples: list[tuple[bool, bool]] = []
        self.lock = threading.Lock()


def setup() -> Config:
    return Config()


def reload(config: Config) -> None:
    config.reloading = True
    config.version += 1
    config.reloading = False


def check(config: Config) -> None:
    before = config.reloading
    after = config.reloading
    config.samples.append((before, after))


def reload_locked(config: Config) -> None:
    with config.lock:
        reload(config)


def check_locked(config: Config) -> None:
    with config.lock:
        check(config)


WORKERS = (reload, check)
LOCKED_WORKERS = (reload_locked, check_locked)


def invariant(config: Config) -> bool:
    return (True, False) not in config.samples
