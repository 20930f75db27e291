"""Race test files the plugin tests run, and how they run them."""

from __future__ import annotations

import re

import pytest

RACY = '''
import eventlet
import pytest

import harness


class Counter:
    def __init__(self):
        self.value = 0


def increment(counter):
    value = counter.value
    eventlet.sleep(0)  # green I/O between the read and the write
    harness.note("request", f"POST /counter value={value + 1}")
    if counter.value != value:
        harness.note("violation", f"stale read: read {value}, counter is now {counter.value}")
    counter.value = value + 1


@pytest.mark.race(strategy="dfs", schedules=100)
def test_lost_update(race):
    counter = Counter()
    race.gather(lambda: increment(counter), lambda: increment(counter))
    assert counter.value == 2, f"lost update: counter={counter.value}"
'''


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def replay_command(output: str) -> str:
    """The ``pytest 'NODEID' --race-replay='...'`` line the summary printed."""
    match = re.search(r"replay: (pytest '[^']+' --race-replay='[^']+')", output)
    assert match is not None, output
    return match.group(1)
