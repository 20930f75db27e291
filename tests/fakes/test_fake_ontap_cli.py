"""``fake-ontap serve``: registration, output, serving, a clean Ctrl-C, one-line usage errors."""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from race_harness.fakes.ontap.cli import main, parse_port, parse_svms, register, serve

ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="race-harness")
    register(parser.add_subparsers())
    return parser


def _get(url: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.get(url, auth=("admin", "netapp123"), timeout=10)


def test_parse_svms() -> None:
    assert parse_svms("svm_a=v1,v2; svm_b=v3;svm_c=") == {"svm_a": ["v1", "v2"], "svm_b": ["v3"], "svm_c": []}
    for bad in ["", "svm_a", "=v1", ";;"]:
        with pytest.raises(argparse.ArgumentTypeError, match="SVM"):
            parse_svms(bad)


def test_parse_port() -> None:
    assert [parse_port(p) for p in ("0", "8443", "65535")] == [0, 8443, 65535]
    for bad in ("-1", "65536", "70000", "abc", "", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError, match="port must be 0-65535"):
            parse_port(bad)


@pytest.mark.parametrize(("argv", "said"), [
    (["--port", "-1"], "argument --port: port must be 0-65535 (0: any free port), not '-1'"),
    (["--port", "70000"], "argument --port: port must be 0-65535 (0: any free port), not '70000'"),
    (["--svms", "svm_a=v1;svm_a=v2"], "SVM 'svm_a' appears twice in the SVM spec: list each SVM once"),
])
def test_bad_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str],
                                        said: str) -> None:
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["fake-ontap", "serve", *argv])
    assert info.value.code == 2 and said in capsys.readouterr().err


def test_the_modules_own_entry_prints_usage_errors_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["fake-ontap", "serve", "--port", "abc"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.count("\n") == 1 and "port must be 0-65535" in err and "--help" in err


@pytest.mark.parametrize(("argv", "said"), [
    (["--admin-svm", "svm_data_001"], "--admin-svm 'svm_data_001' is also a data SVM in --svms: "
     "the admin SVM owns no FlexVols, so give it another name or rename the data SVM"),
    (["--svms", "svm_x=v1", "--admin-svm", "svm_x"], "--admin-svm 'svm_x' is also a data SVM"),
    (["--svms", "svm_x=v1,v2,v1"], "--svms names FlexVol 'v1' twice in SVM 'svm_x'"),
    (["--svms", "svm_x=svm_x_root"], "the name of the SVM's own root volume: pick another FlexVol name"),
    (["--admin-svm", " "], "--admin-svm is empty: name the cluster admin SVM"),
])
def test_conflicting_svms_are_one_line_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                    said: str) -> None:
    """Checked before anything is built or bound: nothing is served, exit 2."""
    args = _parser().parse_args(["fake-ontap", "serve", *argv])
    stopped = threading.Event()
    stopped.set()  # were it served, it would stop at once
    assert serve(args, stop=stopped) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("fake-ontap: error: ")
    assert said in captured.err and captured.out == ""


@pytest.mark.parametrize("argv", [
    [sys.executable, "-m", "harness", "fake-ontap", "serve", "--port", "70000"],
    [sys.executable, "-m", "race_harness.fakes.ontap.cli", "fake-ontap", "serve",
     "--admin-svm", "svm_data_001"],
], ids=["race-harness", "module"])
def test_the_commands_print_one_line_and_exit_2(argv: list[str]) -> None:
    """The two ways to run it, as a user does: one line on stderr, exit 2, no traceback."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "error: " in done.stderr, done.stderr
    assert done.stdout == ""


def test_register_adds_the_serve_command() -> None:
    args = _parser().parse_args(["fake-ontap", "serve", "--port", "0", "--svms", "svm_x=vol_x"])
    assert args.func.__name__ == "run_serve"
    assert (args.port, args.svms, args.admin_svm) == (0, {"svm_x": ["vol_x"]}, "cluster_admin_svm")
    bare = _parser().parse_args(["fake-ontap"])
    assert bare.func(bare) == 2


def test_bad_svms_spec_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["fake-ontap", "serve", "--svms", "nonsense"])
    assert info.value.code == 2 and "bad SVM spec" in capsys.readouterr().err


def test_serve_prints_url_and_credentials_and_serves() -> None:
    args = _parser().parse_args(["fake-ontap", "serve", "--svms", "svm_x=vol_x,vol_y"])
    out, stop, result = io.StringIO(), threading.Event(), []
    thread = threading.Thread(target=lambda: result.append(serve(args, stop=stop, out=out)))
    thread.start()
    deadline = time.monotonic() + 10
    while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = out.getvalue().splitlines()
    url = lines[0]
    assert url.startswith("http://127.0.0.1:")
    assert "username: admin" in lines and "password: netapp123" in lines
    assert "data SVM svm_x: svm_x_root, vol_x, vol_y" in lines
    assert "admin SVM cluster_admin_svm: no FlexVols" in lines
    records = _get(url + "/api/svm/svms").json()["records"]
    assert [r["name"] for r in records] == ["svm_x"]
    stop.set()
    thread.join(10)
    assert result == [0]
    assert out.getvalue().splitlines()[-1] == "fake-ontap: stopped after 1 requests."
    with pytest.raises(requests.ConnectionError):
        _get(url + "/api/cluster")


def test_busy_port_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = _parser().parse_args(["fake-ontap", "serve", "--port", str(port)])
        assert serve(args, stop=threading.Event()) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_stops_cleanly() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A suite run as a background job (`cmd &`, nohup) can have SIGINT ignored, and an ignored
    # signal stays ignored in the child: Ctrl-C would never reach the server.  A handled one is
    # reset to the default at exec, so handle it while the server starts.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "race_harness.fakes.ontap.cli", "fake-ontap", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        assert _get(url + "/api//cluster/?fields=version").json()["version"]["generation"] == 9
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert out.splitlines()[-1] == "fake-ontap: stopped after 1 requests."
