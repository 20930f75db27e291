"""A tiny eventlet app with the EMS race, for the report tests.

A telemetry greenthread switches a shared connection to the admin SVM while
it sends, then restores it.  A lookup that reads the connection's SVM in that
window sends its request to the wrong SVM.  Under eventlet's default order
the lookup reads after the restore, so only a preemption (a non-default
choice) shows the race.  ``fixed`` sends telemetry through a copy of the
connection (fix B of the incident), which no schedule can break.

The "server" notes every request (kind ``request``) and each wrong one
(kind ``violation``) as the fake ONTAP does.  Requests carry a password, so
the reports' redaction is exercised by every test.
"""

from __future__ import annotations

import copy

import eventlet

import harness

PASSWORD = "CANARY-pw-3f9a1c"


class Connection:
    def __init__(self) -> None:
        self.vserver = "svm-data"


class Server:
    def __init__(self) -> None:
        self.violations: list[str] = []

    def send(self, conn: Connection, meant: str, path: str) -> None:
        sent = conn.vserver
        harness.note("request", f"GET {path} X-Dot-SVM-Name: {sent} (meant {meant}) password={PASSWORD}")
        if sent != meant:
            message = f"wrong SVM: sent {sent}, meant {meant}"
            harness.note("violation", message)
            self.violations.append(message)
        eventlet.sleep(0)  # the network


def ems(conn: Connection, server: Server) -> None:
    saved = conn.vserver
    conn.vserver = "svm-admin"
    try:
        server.send(conn, "svm-admin", "/api/support/ems/application-logs")
    finally:
        conn.vserver = saved


def ems_on_copy(conn: Connection, server: Server) -> None:
    private = copy.copy(conn)
    private.vserver = "svm-admin"
    server.send(private, "svm-admin", "/api/support/ems/application-logs")


def lookup(conn: Connection, server: Server) -> None:
    eventlet.sleep(0)  # the lookup's own earlier work
    eventlet.sleep(0)
    server.send(conn, "svm-data", "/api/storage/volumes")


def _run(telemetry: object) -> None:
    conn, server = Connection(), Server()
    threads = [eventlet.spawn(lookup, conn, server), eventlet.spawn(telemetry, conn, server)]
    for thread in threads:
        thread.wait()
    assert not server.violations, f"{len(server.violations)} request(s) went to the wrong SVM"


def buggy() -> None:
    """The lookup races the telemetry's SVM switch."""
    _run(ems)


def fixed() -> None:
    """Telemetry never mutates the shared connection."""
    _run(ems_on_copy)
