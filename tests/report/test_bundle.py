"""Proof bundles: what each file says, that it can be trusted, and that it leaks nothing."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import eventlet
import pytest
import racy_app  # tests/report/racy_app.py (conftest puts it on sys.path)

import harness
from harness._frontends.cli import main
from harness._report import load_schema, make_report, report_dict, text_timeline, write_bundle
from harness._report.model import build_report
from harness._targets import Target

pytest_plugins = ["pytester"]

FILES = ("report.md", "report.json", "timeline.html", "timeline.svg", "test_regression_racy_app_buggy.py")


@pytest.fixture
def bundle(tmp_path: Path, buggy_schedule: str) -> dict[str, Path]:
    report = make_report(racy_app.buggy, buggy_schedule)
    return write_bundle(report, tmp_path / "bundle")


def test_bundle_has_every_file(bundle: dict[str, Path]) -> None:
    assert sorted(p.name for p in bundle["markdown"].parent.iterdir()) == sorted(FILES)


def test_markdown_says_what_failed_how_to_replay_and_on_what(bundle: dict[str, Path]) -> None:
    text = bundle["markdown"].read_text()
    report = json.loads(bundle["json"].read_text())
    assert "**AssertionError** in greenthread `gt0`" in text
    assert "1 request(s) went to the wrong SVM" in text
    for component in ("python", "eventlet", "greenlet", "race-harness"):
        assert re.search(rf"\| {re.escape(component)} \| \d", text), component
    assert f"`{report['target']['fingerprint']}`" in text
    assert report["schedule"]["string"] in text
    assert f"race-harness replay 'racy_app:buggy' '{report['schedule']['string']}'" in text
    assert "## Violating requests" in text
    assert "GET /api/storage/volumes X-Dot-SVM-Name: svm-admin (meant svm-data)" in text
    assert "wrong SVM: sent svm-admin, meant svm-data" in text
    assert "## Timeline" in text and "## Trace" in text


def test_shrunk_schedule_is_reported_with_the_original(bundle: dict[str, Path], buggy_schedule: str) -> None:
    data = json.loads(bundle["json"].read_text())
    shrunk = harness.Schedule.parse(data["schedule"]["string"])
    assert shrunk.preemptions == 1, "the race needs exactly one preemption"
    if data["schedule"]["string"] != buggy_schedule:
        assert data["schedule"]["original"] == buggy_schedule
        assert data["schedule"]["shrink"].startswith("shrunk")
    result = harness.replay(racy_app.buggy, data["schedule"]["string"])
    assert result.failure is not None, "the reported schedule must fail when replayed"
    replayed = [e.line().replace(racy_app.PASSWORD, "***") for e in result.trace.events]
    assert replayed == [_line(e) for e in data["trace"]], "the trace in the report is the replay's trace"


def _line(event: dict[str, object]) -> str:
    from harness._engine.clock import EPOCH
    from harness._engine.trace import Event

    return Event(int(str(event["step"])), EPOCH + float(str(event["offset"])), str(event["thread"]),
                 str(event["kind"]), str(event["detail"])).line()


def test_json_validates_against_the_schema(bundle: dict[str, Path]) -> None:
    document = json.loads(bundle["json"].read_text())
    schema = load_schema()
    _validate(document, schema)
    assert document["violations"][0]["request"]["kind"] == "request"
    assert document["requests"][-1]["violating"] is True
    broken = dict(document, schedule=dict(document["schedule"], model="threads"))
    with pytest.raises(AssertionError):
        _validate(broken, schema)
    with pytest.raises(AssertionError):
        _validate({k: v for k, v in document.items() if k != "versions"}, schema)


def _validate(document: dict[str, object], schema: dict[str, object]) -> None:
    """jsonschema when installed; else a hand check of required keys and enums."""
    try:
        import jsonschema
    except ImportError:
        _hand_check(document, schema)
        return
    try:
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError as exc:
        raise AssertionError(exc.message) from None


def _hand_check(document: object, schema: object) -> None:
    assert isinstance(schema, dict)
    if "const" in schema:
        assert document == schema["const"]
    if "enum" in schema:
        assert document in schema["enum"]
    if isinstance(document, dict):
        for key in schema.get("required", []):
            assert key in document, f"missing {key}"
        for key, sub in schema.get("properties", {}).items():
            if key in document and isinstance(sub, dict):
                _hand_check(document[key], sub)


def test_json_is_the_same_for_the_same_run(tmp_path: Path, buggy_schedule: str) -> None:
    first = write_bundle(make_report(racy_app.buggy, buggy_schedule), tmp_path / "a")
    second = write_bundle(make_report(racy_app.buggy, buggy_schedule), tmp_path / "b")
    for role in ("json", "markdown", "svg", "html"):
        assert first[role].read_bytes() == second[role].read_bytes(), role


def test_svg_draws_one_lane_per_greenthread_and_the_violating_request_in_red(bundle: dict[str, Path]) -> None:
    root = ET.fromstring(bundle["svg"].read_text())  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    for lane in ("gt0", "gt1", "gt2", "server"):
        assert lane in texts, lane
    arrows = [e.get("class") for e in root.iter(f"{ns}line") if e.get("class")]
    assert arrows == ["request", "violating-request"], "two requests, the lookup's one violated"
    violating = next(e for e in root.iter(f"{ns}line") if e.get("class") == "violating-request")
    assert violating.get("stroke") == "#dc2626"
    violation = [t for t in root.iter(f"{ns}text") if (t.text or "").startswith("VIOLATION:")]
    assert violation and violation[0].get("fill") == "#dc2626"
    assert any(t.startswith("GET /api/storage/volumes X-Dot-SVM-Name: svm-admin") for t in texts)
    preempted = [t for t in texts if "(choice 1 of 2)" in t]
    assert len(preempted) == 1, "the one preemption of the shrunk schedule is marked"


def test_html_is_self_contained(bundle: dict[str, Path]) -> None:
    html = bundle["html"].read_text()
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert "Content-Security-Policy" in html
    assert "<svg" in html, "the timeline is embedded"
    assert 'class="bad"' in html, "the violating request is highlighted"
    _parse_html(html)


class _Checker(HTMLParser):
    """Counts open/close tags; void elements excluded."""

    VOID = {"meta", "br", "img", "hr", "input", "link", "path", "rect", "line", "marker"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def _parse_html(html: str) -> None:
    checker = _Checker()
    checker.feed(html)
    assert checker.stack == [], checker.stack


# -- what a report must never carry, and must always escape -----------------------------
CANARY = "CANARY-pw-91d2e7"
MARKUP = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def _leaky_body() -> None:
    def worker() -> None:
        basic = base64.b64encode(f"admin:{CANARY}".encode()).decode()
        harness.note("request", f"POST /api/security/login password={CANARY}")
        harness.note("request", f"GET /api/x Authorization: Basic {basic}")
        harness.note("login", f"session {{'username': 'admin', 'password': '{CANARY}'}}")
        harness.note("request", f"GET https://admin:{CANARY}@ontap.example/api/cluster")
        harness.note("violation", f"wrong SVM {MARKUP} & \"quotes\"")
        eventlet.sleep(0)

    eventlet.spawn(worker).wait()
    raise AssertionError(f"request failed with auth=('admin', '{CANARY}') {MARKUP}")


LEAKY = Target("leaky:body", _leaky_body, "abc123", description=f"leaks {MARKUP}")


@pytest.fixture
def leaky_bundle(tmp_path: Path) -> dict[str, Path]:
    result = harness.replay(LEAKY, "rh1:leaky:body:c:abc123:-")
    assert result.failure is not None
    report = build_report(LEAKY, "rh1:leaky:body:c:abc123:-", result)
    report.add_section(f"extra {MARKUP}", f"token={CANARY} {MARKUP}")
    return write_bundle(report, tmp_path / "leaky")


def test_credentials_never_appear_in_any_artifact(leaky_bundle: dict[str, Path]) -> None:
    forms = [CANARY, base64.b64encode(f"admin:{CANARY}".encode()).decode()]
    for path in leaky_bundle.values():
        text = path.read_text()
        for form in forms:
            assert form not in text, f"{path.name} leaks {form}"
    assert "password=***" in leaky_bundle["markdown"].read_text()


def test_html_and_svg_escape_everything_they_show(leaky_bundle: dict[str, Path]) -> None:
    html = leaky_bundle["html"].read_text()
    svg = leaky_bundle["svg"].read_text()
    for text in (html, svg):
        assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&quot;quotes&quot;" in html and "&amp; " in html
    ET.fromstring(svg)
    _parse_html(html)
    markdown = leaky_bundle["markdown"].read_text()
    outside_fences = re.sub(r"```.*?```", "", markdown, flags=re.S)
    assert "<script>" not in outside_fences and "<img" not in outside_fences


def test_text_timeline_has_one_column_per_greenthread(buggy_schedule: str) -> None:
    report = make_report(racy_app.buggy, buggy_schedule)
    lines = text_timeline(report, width=150).splitlines()
    assert re.match(r"\s+step\s+t\+\(s\) \| gt0\s+\| gt1\s+\| gt2$", lines[0])
    violation = next(line for line in lines if "!! GET /api/storage/volumes" in line)
    columns = violation.split(" | ")
    assert columns[1].strip() == "" and columns[2].startswith("!! GET"), "in gt1's column"
    assert any("*> after sleep" in line for line in lines), "the preemption is marked"


@pytest.mark.usefixtures("no_registered_targets")
def test_report_command_writes_the_bundle(tmp_path: Path, buggy_schedule: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "racy_app:buggy", buggy_schedule, "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("racy_app:buggy: AssertionError: 1 request(s) went to the wrong SVM")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)


def test_report_of_a_passing_schedule_says_so(tmp_path: Path) -> None:
    from harness._targets import target_from_callable

    schedule = f"rh1:racy_app:fixed:c:{target_from_callable(racy_app.fixed).fingerprint}:-"
    written = write_bundle(make_report(racy_app.fixed, schedule), tmp_path / "pass")
    data = report_dict(make_report(racy_app.fixed, schedule))
    assert data["failed"] is False and data["error"] is None and data["violations"] == []
    assert "**No failure**" in written["markdown"].read_text()


# -- the regression test ---------------------------------------------------------------------
@pytest.mark.usefixtures("no_registered_targets")
def test_regression_test_fails_on_the_buggy_variant_and_passes_on_the_fixed_one(
    pytester: pytest.Pytester, bundle: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = bundle["regression"].read_text()
    pytester.makepyfile(test_regression_racy_app_buggy=source)
    failing = pytester.runpytest_inprocess("-p", "no:randomly", "-q")
    failing.assert_outcomes(failed=1)
    failing.stdout.fnmatch_lines(["*the race is back (first seen as AssertionError: 1 request(s)*"])
    monkeypatch.setenv("RACE_REGRESSION_TARGETS", "racy_app:fixed")
    passing = pytester.runpytest_inprocess("-p", "no:randomly", "-q")
    passing.assert_outcomes(passed=1)
    monkeypatch.setenv("RACE_REGRESSION_TARGETS", "racy_app:buggy,racy_app:fixed")
    both = pytester.runpytest_inprocess("-p", "no:randomly", "-q", "-rA")
    both.assert_outcomes(passed=1, failed=1)
    both.stdout.fnmatch_lines(["FAILED*test_race_does_not_happen?racy_app:buggy?*"])
    both.stdout.fnmatch_lines(["PASSED*test_race_does_not_happen?racy_app:fixed?*"])


# -- the real incident, when the scenarios are installed ----------------------------------------
@pytest.mark.slow
def test_ems_vserver_old_bundle_shows_the_wrong_svm_request(tmp_path: Path) -> None:
    from harness._targets import load_registry

    if load_registry().get("ems_vserver:old") is None:
        pytest.skip("ems_vserver:old is not registered (scenarios not installed)")
    outcome = harness.explore("ems_vserver:old", strategy="random", schedules=50, database="off")
    assert outcome.failure is not None, outcome.verdict()
    report = make_report("ems_vserver:old", outcome.failure.schedule)
    written = write_bundle(report, tmp_path / "ems", regression_targets=["ems_vserver:old"])
    html = written["html"].read_text()
    assert "X-Dot-SVM-Name: cluster_admin_svm (meant svm_data_001)" in html
    assert report.violations(), "the fake's oracle must note the wrong-SVM request as a violation"
    assert 'class="bad"' in html and "url(#arrow-red)" in written["svg"].read_text()


def _long_body() -> None:
    def worker(i: int) -> None:
        for k in range(80):  # ~500 rows: more than the SVG's 400
            eventlet.sleep(0)
            harness.note("request", f"GET /item/{i}/{k}")

    threads = [eventlet.spawn(worker, i) for i in range(3)]
    for thread in threads:
        thread.wait()
    raise AssertionError("the end of a long run")


def test_long_traces_keep_the_start_and_the_end(tmp_path: Path) -> None:
    long_target = Target("long:body", _long_body, "abcd")
    result = harness.replay(long_target, "rh1:long:body:c:abcd:-")
    report = build_report(long_target, "rh1:long:body:c:abcd:-", result)
    lines = text_timeline(report, width=120, limit=30).splitlines()
    gap = next(i for i, line in enumerate(lines) if "events not shown" in line)
    assert 2 < gap < 12, "the gap follows the first rows"
    assert "starts" in lines[2] and "XX AssertionError:" in "\n".join(lines[-6:])
    svg = write_bundle(report, tmp_path / "long")["svg"].read_text()
    ET.fromstring(svg)
    assert "events not shown (see report.json)" in svg
    assert len(json.loads((tmp_path / "long" / "report.json").read_text())["trace"]) == len(result.trace)
