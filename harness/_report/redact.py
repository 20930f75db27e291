"""Keep credentials out of every artifact a report writes.

A proof bundle is made to be pasted into a bug tracker, so every text that
reaches it (notes, error messages, tracebacks, extra sections) goes through
``Redactor.text`` first.  It masks, wherever they appear:

* values of credential-looking keys: ``password=...``, ``'passwd': '...'``,
  ``token: ...``, ``secret``, ``api_key``, ``credential(s)``;
* ``Authorization`` headers (``Basic``/``Bearer``/... and the value);
* passwords in URLs (``https://user:pw@host``);
* ``auth=('user', 'pw')`` tuples as requests takes them;
* any explicit secret string the caller names.

It also writes the absolute paths of this machine relative to the project
root or site-packages (``portable.py``): the same schedule gives the same
bundle on every machine, and the machine's layout stays out of the tracker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness._report.portable import PathRoots

MASK = "***"

_KEYS = r"pass(?:word|wd)?|pwd|secret|token|api[_-]?key|credentials?"
_KEY_VALUE = re.compile(
    rf"(?i)(\b(?:{_KEYS})\b[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&)}}\]]+)"
)
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)"
    r"((?:basic|bearer|digest|negotiate|token)\s+)?([^\s\"',;&)}\]]+)"
)
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:)([^/\s@]+)(@)")
_AUTH_TUPLE = re.compile(r"(?i)(\bauth\s*=\s*\(\s*[\"'][^\"']*[\"']\s*,\s*[\"'])([^\"']*)([\"'])")


class Redactor:
    """Masks credentials in text; ``secrets`` are exact strings to mask too."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._paths = PathRoots.here()

    def text(self, value: str) -> str:
        """``value`` with every credential it carries replaced by ``***``, and its paths portable."""
        value = self._paths.relative(value)
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        value = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{MASK}", value)
        value = _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", value)
        value = _AUTH_TUPLE.sub(rf"\g<1>{MASK}\g<3>", value)
        return _KEY_VALUE.sub(lambda m: m.group(1) + (m.group(2) if m.group(2) == MASK else MASK), value)

