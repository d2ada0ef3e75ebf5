"""Run the README's start command for a test, talk to its Lab over HTTP and websockets, and look
at what it left running; cut a lesson down to its exercises for the `course progress` tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import urllib.request
import uuid
from typing import Any

import psutil
from conftest import ROOT, alive
from conftest import http_get as _http_get

from course_lib.tools.visdom_server import free_port


def exercises_only(nb: Any) -> Any:
    """The lesson ``nb`` cut down, in place, to what its exercises need: the hosted-runtime cell,
    the cell that imports ``exercises``, and each exercise and check cell (a run of seconds, for
    tests about how `course progress` reports; the whole lessons run under nbval)."""
    from course_lib.tools.progress import exercise_cells

    keep = {i for c in exercise_cells(nb) for i in (c.stub_index, c.check_index) if i >= 0}
    keep |= {i for i, cell in enumerate(nb.cells) if cell.get("id") == "hosted-runtime"
             or (cell.cell_type == "code" and "from course_lib import exercises" in cell.source)}
    assert len(keep) >= 4, f"expected set-up, exercise and check cells, kept {sorted(keep)}"
    nb.cells = [cell for i, cell in enumerate(nb.cells) if i in keep]
    return nb


def start_course(extra_env: dict[str, str] | None = None, background: bool = False,
                 wait_for: str = "Press Ctrl-C", timeout: float = 240):
    """Run the start command on free ports; return (process, output so far, ports)."""
    ports = {"lab": free_port(), "visdom": free_port(), "tensorboard": free_port()}
    env = {**os.environ, "COURSE_LAB_PORT": str(ports["lab"]), "COURSE_VISDOM_PORT": str(ports["visdom"]),
           "COURSE_TENSORBOARD_PORT": str(ports["tensorboard"]), **(extra_env or {})}
    # In the background, as a script would start it: bash then sets SIGINT to "ignored".
    cmd = ["bash", "-c", "bash scripts/start.sh & wait"] if background else ["bash", "scripts/start.sh"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if wait_for in line:
            break
    return proc, "".join(lines), ports


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGINT) -> None:
    """Send ``sig`` to the command's process group; SIGKILL it if it has not ended in 30 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def launcher_of(proc: subprocess.Popen) -> psutil.Process:
    """The Python process that runs course_lib.tools.launcher under the start command."""
    for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
        if "course_lib.tools.launcher" in " ".join(p.cmdline()):
            return p
    raise AssertionError("no course_lib.tools.launcher process under the start command")


def listening(ports) -> set[int]:
    """Which of ``ports`` something listens on (any address)."""
    return {c.laddr.port for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr.port in set(ports)}


still_alive = alive  # the names the start-command and browser tests use


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    """(status, body); an HTTP error raises, as the servers' tests expect."""
    return _http_get(url, timeout, strict=True)


def post_json(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


async def run_code(ws_url: str, code: str, timeout: float = 60) -> str:
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


def run_in_lab_kernel(lab_base: str, token: str, code: str) -> str:
    """Open lesson 00 in a new kernel through Lab's sessions API at ``lab_base`` (ending in '/'),
    run ``code`` there and return what it printed."""
    session = post_json(f"{lab_base}api/sessions?token={token}",
                        {"path": "notebooks/00_welcome.ipynb", "type": "notebook", "name": "",
                         "kernel": {"name": "python3"}})
    kernel = session["kernel"]["id"]
    ws = lab_base.replace("http://", "ws://") + f"api/kernels/{kernel}/channels?token={token}"
    return asyncio.run(run_code(ws, code))


def live_plot_code(title: str, points: int, then: str) -> str:
    """Kernel code: a LivePlot titled ``title`` that announces where it draws, ``points`` points,
    then the line ``then``."""
    return ("import os, course_lib\n"
            "from course_lib.live import LivePlot\n"
            "from course_lib.settings import tensorboard_public_url\n"
            f"plot = LivePlot({title!r}, announce=True, show=False)\n"
            f"for i in range({points}): plot.log(i, train=1 / (i + 1))\n"
            f"{then}\n")
