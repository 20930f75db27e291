"""A fake ONTAP REST server the real cinder NetApp client runs against unchanged.

It holds a cluster's state (SVMs, FlexVols, EMS records, jobs), answers the
REST endpoints the client uses with ONTAP's shapes and errors, scopes every
request by its ``X-Dot-SVM-Name`` header exactly as ONTAP does, and journals
each request with the SVM its caller meant, so the wrong-SVM oracle can tell
a race's victim from a correct request.  Two transports, one handler: a
requests-mock adapter (in process, on the harness's virtual clock) and a
loopback HTTP server.

    fake = FakeOntap.default(oracle="raise")
    with fake.installed(), fake.journal.intent("svm_data_001"):
        ...  # any requests.Session now talks to fake.base_url
"""

from __future__ import annotations

from race_harness.fakes.ontap.fake import FakeOntap
from race_harness.fakes.ontap.journal import Journal, JournalEntry
from race_harness.fakes.ontap.oracle import WrongSvmRequest
from race_harness.fakes.ontap.server import LoopbackServer
from race_harness.fakes.ontap.state import ClusterState

__all__ = [
    "ClusterState",
    "FakeOntap",
    "Journal",
    "JournalEntry",
    "LoopbackServer",
    "WrongSvmRequest",
]
