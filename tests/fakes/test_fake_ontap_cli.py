"""``fake-ontap serve``: registration, output, serving, and a clean Ctrl-C."""

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

from race_harness.fakes.ontap.cli import parse_svms, register, serve

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
