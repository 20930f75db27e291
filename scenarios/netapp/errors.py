"""The production exceptions the incident's logs show, modelled by name and message.

The models raise these (never cinder's own classes, so the scenarios run
without cinder installed) with the same class names and message texts, so a
failing run reads like the production log line it reproduces.
"""

from __future__ import annotations


class CinderError(Exception):
    """Base of the modelled cinder exceptions: ``message % kwargs`` like cinder's."""

    message = "An unknown exception occurred."

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        self.kwargs = kwargs
        text = message if message is not None else self.message % kwargs
        super().__init__(text)
        self.msg = text


class VolumeBackendAPIException(CinderError):
    """What the REST client raises when ONTAP's answer is not what it needs."""

    message = "Bad or unexpected response from the storage volume backend API: %(data)s"


class InvalidVolume(CinderError):
    """Raised by ``extract_host(None)`` before any RPC is attempted."""

    message = "Invalid volume: %(reason)s"


class NetAppDriverException(CinderError):
    """The NetApp driver's own failure, wrapping a client error."""

    message = "NetApp Cinder Driver exception."


class NaApiError(Exception):
    """An error answer from ONTAP's API (``error.code`` / ``error.message``)."""

    def __init__(self, code: str = "unknown", message: str = "unknown") -> None:
        super().__init__(f"NetApp API failed. Reason - {code}:{message}")
        self.code = code
        self.message = message


def extract_host(host: str | None, level: str = "backend") -> str:
    """Split ``host@backend#pool`` like cinder's volume_utils; refuses ``None``.

    The refusal is the incident's last link: a migration that could not find
    its NetApp pool passes ``host=None`` and fails here in 0 ms.
    """
    if host is None:
        raise InvalidVolume(reason="volume is not assigned to a host")
    if level == "host":
        return host.split("#")[0].split("@")[0]
    if level == "pool":
        return host.split("#")[1] if "#" in host else ""
    return host.split("#")[0]
