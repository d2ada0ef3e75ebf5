"""A class on a real JupyterHub (deploy/jupyterhub_config.py), offline on 127.0.0.1: two learners
started through the REST API, each with a Visdom and a TensorBoard of their own.

Each learner's kernel streams a LivePlot through the hub's proxy and the plot is in that
learner's Visdom only; one learner's token gets 403 on the other's /visdom/ and /tensorboard/;
a third learner finds the port range exhausted; a stopped server (through the API) and a
SIGKILLed one leave none of their processes; the stopped hub leaves nothing listening.
The memory and start-up times it measures are printed (deploy/README.md quotes them).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest
from course_process import ROOT, listening, live_plot_code, run_code, stop_group
from course_process import still_alive as alive

from course_lib.tools.hub_proxy import SETUP_COMMAND, VERSION, installed_version
from course_lib.tools.visdom_server import free_port, port_in_use

pytest.importorskip("jupyterhub", reason="jupyterhub (the dev extra) is not installed")
pytest.importorskip("jupyter_server_proxy", reason="jupyter-server-proxy (the dev extra) is not installed")
LEARNERS = ("ann", "bob")
DEADLINE = 300  # seconds for anything to become ready; polls end as soon as it is


def _request(url: str, token: str, method: str = "GET", body: dict | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _until(what: str, check, log: Path, timeout: float = DEADLINE):
    """Poll ``check`` until it returns something truthy; fail with the hub's log after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s; log:\n{log.read_text()[-4000:]}"
        time.sleep(0.5)


def _side_ports_from(base: int) -> bool:
    return not any(port_in_use(p) for p in range(base, base + 4))


