"""A Binder launch, simulated: binder/start runs as Binder runs it, with a hub's prefix, then
JupyterLab under that prefix with jupyter-server-proxy. Visdom and TensorBoard answer through
Lab's proxy at <prefix>visdom/ and <prefix>tensorboard/ (page, assets, Visdom's websocket),
and a LivePlot in a kernel of that Lab reaches Visdom and prints the proxied address."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import http_get
from course_process import ROOT, listening, live_plot_code, run_in_lab_kernel

from course_lib.tools.visdom_server import free_port

PREFIX = "/user/ann-abc123/"
pytest.importorskip("jupyter_server_proxy", reason="jupyter-server-proxy (the dev extra) is not installed")


def _get(url: str, token: str) -> tuple[int, bytes]:
    return http_get(url, 20, token=token, strict=True)


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("binder")
    ports = {"lab": free_port(), "visdom": free_port(), "tensorboard": free_port()}
    token = uuid.uuid4().hex
    env = {**os.environ, "JUPYTERHUB_SERVICE_PREFIX": PREFIX, "TMPDIR": str(tmp),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "COURSE_VISDOM_PORT": str(ports["visdom"]), "COURSE_TENSORBOARD_PORT": str(ports["tensorboard"]),
           "COURSE_RUNS_DIR": str(tmp / "runs"), "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    for var in ("COURSE_VISDOM_BASE_URL", "COURSE_VISDOM_PUBLIC_URL", "COURSE_TENSORBOARD_PUBLIC_URL"):
        env.pop(var, None)
    lab = ["python", "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={ports['lab']}",
           f"--ServerApp.base_url={PREFIX}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={ROOT}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        lab.append("--allow-root")
    log = open(tmp / "lab.log", "wb")
    proc = subprocess.Popen(["bash", str(ROOT / "binder" / "start"), *lab], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{ports['lab']}{PREFIX}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp / "lab.log").read_text()[-3000:]
            try:
                _get(base + "api/status", token)
                _get(base + "visdom/", token)
                _get(base + "tensorboard/", token)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp / "lab.log").read_text()[-3000:]
                time.sleep(0.5)
        yield {"base": base, "token": token, "ports": ports}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # Lab, and the servers binder/start left in the background
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        time.sleep(1)
        assert not listening(ports.values())


def test_visdom_page_assets_and_websocket_through_the_proxy(binder):
    base, token = binder["base"], binder["token"]
    status, page = _get(base + "visdom/env/course", token)
    assert status == 200 and b"visdom" in page.lower()
    assets = re.findall(rb'(?:src|href)=["\']?([^"\' >#]+\.(?:js|css)[^"\' >]*)', page)  # quoted or not
    assert len(assets) >= 5, page[:2000]
    for asset in assets:
        url = urljoin(base + "visdom/env/course", asset.decode())  # resolves "static/../" as a browser does
        assert url.startswith(base + "visdom/"), f"{url} is not under the proxied path"
        assert _get(url, token)[0] == 200, url

    async def register() -> dict:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        ws = base.replace("http://", "ws://") + "visdom/socket"
        conn = await websocket_connect(HTTPRequest(ws, headers={"Authorization": f"token {token}"}))
        message = json.loads(await asyncio.wait_for(conn.read_message(), timeout=20))
        conn.close()
        return message

    assert asyncio.run(register())["command"] == "register"


def test_a_kernel_of_that_lab_streams_to_visdom_and_prints_the_proxied_address(binder):
    base, token = binder["base"], binder["token"]
    printed = run_in_lab_kernel(base, token, live_plot_code(
        "binder check", 5, "print(plot.mode, tensorboard_public_url())"))
    assert f"Live plot: streaming to Visdom, open {PREFIX}visdom/env/course" in printed
    assert printed.strip().splitlines()[-1] == f"visdom {PREFIX}tensorboard/"
    # The window is there, read back through the proxy as the learner's page reads it.
    request = urllib.request.Request(base + "visdom/win_data", method="POST",
                                     data=json.dumps({"eid": "course", "win": "live_binder_check"}).encode(),
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=20) as reply:
        window = json.loads(reply.read())
    assert [len(trace["y"]) for trace in window["content"]["data"]] == [5]


def test_tensorboard_answers_through_the_proxy(binder):
    base, token = binder["base"], binder["token"]
    status, page = _get(base + "tensorboard/", token)
    assert status == 200 and b"tensorboard" in page.lower()
    assert json.loads(_get(base + "tensorboard/data/environment", token)[1])["data_location"]
