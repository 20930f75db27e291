"""How people hunt these races today: hammer the code with real concurrency and hope.

Three naive hunts, each against the same fake ONTAP and the same wrong-SVM
detector the harness uses (``fake.journal.violations()``), each bounded by a
wall-clock cap:

* ``threads_session``: race 1 on native OS threads.  Two threads share one old
  ``RestClientModel`` (hence one connection and its ``_session``), one looking
  a FlexVol up (meant for the data SVM), one reading the cluster name (meant
  cluster-scoped), each ``calls_per_run`` times; no monkey-patching, the
  interpreter's default switch interval.
* ``green_session``: the same under eventlet greenthreads on the stock hub,
  with random jitter sleeps between calls and the fake's send and receive
  yielding (see ``yielding_fake``).  Eventlet never switches between
  ``_build_session`` and the read of ``self._session``, so this never fails.
* ``green_ems``: race 2 at start-up.  The EMS task fires once (two EMS POSTs)
  at t=0 while the capability report's tunneled lookups start at random
  moments spread over 100 ms of real time; stock hub, real sleeps.

What the fake lacks for a naive hunt, and what is done here (at this side,
for the duration of a green hunt only):

* outside a harness run its ``io_point`` calls are no-ops, so a request never
  yields.  A real socket would, so ``yielding_fake`` wraps ``FakeOntap.handle``
  with ``eventlet.sleep(latency)`` before and after the answer: the request is
  "on the wire" for ``latency`` seconds each way;
* outside a run ``harness.current_thread_name()`` is the OS thread's name, so
  every greenthread of a stock hub shares one intent stack in the journal and
  the detector would blame the wrong caller.  ``per_greenlet_intents`` names
  each greenlet apart for the journal.

The green hunts run in a fresh OS thread (a fresh stock hub, nothing of the
harness).  Each hunt reports requests, runs and wall seconds to the first
wrong-SVM request, then re-runs the failing configuration ``repeats`` times:
the chance that a failing naive test fails again.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import eventlet
import greenlet

import race_harness.fakes.ontap.fake as fake_module
import race_harness.fakes.ontap.journal as journal_module
from race_harness.fakes.ontap import FakeOntap
from race_harness.scenarios.netapp.backend import DATA_SVM, SHARES, make_backend, make_client
from race_harness.scenarios.netapp.variants import VARIANTS

IO_LATENCY = 0.001
SPREAD = 0.100
JITTER = 0.001


@dataclass
class RunOutcome:
    """One naive run: requests the fake saw, and the first wrong one (index, wall time)."""

    requests: int
    first_wrong: int | None
    first_wrong_at: float | None


@dataclass
class HuntResult:
    """Requests, runs and wall seconds until the first wrong-SVM request (or the cap)."""

    name: str
    how: str
    found: bool
    requests: int
    runs: int
    wall_s: float
    cap_s: float
    reproduction_rate: float | None = None
    reproduction_runs: int = 0
    notes: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=lambda: Tally())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["wall_s"] = round(self.wall_s, 3)
        data["tally"] = self.tally.as_dict()
        if not self.found:
            data["verdict"] = f"not found within cap ({self.cap_s:g} s)"
        return data


@dataclass
class Tally:
    """Every whole run of a hunt (the hunt's and the reproduction's): what a failure costs on average.

    One hunt is one draw of a geometric variable; the mean cost of a failure
    is (requests or seconds per run) / (failing runs / runs).
    """

    runs: int = 0
    failures: int = 0
    requests: int = 0
    wall_s: float = 0.0

    def add(self, outcome: RunOutcome, wall: float) -> None:
        self.runs += 1
        self.failures += outcome.first_wrong is not None
        self.requests += outcome.requests
        self.wall_s += wall

    @property
    def rate(self) -> float | None:
        return self.failures / self.runs if self.runs else None

    def expected(self) -> tuple[float, float] | None:
        """(requests, wall seconds) to a failure on average; None when none failed."""
        if not self.failures:
            return None
        return self.requests / self.failures, self.wall_s / self.failures

    def as_dict(self) -> dict[str, Any]:
        expected = self.expected()
        return {"runs": self.runs, "failures": self.failures, "requests": self.requests,
                "wall_s": round(self.wall_s, 3), "failure_rate": round(self.rate, 4) if self.rate else 0.0,
                "expected_requests_to_failure": round(expected[0], 1) if expected else None,
                "expected_wall_s_to_failure": round(expected[1], 4) if expected else None}


Run = Callable[[], RunOutcome]


def hunt(name: str, how: str, run: Run, cap: float, repeats: int) -> HuntResult:
    """Repeat ``run`` until a wrong-SVM request or ``cap`` seconds; then re-run it ``repeats`` times."""
    started = time.perf_counter()
    requests = runs = 0
    tally = Tally()
    while time.perf_counter() - started < cap:
        run_started_wall = time.time()
        run_started = time.perf_counter()
        outcome = run()
        tally.add(outcome, time.perf_counter() - run_started)
        runs += 1
        if outcome.first_wrong is not None:
            offset = (outcome.first_wrong_at or time.time()) - run_started_wall
            wall = run_started - started + max(0.0, offset)
            found = requests + outcome.first_wrong + 1
            result = HuntResult(name, how, True, found, runs, wall, cap, tally=tally)
            _reproduce(result, run, repeats, cap)
            return result
        requests += outcome.requests
    return HuntResult(name, how, False, requests, runs, time.perf_counter() - started, cap, tally=tally)


def _reproduce(result: HuntResult, run: Run, repeats: int, cap: float) -> None:
    """Re-run the failing configuration; stop early past the cap (reported as fewer runs)."""
    started, failed = time.perf_counter(), 0
    for _ in range(repeats):
        if time.perf_counter() - started > cap:
            result.notes.append(f"reproduction stopped at the {cap:g} s cap")
            break
        run_started = time.perf_counter()
        outcome = run()
        result.tally.add(outcome, time.perf_counter() - run_started)
        failed += outcome.first_wrong is not None
        result.reproduction_runs += 1
    if result.reproduction_runs:
        result.reproduction_rate = round(failed / result.reproduction_runs, 3)


def in_fresh_thread(func: Callable[[], HuntResult]) -> HuntResult:
    """Run a hunt in a new OS thread: its own stock eventlet hub, nothing of the harness."""
    box: list[HuntResult | BaseException] = []

    def main() -> None:
        try:
            box.append(func())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box.append(exc)

    thread = threading.Thread(target=main, name="naive-hunt")
    thread.start()
    thread.join()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


@contextlib.contextmanager
def yielding_fake(latency: float = IO_LATENCY) -> Iterator[None]:
    """Make the fake's send and receive real green waits of ``latency`` seconds."""
    original = FakeOntap.handle

    def handle(fake: FakeOntap, *args: Any, **kwargs: Any) -> Any:
        eventlet.sleep(latency)
        answer = original(fake, *args, **kwargs)
        eventlet.sleep(latency)
        return answer

    FakeOntap.handle = handle  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        FakeOntap.handle = original  # type: ignore[method-assign]


