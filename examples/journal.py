"""A journal client that assumes an exhausted pool serves its waiters in call order.

The story: ``JournalClient.append`` numbers each entry when it is called and
sends it over a pooled connection (``eventlet.pools``).  The journal server
rejects an entry numbered lower than one it already has.  With one
connection, the author reasoned, callers queue for it in order, so entries
arrive in order.  But a pool parks its waiters in a queue's getter *set*:
when a connection comes back, eventlet wakes ``set.pop()``'s pick, which is
decided by memory addresses, not arrival.  In eventlet's usual run the first
waiter often wins, which is why tests pass; in production, now and then, the
third caller's entry overtakes the second's and the server refuses it.

Under the harness the waiter a returned connection wakes is a scheduling
choice whose option 0 is the earliest greenthread: the all-zero schedule
(eventlet's FIFO order) passes, and the race needs that one choice.

The fix, ``FixedJournalClient``: entries go into a FIFO queue (its *items*
are ordered, unlike its waiters) when ``append`` is called, and one sender
greenthread sends them in that order; ``close()`` waits until all are sent
and raises the first error.
"""

from __future__ import annotations

import itertools

import eventlet
from eventlet import pools, queue


class OutOfOrder(Exception):
    """The journal refused an entry numbered lower than one it has."""


class JournalServer:
    """A fake journal: entries must arrive in increasing sequence order."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, str]] = []

    def append(self, sequence: int, entry: str) -> None:
        eventlet.sleep(0)  # the round trip
        if self.entries and sequence < self.entries[-1][0]:
            raise OutOfOrder(f"entry {sequence} ({entry!r}) arrived after entry {self.entries[-1][0]}")
        self.entries.append((sequence, entry))


class JournalClient:
    """Appends entries through a pool of connections.  Racy: see the module docstring."""

    def __init__(self, server: JournalServer, connections: int = 1) -> None:
        self._server = server
        self._connections = pools.TokenPool(max_size=connections)
        self._sequence = itertools.count(1)

    def append(self, entry: str) -> None:
        sequence = next(self._sequence)  # call order
        with self._connections.item():  # waiters are woken in set order, not call order
            self._server.append(sequence, entry)

    def close(self) -> None:
        """Nothing to stop: connections are returned as each append ends."""


class FixedJournalClient(JournalClient):
    """The fix: a FIFO queue of entries and one sender greenthread."""

    def __init__(self, server: JournalServer, connections: int = 1) -> None:
        super().__init__(server, connections)
        self._outbox: queue.Queue = queue.Queue()
        self._sender = eventlet.spawn(self._send_all)

    def append(self, entry: str) -> None:
        self._outbox.put((next(self._sequence), entry))  # numbered and queued at once

    def _send_all(self) -> None:
        while (item := self._outbox.get()) is not None:
            self._server.append(*item)

    def close(self) -> None:
        """Wait until every entry appended so far is sent; raise the first error."""
        self._outbox.put(None)
        self._sender.wait()


def _three_writers(client_class: type[JournalClient]) -> None:
    server = JournalServer()
    client = client_class(server)
    writers = [eventlet.spawn(client.append, entry) for entry in ("a", "b", "c")]
    for writer in writers:
        writer.wait()  # re-raises OutOfOrder
    client.close()
    assert [sequence for sequence, _entry in server.entries] == [1, 2, 3], server.entries


def buggy() -> None:
    _three_writers(JournalClient)


def fixed() -> None:
    _three_writers(FixedJournalClient)
