"""The README's start command, for real: JupyterLab and Visdom come up on 127.0.0.1, their
URLs are printed, a notebook opens and its kernel runs code, and Ctrl-C stops everything."""

import asyncio
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

from course_lib.visdom_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def _get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


async def _run_code(ws_url: str, code: str, timeout: float = 60) -> str:
    """Send one execute_request over the kernel's websocket; return what it printed."""
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(ws_url)
    msg_id = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False},
    }))
    printed, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(conn.read_message(), timeout=deadline - time.monotonic())
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed += msg["content"]["text"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    conn.close()
    return printed


@pytest.fixture
def started_course():
    lab_port, visdom_port = free_port(), free_port()
    env = {**os.environ, "COURSE_LAB_PORT": str(lab_port), "COURSE_VISDOM_PORT": str(visdom_port)}
    proc = subprocess.Popen(["bash", "scripts/start.sh"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        yield proc, "".join(lines), lab_port, visdom_port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_start_command_serves_lab_and_visdom(started_course):
    proc, output, lab_port, visdom_port = started_course
    lab = re.search(rf"http://127\.0\.0\.1:{lab_port}/lab/tree/notebooks/00_welcome\.ipynb\?token=(\w+)",
                    output)
    assert lab, output
    assert f"http://127.0.0.1:{visdom_port}/" in output
    token = lab.group(1)
    base = f"http://127.0.0.1:{lab_port}"

    status, page = _get(lab.group(0))
    assert status == 200 and b"JupyterLab" in page
    status, body = _get(f"http://127.0.0.1:{visdom_port}/")
    assert status == 200 and b"visdom" in body.lower()
    with pytest.raises(urllib.error.HTTPError) as denied:  # the token is required
        _get(f"{base}/api/contents/notebooks")
    assert denied.value.code == 403

    _, nb = _get(f"{base}/api/contents/notebooks/00_welcome.ipynb?token={token}")
    assert json.loads(nb)["content"]["cells"][0]["source"].startswith("# 00")
    session = _post(f"{base}/api/sessions?token={token}",
                    {"path": "notebooks/00_welcome.ipynb", "type": "notebook", "name": "",
                     "kernel": {"name": "python3"}})
    ws = f"ws://127.0.0.1:{lab_port}/api/kernels/{session['kernel']['id']}/channels?token={token}"
    printed = asyncio.run(_run_code(ws, "import course_lib, sys\nprint(6 * 7, course_lib.__version__)"))
    assert printed.strip() == "42 0.1.0"

    # Both servers listen on the loopback interface only.
    children = psutil.Process(proc.pid).children(recursive=True)
    ports = {c.laddr for p in children for c in p.net_connections(kind="inet")
             if c.status == psutil.CONN_LISTEN}
    assert {lab_port, visdom_port} <= {a.port for a in ports}
    assert all(a.ip in ("127.0.0.1", "::1") for a in ports), ports

    # Ctrl-C stops both.
    pids = [proc.pid, *(c.pid for c in children)]
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=30)
    time.sleep(1)
    alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"processes still running after Ctrl-C: {alive}"
