"""The session-overwrite shape of the NetApp REST client, on a plain class.

``send`` builds a fresh session with its SVM's header in the shared
``self._session``, then sends through ``self._session``: another thread may
have replaced it in between, and the request goes out with the other
thread's ``X-Dot-SVM-Name``.  The twin holds a lock across build and send.
"""

from __future__ import annotations

import threading


class Session:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers

    def send(self, sent: list[tuple[str, str]], svm: str) -> None:
        """Record the request: the SVM it was meant for and the header it carried."""
        sent.append((svm, self.headers["X-Dot-SVM-Name"]))


class Client:
    def __init__(self) -> None:
        self._session: Session | None = None
        self.sent: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def send(self, svm: str) -> None:
        self._session = Session({"X-Dot-SVM-Name": svm})
        self._session.send(self.sent, svm)

    def send_locked(self, svm: str) -> None:
        with self.lock:
            self._session = Session({"X-Dot-SVM-Name": svm})
            self._session.send(self.sent, svm)


def setup() -> Client:
    return Client()


def send_a(client: Client) -> None:
    client.send("svm_a")


def send_b(client: Client) -> None:
    client.send("svm_b")


def send_a_locked(client: Client) -> None:
    client.send_locked("svm_a")


def send_b_locked(client: Client) -> None:
    client.send_locked("svm_b")


WORKERS = (send_a, send_b)
LOCKED_WORKERS = (send_a_locked, send_b_locked)


def invariant(client: Client) -> bool:
    return len(client.sent) == 2 and all(svm == header for svm, header in client.sent)
