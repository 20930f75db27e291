"""Whatever arrives, the fake answers with an ONTAP-shaped body and never breaks."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from race_harness.fakes.ontap import FakeOntap

AUTH = {"Authorization": "Basic YWRtaW46bmV0YXBwMTIz"}  # admin:netapp123
SEGMENTS = [
    "api",
    "",
    "cluster",
    "storage",
    "volumes",
    "svm",
    "svms",
    "jobs",
    "files",
    "nodes",
    "support",
    "ems",
    "application-logs",
    "aggregates",
    "f1e70000-0000-4000-8000-000000000003",
    "%2F",
    "..",
    "x",
]
KEYS = [
    "name",
    "fields",
    "max_records",
    "return_records",
    "nas.path",
    "svm.name",
    "start.uuid",
    "is_svm_root",
    "style",
    "space.size",
    "type",
    "bogus",
    "",
]
VALUES = st.text(alphabet="ab*|,!<>=/%.0129-_?&tfrue", max_size=12)


@st.composite
def requests_(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
    method = draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"]))
    path = "/" + "/".join(draw(st.lists(st.sampled_from(SEGMENTS), max_size=6)))
    pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=4))
    query = "&".join(f"{k}={v}" for k, v in pairs)
    headers = dict(AUTH) if draw(st.booleans()) else {}
    svm = draw(st.sampled_from([None, "svm_data_001", "cluster_admin_svm", "ghost", ""]))
    if svm is not None:
        headers["X-Dot-SVM-Name"] = svm
    if draw(st.booleans()):
        headers["Content-Type"] = draw(
            st.sampled_from(["application/json", "text/plain", "application/hal+json"])
        )
    body = draw(
        st.one_of(
            st.just(b""),
            st.binary(max_size=40),
            st.dictionaries(st.sampled_from(["name", "svm", "size", "severity", "event_id"]), VALUES).map(
                lambda d: json.dumps(d).encode()
            ),
        )
    )
    return method, f"https://ontap.fake.test{path}?{query}", headers, body


@settings(max_examples=300, deadline=None)
@given(requests_())
def test_any_request_gets_an_ontap_answer(request: tuple[str, str, dict[str, str], bytes]) -> None:
    fake = FakeOntap.default(oracle="collect")
    method, url, headers, body = request
    status, reply_headers, payload = fake.handle(method, url, headers, body)
    assert fake.internal_errors == []
    assert 200 <= status < 500
    if payload:
        decoded = json.loads(payload)
        assert reply_headers["Content-Type"] == "application/hal+json"
        if status >= 400:
            assert set(decoded) == {"error"} and isinstance(decoded["error"]["code"], str)
    (entry,) = fake.journal.entries
    assert entry.status == status and entry.method == method
