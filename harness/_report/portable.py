"""Paths in a proof bundle that read the same on every machine.

Tracebacks, deadlock stacks and real-clock warnings name source files by
their absolute path (``/home/alice/src/app/models.py``,
``/opt/venv/lib/python3.11/site-packages/eventlet/...``), so the bundle of
one schedule differed from one checkout, user or virtualenv to the next, and
carried the machine's layout into a bug tracker.  Every text of a report is
rewritten (through ``Redactor.text``):

* under the project root (the git top-level of the current directory, else
  the current directory): relative to it, ``app/models.py``;
* under a site-packages directory: ``<site-packages>/eventlet/...``;
* under the standard library: ``<stdlib>/threading.py``;
* anywhere else in the home directory: ``~/...``.

The most specific root wins (a virtualenv inside the project is
site-packages).  Each root is also matched by its resolved form (a symlinked
checkout).
"""

from __future__ import annotations

import contextlib
import os
import re
import site
import sysconfig
from collections.abc import Iterable
from pathlib import Path

SITE_PACKAGES = "<site-packages>/"
STDLIB = "<stdlib>/"


def project_root(start: str | None = None) -> str:
    """The git top-level above ``start`` (default: the current directory), else ``start``."""
    here = Path(start or os.getcwd())
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return str(directory)
    return str(here)


def _site_dirs() -> list[str]:
    found = [sysconfig.get_paths().get(key, "") for key in ("purelib", "platlib")]
    with contextlib.suppress(AttributeError):  # some virtualenvs' site module has none
        found += site.getsitepackages()
    found.append(site.getusersitepackages())
    return [d for d in found if d]


class PathRoots:
    """Absolute prefixes and what each is written as, the longest first."""

    def __init__(self, roots: Iterable[tuple[str, str]]) -> None:
        prefixes: dict[str, str] = {}
        for directory, label in roots:
            for form in {directory, os.path.realpath(directory)}:
                if form and form != os.sep:
                    prefixes.setdefault(form.rstrip(os.sep) + os.sep, label)
        ordered = sorted(prefixes, key=len, reverse=True)
        self._labels = prefixes
        # not inside a longer path or a URL: the prefix starts where a path may start
        self._pattern = re.compile(
            r"(?<![\w.~/\\-])(" + "|".join(map(re.escape, ordered)) + ")") if ordered else None

    @classmethod
    def here(cls) -> PathRoots:
        """The roots of this machine and this working directory."""
        roots = [(directory, SITE_PACKAGES) for directory in _site_dirs()]
        roots.append((sysconfig.get_paths().get("stdlib", ""), STDLIB))
        roots.append((project_root(), ""))
        roots.append((os.path.expanduser("~"), "~/"))
        return cls(roots)

    def relative(self, text: str) -> str:
        """``text`` with every absolute path under a known root rewritten."""
        if self._pattern is None or os.sep not in text:
            return text
        return self._pattern.sub(lambda match: self._labels[match.group(1)], text)