def _pss_mib(pids) -> float:
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_full_info().pss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    assert installed_version() == VERSION, f"configurable-http-proxy {VERSION} missing: run `{SETUP_COMMAND}`"
    tmp = tmp_path_factory.mktemp("hub")
    ports = {"public": free_port(), "api": free_port(), "hub": free_port()}
    side = next(b for b in range(21000, 60000, 40) if _side_ports_from(b))  # 4 ports: two learners
    token = uuid.uuid4().hex
    (tmp / "test_config.py").write_text(
        f"load_subconfig({str(ROOT / 'deploy' / 'jupyterhub_config.py')!r})\n"
        "c.JupyterHub.authenticator_class = 'dummy'\n"
        "c.Authenticator.allow_all = True\n"
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / 'home' / '{username}')!r}\n"
        "c.Spawner.start_timeout = c.Spawner.http_timeout = 300\n"
        f"c.JupyterHub.services = [{{'name': 'class-test', 'api_token': {token!r}}}]\n"
        "c.JupyterHub.load_roles = [{'name': 'admin', 'services': ['class-test']}]\n")
    env = {**os.environ, "COURSE_HUB_SPAWNER": "jupyterhub.spawner.SimpleLocalProcessSpawner",
           "COURSE_HUB_PORTS": f"{side}-{side + 3}",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for var in ("COURSE_VISDOM_PORT", "COURSE_TENSORBOARD_PORT", "COURSE_VISDOM_BASE_URL",
                "COURSE_VISDOM_PUBLIC_URL", "COURSE_TENSORBOARD_PUBLIC_URL", "COURSE_RUNS_DIR"):
        env.pop(var, None)
    cmd = [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(tmp / "test_config.py"),
           "--ip=127.0.0.1", f"--port={ports['public']}", "--JupyterHub.hub_ip=127.0.0.1",
           f"--JupyterHub.hub_port={ports['hub']}",
           f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{ports['api']}",
           f"--JupyterHub.db_url=sqlite:///{tmp / 'hub.sqlite'}",
           f"--JupyterHub.cookie_secret_file={tmp / 'cookie_secret'}"]
    log_path = tmp / "hub.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    seen: set[int] = set()  # every process the hub started, to check that none is left
    listened: set[int] = set()  # every port they listened on, to check that none is left open
    api = f"http://127.0.0.1:{ports['public']}/hub/api/"
    try:
        _until("the hub's API", lambda: _request(api, token)[0] == 200, log_path)
        yield {"proc": proc, "api": api, "token": token, "log": log_path, "seen": seen,
               "base": f"http://127.0.0.1:{ports['public']}", "ports": ports, "side": side,
               "tokens": {}, "listened": listened}
    finally:
        if proc.poll() is None:
            seen.update(p.pid for p in psutil.Process(proc.pid).children(recursive=True))
            stop_group(proc, signal.SIGTERM)  # the hub stops the learners' servers and its proxy
        log.close()
        deadline = time.monotonic() + 60
        while alive(sorted(seen)) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = alive(sorted(seen))
        for pid in left:  # the assertion below fails, but nothing is left behind
            os.kill(pid, signal.SIGKILL)
        assert not left, f"processes left after the hub stopped: {left}"
        everything = [*ports.values(), *range(side, side + 4), *listened]
        assert _until("every port to close", lambda: not listening(everything), log_path, timeout=60)


def _server_process(hub, name: str) -> psutil.Process:
    """The learner's single-user server: the hub's child whose environment names that learner."""
    for child in psutil.Process(hub["proc"].pid).children():
        try:
            if child.environ().get("JUPYTERHUB_USER") == name:
                return child
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    raise AssertionError(f"no single-user server of {name} under the hub")


def _run_in_kernel(base: str, token: str, code: str) -> str:
    """Start a kernel on the learner's server at ``base`` (through the hub's proxy), run ``code``
    there over its websocket and return what it printed (the token goes in a header)."""
    from tornado.httpclient import HTTPRequest

    status, body = _request(base + "api/kernels", token, "POST", {"name": "python3"})
    assert status == 201, body
    ws = base.replace("http://", "ws://") + f"api/kernels/{json.loads(body)['id']}/channels"
    return asyncio.run(run_code(HTTPRequest(ws, headers={"Authorization": f"token {token}"}), code))


def _listening_ports(pids) -> set[int]:
    found = set()
    for pid in pids:
        try:
            found |= {c.laddr.port for c in psutil.Process(pid).net_connections(kind="inet")
                      if c.status == psutil.CONN_LISTEN}
        except psutil.NoSuchProcess:
            pass
    return found


def _family(process: psutil.Process) -> dict[str, int]:
    """What runs for one learner: the server, its side servers, its kernels (role -> pid)."""
    found = {"server": process.pid}
    for child in process.children(recursive=True):
        line = " ".join(child.cmdline())
        role = ("visdom" if "visdom.server" in line else "tensorboard" if "tensorboard_server" in line
                else "kernel" if "ipykernel" in line else f"other {child.pid}")
        found[role if role not in found else f"{role} {child.pid}"] = child.pid
    return found


def test_two_learners_each_with_their_own_plots_and_nothing_left(hub):
    api, token, log = hub["api"], hub["token"], hub["log"]
    started = time.monotonic()
    for name in LEARNERS:
        assert _request(api + f"users/{name}", token, "POST")[0] == 201
        assert _request(api + f"users/{name}/server", token, "POST")[0] in (201, 202)
        status, body = _request(api + f"users/{name}/tokens", token, "POST", {"note": "class test"})
        hub["tokens"][name] = json.loads(body)["token"]
    tokens = hub["tokens"]
    for name in LEARNERS:  # ready: the server, and its Visdom and TensorBoard through the proxy
        _until(f"{name}'s server", lambda n=name: json.loads(
            _request(api + f"users/{n}", token)[1])["servers"].get("", {}).get("ready"), log)
        for path in ("visdom/", "tensorboard/"):
            _until(f"{name}'s {path}", lambda n=name, p=path: _request(
                f"{hub['base']}/user/{n}/{p}", tokens[n])[0] == 200, log)
    start_seconds = time.monotonic() - started
    servers = {name: _server_process(hub, name) for name in LEARNERS}
    families = {name: _family(servers[name]) for name in LEARNERS}
    for family in families.values():
        hub["seen"].update(family.values())
        hub["listened"].update(_listening_ports([hub["proc"].pid, *family.values()]))
        assert {"server", "visdom", "tensorboard"} <= set(family), family

    # The memory of an idle class: the hub, its proxy, and each learner's servers (PSS, MiB).
    proxy = [p.pid for p in psutil.Process(hub["proc"].pid).children() if "node" in p.name()]
    hub["seen"].update(proxy)
    hub["listened"].update(_listening_ports(proxy))
    memory = {"hub": _pss_mib([hub["proc"].pid]), "proxy": _pss_mib(proxy)}
    for name in LEARNERS:
        for role in ("server", "visdom", "tensorboard"):
            pids = [families[name][role]] + [c.pid for c in psutil.Process(families[name][role]).children(
                recursive=True)] * (role == "tensorboard")  # TensorBoard's data server is its child
            memory[f"{name} {role}"] = _pss_mib(pids)
    print(f"\n[hub] two learners ready in {start_seconds:.1f} s; idle PSS (MiB): "
          + ", ".join(f"{k} {v:.0f}" for k, v in memory.items()))

    # Each kernel streams a LivePlot; each plot is in its own learner's Visdom only.
    for name in LEARNERS:
        printed = _run_in_kernel(f"{hub['base']}/user/{name}/", tokens[name], live_plot_code(
            f"{name} check", 5, "print(plot.mode, tensorboard_public_url())"))
        assert f"Live plot: streaming to Visdom, open /user/{name}/visdom/env/course" in printed, printed
        assert printed.strip().splitlines()[-1] == f"visdom /user/{name}/tensorboard/"
    for owner in LEARNERS:
        for name in LEARNERS:
            status, body = _request(f"{hub['base']}/user/{owner}/visdom/win_exists", tokens[owner], "POST",
                                    {"eid": "course", "win": f"live_{name}_check"})
            assert status == 200 and json.loads(body) is (owner == name), (owner, name, body)
    for name in LEARNERS:
        hub["seen"].update(_family(servers[name]).values())
        assert "kernel" in _family(servers[name])

    # One learner's token opens nothing of the other's.
    for path in ("visdom/", "tensorboard/", "visdom/env/course"):
        assert _request(f"{hub['base']}/user/bob/{path}", tokens["ann"])[0] == 403, path
        assert _request(f"{hub['base']}/user/ann/{path}", tokens["bob"])[0] == 403, path

    # Two learners fill this hub's four side ports: a third gets one clear line, no server.
    assert _request(api + "users/carol", token, "POST")[0] == 201
    status, body = _request(api + "users/carol/server", token, "POST")
    side = f"{hub['side']}-{hub['side'] + 3}"
    assert status == 500 and json.loads(body)["message"].startswith(
        f"COURSE_HUB_PORTS {side} is exhausted: no two free ports left for 'carol'"), body

    # Stopping bob's server through the API ends all of bob's processes; ann's still answer.
    bob = families["bob"] | _family(servers["bob"])
    assert _request(api + "users/bob/server", token, "DELETE")[0] in (202, 204)
    _until("bob's processes to end", lambda: not alive(list(bob.values())), log, timeout=120)
    for path in ("visdom/", "tensorboard/"):
        assert _request(f"{hub['base']}/user/ann/{path}", tokens["ann"])[0] == 200
    # SIGKILL of ann's server: its side servers get SIGTERM from the kernel (PR_SET_PDEATHSIG,
    # Linux only), its kernel sees its parent gone.
    if not sys.platform.startswith("linux"):
        return
    ann = _family(servers["ann"])
    servers["ann"].kill()
    _until("ann's processes to end", lambda: not alive(list(ann.values())), log, timeout=120)
