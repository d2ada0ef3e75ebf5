"""The pieces of a class's hub, without a hub: the port pool, the learner's launcher, the proxy's
provisioning, and deploy/jupyterhub_config.py's one-line refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from course_process import ROOT
from course_process import still_alive as alive

from course_lib.errors import CourseInputError
from course_lib.tools import hub_proxy
from course_lib.tools.hub import PortPool, PortRangeExhausted, end_process_group, parse_port_range
from course_lib.tools.learner_servers import learner_environment, side_server_commands
from course_lib.tools.visdom_server import free_port


def _busy_range(pool_size: int = 6) -> int:
    """A first port with ``pool_size`` free ports after it."""
    from course_lib.tools.visdom_server import port_in_use

    return next(b for b in range(31000, 60000, 50)
                if not any(port_in_use(p) for p in range(b, b + pool_size)))


def test_port_range_parsing_and_its_one_line_errors():
    assert parse_port_range("20000-20999") == (20000, 20999)
    assert parse_port_range(" 20000-20001 ") == (20000, 20001)
    for bad in ("", "20000", "20999-20000", "20000-20000", "a-b", "0-5", "20000-70000", None):
        with pytest.raises(CourseInputError, match=r"^COURSE_HUB_PORTS: expected a port range") as err:
            parse_port_range(bad)
        assert "\n" not in str(err.value)


def test_the_pool_gives_each_learner_two_ports_and_refuses_when_exhausted():
    import socket

    first = _busy_range()
    pool = PortPool(f"{first}-{first + 5}")
    assert pool.claim("ann") == (first, first + 1)
    assert pool.claim("ann") == (first, first + 1)  # the same learner keeps theirs
    with socket.socket() as taken:  # another program holds one port of the next pair: it is skipped
        taken.bind(("127.0.0.1", first + 3))
        taken.listen()
        assert pool.claim("bob") == (first + 4, first + 5)
        with pytest.raises(PortRangeExhausted, match=rf"^COURSE_HUB_PORTS {first}-{first + 5} is exhausted: "
                                                      r"no two free ports left for 'carol'") as err:
            pool.claim("carol")
        assert err.value.jupyterhub_message == str(err.value) and "\n" not in str(err.value)
    pool.release("ann")
    assert pool.claim("carol") == (first, first + 1)
    pool.hold("dan", (first + 2, first + 3))
    assert pool.held["dan"] == (first + 2, first + 3)


def test_the_learner_environment_matches_binder_start():
    env = learner_environment({"JUPYTERHUB_SERVICE_PREFIX": "/user/ann/", "HOME": "/home/ann",
                               "COURSE_VISDOM_PORT": "20000", "COURSE_TENSORBOARD_PORT": "20001"})
    assert env["COURSE_VISDOM_BASE_URL"] == env["COURSE_VISDOM_PUBLIC_URL"] == "/user/ann/visdom"
    assert env["COURSE_TENSORBOARD_PUBLIC_URL"] == "/user/ann/tensorboard"
    assert env["COURSE_RUNS_DIR"] == str(Path("/home/ann/runs"))
    assert env["JUPYTER_CONFIG_PATH"] == str(ROOT / "binder")
    commands = side_server_commands(env)
    assert commands["visdom"][-4:] == ["-env_path", str(Path("/home/ann/.visdom")),
                                      "-base_url", "/user/ann/visdom"]
    assert commands["visdom"][commands["visdom"].index("-port") + 1] == "20000"
    assert commands["tensorboard"][3:] == ["--port", "20001", "--logdir", str(Path("/home/ann/runs")),
                                           "--path-prefix", "/user/ann/tensorboard"]
    no_hub = learner_environment({"HOME": "/h", "JUPYTER_CONFIG_PATH": "/etc/j"})
    assert no_hub["COURSE_VISDOM_BASE_URL"] == "/visdom"
    assert no_hub["JUPYTER_CONFIG_PATH"] == os.pathsep.join([str(ROOT / "binder"), "/etc/j"])


@pytest.mark.parametrize("ports, message", [
    ({}, "COURSE_VISDOM_PORT: expected this learner's port number"),
    ({"COURSE_VISDOM_PORT": "x", "COURSE_TENSORBOARD_PORT": "1"}, "COURSE_VISDOM_PORT: expected"),
    ({"COURSE_VISDOM_PORT": "5", "COURSE_TENSORBOARD_PORT": "5"}, "are both 5: each server needs"),
])
def test_bad_learner_ports_are_one_line_errors(ports, message):
    with pytest.raises(CourseInputError, match=message):
        side_server_commands(learner_environment({"HOME": "/h", **ports}))


def _launch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")} | env
    return subprocess.run([sys.executable, "-m", "course_lib.tools.learner_servers", *args], env=full,
                          capture_output=True, text=True, timeout=120)


def test_the_launcher_refuses_in_one_line(tmp_path):
    import socket

    usage = _launch({})
    assert usage.returncode == 2 and usage.stderr.startswith("usage: ")
    assert len(usage.stderr.splitlines()) == 1
    bad = _launch({"HOME": str(tmp_path)}, "true")
    assert bad.returncode == 2 and "COURSE_VISDOM_PORT" in bad.stderr and "Traceback" not in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = str(taken.getsockname()[1])
        proc = _launch({"HOME": str(tmp_path), "COURSE_VISDOM_PORT": busy,
                        "COURSE_TENSORBOARD_PORT": str(free_port())}, "true")
    assert proc.returncode == 2 and proc.stderr.strip().endswith(
        f"visdom's port {busy} is already in use on 127.0.0.1: give this learner another one.")
    assert len(proc.stderr.splitlines()) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_side_servers_die_with_the_server_even_on_sigkill(tmp_path):
    """A stand-in server (python) starts a child through die_with, then is SIGKILLed: the child goes."""
    script = ("import subprocess, sys\n"
              "from course_lib.tools.learner_servers import die_with\n"
              "import os\n"
              "child = subprocess.Popen(['sleep', '300'], preexec_fn=die_with(os.getpid()))\n"
              "print(child.pid, flush=True)\n"
              "os.execvp('sleep', ['sleep', '300'])\n")  # becomes the 'server', as the launcher does
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(server.stdout.readline())
    try:
        deadline = time.monotonic() + 60
        while psutil.Process(server.pid).name() != "sleep":  # the exec has happened
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert alive([child])
        server.kill()
        server.wait()
        while alive([child]):
            assert time.monotonic() < deadline, "the side server outlived its server"
            time.sleep(0.1)
    finally:
        for pid in alive([child]):
            os.kill(pid, signal.SIGKILL)
        server.stdout.close()


def test_end_process_group_ends_what_is_left():
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    end_process_group(proc.pid)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    end_process_group(proc.pid)  # nothing left: no error
    end_process_group(0)


def test_the_proxy_check_says_how_to_provision(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(hub_proxy, "install_dir", lambda: tmp_path)
    assert hub_proxy.installed_version() is None
    assert hub_proxy.main(["--check"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"[hub proxy] configurable-http-proxy {hub_proxy.VERSION} is not provisioned: run "
        f"`{hub_proxy.SETUP_COMMAND}` (it needs npm and the network once).")
    monkeypatch.setattr(hub_proxy.shutil, "which", lambda name: None)
    assert hub_proxy.main([]) == 1
    assert "npm was not found on PATH" in capsys.readouterr().err


def test_the_pins_are_the_proxy_version():
    import json

    package = json.loads((hub_proxy.PINS / "package.json").read_text())
    lock = json.loads((hub_proxy.PINS / "package-lock.json").read_text())
    assert package["dependencies"] == {"configurable-http-proxy": hub_proxy.VERSION}
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == hub_proxy.VERSION
    assert all(p.get("integrity", "").startswith("sha512-") for k, p in lock["packages"].items() if k)


@pytest.mark.parametrize("env, message", [
    ({"COURSE_HUB_PORTS": "junk"}, "COURSE_HUB_PORTS: expected a port range"),
    ({"COURSE_HUB_SPAWNER": "no_such_module.Spawner"}, "the spawner no_such_module.Spawner is not installed"),
])
def test_the_hub_config_refuses_in_one_line(tmp_path, env, message):
    hub = Path(sys.executable).with_name("jupyterhub")
    if not hub.exists():
        pytest.skip("jupyterhub (the dev extra) is not installed")
    proc = subprocess.run([str(hub), "-f", str(ROOT / "deploy" / "jupyterhub_config.py"), "--ip=127.0.0.1"],
                          cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"jupyterhub_config.py: {proc.stderr.strip().split(': ', 1)[1]}"
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_the_hub_config_extends_the_chosen_spawner(monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("COURSE_HUB_SPAWNER", "jupyterhub.spawner.LocalProcessSpawner")
    monkeypatch.setenv("COURSE_HUB_MEM_LIMIT", "3G")
    pytest.importorskip("jupyterhub")
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(ROOT / "deploy")).load_config()
    spawner = config.JupyterHub.spawner_class
    assert [c.__name__ for c in spawner.__mro__[:3]] == ["CourseSpawner", "LearnerServers",
                                                          "LocalProcessSpawner"]
    assert config.Spawner.cmd[1:3] == ["-m", "course_lib.tools.learner_servers"]
    assert config.Spawner.cmd[-1].endswith("jupyterhub-singleuser")
    assert config.Spawner.mem_limit == "3G" and config.Spawner.cpu_limit == 1.0
    assert config.ConfigurableHTTPProxy.command == [str(hub_proxy.proxy_path())]  # provisioned by set-up


def test_the_sizing_in_deploy_is_computed_from_the_lesson_peaks():
    import yaml

    from course_lib.tools.sizing import lesson_peaks, sizing, sizing_table

    peaks = lesson_peaks((ROOT / "benchmarks" / "notebooks.md").read_text())
    assert len(peaks) >= 14 and max(peaks.values()) <= 1.2 * 1024  # the course's budget per lesson
    assert sizing_table(peaks) in (ROOT / "deploy" / "README.md").read_text()
    size = sizing(peaks)
    values = yaml.safe_load((ROOT / "deploy" / "z2jh-values.yaml").read_text())
    assert values["singleuser"]["memory"] == {"guarantee": f"{size.guarantee_mib / 1024:g}G",
                                              "limit": f"{size.limit_mib / 1024:g}G"}
    config = (ROOT / "deploy" / "jupyterhub_config.py").read_text()
    assert f'"COURSE_HUB_MEM_LIMIT", "{size.limit_mib / 1024:g}G"' in config
    with pytest.raises(CourseInputError, match="expected its table of lessons"):
        lesson_peaks("# no table")


def test_the_spawner_mixin_claims_keeps_and_releases_a_learners_ports():
    import asyncio
    from types import SimpleNamespace

    from course_lib.tools.hub import LearnerServers

    class Base:
        def __init__(self, user: str, name: str = "") -> None:
            self.user, self.name, self.pid, self.state = SimpleNamespace(name=user), name, 0, {}

        def get_env(self):
            return {"JUPYTERHUB_USER": self.user.name}

        async def stop(self, now=False):
            self.stopped = True

        def get_state(self):
            return {"pid": self.pid}

        def load_state(self, state):
            self.state = state

    class Spawner(LearnerServers, Base):
        pass

    first = _busy_range()
    Spawner.pool = PortPool(f"{first}-{first + 5}")
    ann, ann_lab2 = Spawner("ann"), Spawner("ann", "second")
    env = ann.get_env()
    assert env == {"JUPYTERHUB_USER": "ann", "COURSE_VISDOM_PORT": str(first),
                   "COURSE_TENSORBOARD_PORT": str(first + 1)}
    assert ann_lab2.get_env()["COURSE_VISDOM_PORT"] == str(first + 2)  # a named server: ports of its own
    state = ann.get_state()
    assert state == {"pid": 0, "course_ports": [first, first + 1]}
    asyncio.run(ann.stop())
    assert ann.stopped and "ann" not in Spawner.pool.held
    restarted = Spawner("ann")  # a restarted hub reads the state of a server still running
    restarted.load_state(state)
    assert Spawner.pool.held["ann"] == (first, first + 1) and restarted.state == state
