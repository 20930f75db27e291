"""Fixtures for the fake ONTAP tests: a fresh fake per test and a way to call it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import requests

from race_harness.fakes.ontap import FakeOntap


class Caller:
    """Sends requests to a fake through its adapter, as a client would."""

    def __init__(self, fake: FakeOntap):
        self.fake = fake
        self.session = fake.mount(requests.Session())
        self.session.auth = (fake.username, fake.password)

    def __call__(
        self,
        method: str,
        path: str,
        *,
        svm: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = dict(headers or {})
        if svm is not None:
            sent["X-Dot-SVM-Name"] = svm
        return self.session.request(method, self.fake.base_url + path, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self("POST", path, **kwargs)


@pytest.fixture
def fake() -> Iterator[FakeOntap]:
    """The default cluster, oracle collecting; fails the test on any bug of the fake."""
    fake = FakeOntap.default(oracle="collect")
    yield fake
    assert fake.internal_errors == [], "the fake answered 500 because of its own bug"


@pytest.fixture
def call(fake: FakeOntap) -> Caller:
    return Caller(fake)


@pytest.fixture
def caller_for() -> type[Caller]:
    """Build a caller for a fake the test made itself: ``caller_for(fake)``."""
    return Caller