@contextlib.contextmanager
def per_greenlet_intents() -> Iterator[None]:
    """Key the journal's intents by greenlet, not by OS thread (see the module docstring)."""
    names: weakref.WeakKeyDictionary[greenlet.greenlet, str] = weakref.WeakKeyDictionary()
    counter = itertools.count()

    def name() -> str:
        current = greenlet.getcurrent()
        if current not in names:
            names[current] = f"{threading.current_thread().name}/green{next(counter)}"
        return names[current]

    modules = (journal_module, fake_module)
    saved = [module.__dict__["current_thread_name"] for module in modules]
    for module in modules:
        module.__dict__["current_thread_name"] = name
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.__dict__["current_thread_name"] = original


def _outcome(fake: FakeOntap) -> RunOutcome:
    entries = list(fake.journal.entries)
    wrong = next((i for i, e in enumerate(entries) if e.wrong_svm), None)
    return RunOutcome(len(entries), wrong, entries[wrong].time if wrong is not None else None)


def _quietly(call: Callable[[], object]) -> None:
    """A wrong session answers 401 or 'not found': the client raises; the journal judges."""
    with contextlib.suppress(Exception):
        call()


def _session_calls(fake: FakeOntap, rest: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    def lookup() -> None:
        with fake.journal.intent(DATA_SVM):
            _quietly(lambda: rest.get_flexvol_capacity(flexvol_path="/nfs_volume_ds01"))

    def cluster() -> None:
        with fake.journal.intent(None):
            _quietly(rest.get_cluster_name)

    return lookup, cluster


def threads_session_run(calls_per_run: int) -> RunOutcome:
    """Two OS threads, one shared old client, ``calls_per_run`` calls each."""
    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        rest = make_client(fake, VARIANTS["old"].client_class)
        workers = [
            threading.Thread(target=_repeat, args=(call, calls_per_run), name=f"naive-{i}")
            for i, call in enumerate(_session_calls(fake, rest))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return _outcome(fake)


def _repeat(call: Callable[[], None], times: int, jitter: float = 0.0) -> None:
    for _ in range(times):
        call()
        if jitter:
            eventlet.sleep(random.uniform(0.0, jitter))


def green_session_run(calls_per_run: int) -> RunOutcome:
    """The same two callers as greenthreads on the stock hub, with jitter and yielding I/O."""
    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        rest = make_client(fake, VARIANTS["old"].client_class)
        pool = [eventlet.spawn(_repeat, call, calls_per_run, JITTER) for call in _session_calls(fake, rest)]
        for thread in pool:
            thread.wait()
    return _outcome(fake)


def green_ems_run(lookups: int = len(SHARES), spread: float = SPREAD) -> RunOutcome:
    """The start-up EMS at t=0 and ``lookups`` capacity lookups at random moments in ``spread``."""
    fake = FakeOntap.default(oracle="collect")
    with fake.installed():
        backend = make_backend(fake, VARIANTS["old"])
        driver = backend.driver
        threads = [eventlet.spawn(driver._handle_ems_logging)]
        for index in range(lookups):
            share = SHARES[index % len(SHARES)]
            call = _capacity_lookup(driver, share)
            threads.append(eventlet.spawn_after(random.uniform(0.0, spread), call))
        for thread in threads:
            thread.wait()
    return _outcome(fake)


def _capacity_lookup(driver: Any, share: str) -> Callable[[], None]:
    def lookup() -> None:
        _quietly(lambda: driver._get_capacity_info(share))

    return lookup


def hunt_threads_session(cap: float, repeats: int, calls_per_run: int = 100) -> HuntResult:
    how = (f"2 OS threads sharing one old client, {calls_per_run} calls each per run; "
           "no monkey-patching, default switch interval")
    return hunt("threads_session", how, lambda: threads_session_run(calls_per_run), cap, repeats)


def hunt_green_session(cap: float, repeats: int, calls_per_run: int = 100) -> HuntResult:
    def go() -> HuntResult:
        with yielding_fake(), per_greenlet_intents():
            how = (f"2 greenthreads (stock hub) sharing one old client, {calls_per_run} calls each, "
                   f"jitter 0-{JITTER * 1000:g} ms, fake send/recv sleep {IO_LATENCY * 1000:g} ms each")
            return hunt("green_session", how, lambda: green_session_run(calls_per_run), cap, repeats)

    return in_fresh_thread(go)


def hunt_green_ems(cap: float, repeats: int) -> HuntResult:
    def go() -> HuntResult:
        with yielding_fake(), per_greenlet_intents():
            how = (f"EMS once at t=0 + {len(SHARES)} tunneled lookups at uniform random moments in "
                   f"{SPREAD * 1000:g} ms (stock hub, real sleeps), fake send/recv sleep "
                   f"{IO_LATENCY * 1000:g} ms each")
            return hunt("green_ems", how, green_ems_run, cap, repeats)

    return in_fresh_thread(go)
