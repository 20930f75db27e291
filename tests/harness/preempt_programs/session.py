"""The session-overwrite shape of the NetApp REST client, on plain classes.

``send`` builds a fresh session for its SVM in a shared attribute, then uses
``self._session`` again to send: another thread may have replaced it in
between, and the request leaves with the other SVM's header.
"""

from __future__ import annotations


class Session:
    def __init__(self, svm: str) -> None:
        self.headers = {"X-Dot-SVM-Name": svm}


class Client:
    def __init__(self) -> None:
        self._session: Session | None = None
        self.sent: list[tuple[str, str]] = []

    def _build_session(self, svm: str) -> None:
        self._session = Session(svm)

    def send(self, svm: str) -> None:
        self._build_session(svm)
        header = self._session.headers["X-Dot-SVM-Name"]  # type: ignore[union-attr]
        self.sent.append((svm, header))

    def wrong(self) -> list[tuple[str, str]]:
        return [(svm, header) for svm, header in self.sent if svm != header]
