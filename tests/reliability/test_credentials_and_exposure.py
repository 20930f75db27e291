"""Security: no credential in any artifact, the loopback server stays on loopback,
and the HTML report shows everything as text.

A canary password replaces the fake's default for full explorations of
registered scenario variants (API and CLI), then every artifact is searched
for it and for the Basic-auth token it makes: trace lines, failure messages
and tracebacks, the fake's journal, the proof bundle's files, the CLI's
output, and every log record at DEBUG.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
import requests

import harness
from harness._engine.run import RunResult
from harness._engine.trace import Trace
from harness._frontends import cli
from harness._report import make_report, render_html, write_bundle
from harness._report.model import build_report
from harness._targets import Target
from race_harness.fakes.ontap import FakeOntap, LoopbackServer
from race_harness.scenarios import ems_vserver, session_overwrite

CANARY = "Canary-Pw-7f3e9d1c"
CANARY_TOKEN = base64.b64encode(f"admin:{CANARY}".encode()).decode()
NEEDLES = (CANARY, CANARY_TOKEN, CANARY.lower())


class CanaryOntap(FakeOntap):
    """The fake, with the canary as its password; remembers every instance made."""

    made: list[FakeOntap] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["password"] = CANARY
        super().__init__(*args, **kwargs)
        CanaryOntap.made.append(self)


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> list[FakeOntap]:
    CanaryOntap.made = []
    for module in (session_overwrite, ems_vserver):
        monkeypatch.setattr(module, "FakeOntap", CanaryOntap)
    return CanaryOntap.made


def assert_clean(where: str, text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"the canary password leaked into {where}"


@pytest.mark.parametrize(("name", "model"), [("session_overwrite:old", "preemptive"),
                                             ("ems_vserver:old", "cooperative")])
def test_no_credential_in_any_artifact_of_a_full_exploration(
    name: str, model: str, canary: list[FakeOntap], tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    exploration = harness.explore(name, strategy="random", schedules=300, preemption=model)
    failure = exploration.failure
    assert failure is not None, exploration.verdict()
    assert canary and all(fake.password == CANARY for fake in canary)
    assert any(entry.user == "admin" for fake in canary for entry in fake.journal.entries)  # it logged in
    assert_clean("the verdict", exploration.verdict())
    assert_clean("the failure message", failure.describe() + str(failure.error))
    assert_clean("the failure's traceback", failure.traceback)
    assert_clean("the trace", "\n".join(failure.trace.lines()))
    assert_clean("the journals", "\n".join(fake.journal.format() + repr(fake) for fake in canary))
    assert_clean("repr of the credentials", "\n".join(repr(fake.credentials) for fake in canary))
    report = make_report(name, failure.schedule)
    assert report.error is not None
    written = write_bundle(report, tmp_path / "bundle")
    assert set(written) >= {"markdown", "json", "html", "svg", "regression"}
    for role, path in written.items():
        assert_clean(f"the bundle's {role} file", path.read_text())
    assert_clean("the log records", "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records))


def test_no_credential_in_the_cli_output(canary: list[FakeOntap], tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli.main(["explore", "ems_vserver:old", "--strategy", "dfs", "--json"]) == cli.EXIT_FAILURE
        schedule = __import__("json").loads(out.getvalue())["schedule"]
        assert cli.main(["explore", "ems_vserver:old", "--strategy", "dfs"]) == cli.EXIT_FAILURE
        assert cli.main(["replay", "ems_vserver:old", schedule, "--trace"]) == cli.EXIT_FAILURE
        assert cli.main(["report", "ems_vserver:old", schedule, "--out", str(tmp_path)]) == cli.EXIT_OK
    assert canary
    assert_clean("the CLI's stdout", out.getvalue())
    assert_clean("the CLI's stderr", err.getvalue())
    for path in tmp_path.iterdir():
        assert_clean(path.name, path.read_text())


def test_a_password_sent_without_a_user_never_reaches_the_journal() -> None:
    fake = FakeOntap.default(oracle="collect", password=CANARY)
    token = base64.b64encode(CANARY.encode()).decode()  # no "user:" part at all
    status, _headers, body = fake.handle("GET", f"{fake.base_url}/api/cluster",
                                         {"Authorization": f"Basic {token}"})
    assert status == 401
    assert fake.journal.entries[0].user is None
    assert_clean("the journal", fake.journal.format() + repr(fake.journal.entries))
    assert_clean("the answer", body.decode())


def test_a_failing_client_error_message_does_not_carry_the_password(canary: list[FakeOntap]) -> None:
    fake = CanaryOntap.default(oracle="collect")
    with fake.installed():
        response = requests.get(f"{fake.base_url}/api/cluster", auth=("admin", "wrong-" + CANARY))
    assert response.status_code == 401
    assert_clean("the 401 answer", response.text)
    assert all(entry.user == "admin" for entry in fake.journal.entries)


# -- the loopback server ---------------------------------------------------------------------

@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "::1", "10.0.0.10", "example.com"])
def test_the_loopback_server_refuses_any_other_address(host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
        LoopbackServer(FakeOntap.default(), host=host)


def _outward_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address: str = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_the_loopback_server_listens_on_loopback_only() -> None:
    with LoopbackServer(FakeOntap.default()) as server:
        assert server._server is not None and server._server.server_address[0] == "127.0.0.1"
        assert server.url.startswith("http://127.0.0.1:")
        outward = _outward_address()
        if outward is None:
            pytest.skip("no non-loopback address on this machine to try")
        with pytest.raises(OSError):
            socket.create_connection((outward, server.port), timeout=2).close()


# -- the HTML report escapes everything it shows -----------------------------------------------

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;"\''


def test_the_html_report_shows_markup_as_text() -> None:
    trace = Trace()
    for kind in ("spawn", "run", "request", "violation", "note"):
        trace.add(1, 1_767_225_600.0, "gt0", kind, f"{kind} {MARKUP}")
    error = AssertionError(f"boom {MARKUP}")
    from harness._engine.run import FailureRecord

    result = RunResult((), (), [FailureRecord(error, "gt0", 1, 0.0, f"Traceback {MARKUP}\n")], trace, 1, 0.0,
                       "completed")
    target = Target(name="reliability:markup", body=lambda: None, fingerprint="0123456789ab",
                    description=f"described {MARKUP}")
    report = build_report(target, "rh1:reliability:markup:c:0123456789ab:-", result,
                          pytest_command=f"pytest 'x' {MARKUP}", counts={"note": MARKUP})
    report.add_section(f"section {MARKUP}", f"text {MARKUP}")
    html = render_html(report)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower() and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html
    assert html.count("&lt;script&gt;") >= 8  # every field that carried it shows it, escaped
