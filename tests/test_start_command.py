"""The README's start command, for real: JupyterLab, Visdom and TensorBoard come up on 127.0.0.1
on the ports their variables name, their URLs are printed, a notebook opens trusted and its
kernel streams a LivePlot to that Visdom, and Ctrl-C, SIGTERM or SIGHUP stops everything, also
when the command was started in the background. A taken port or a server that never answers
gets a one-line message and a non-zero exit."""

import asyncio
import json
import os
import re
import signal
import time
import urllib.request
import uuid

import psutil
import pytest
from conftest import ROOT, course_version
from course_process import (
    http_get,
    launcher_of,
    listening,
    live_plot_code,
    post_json,
    run_code,
    run_in_lab_kernel,
    start_course,
    still_alive,
    stop_group,
)


@pytest.fixture(scope="module")
def course_runs():
    """The start commands this module's tests share, stopped at its end."""
    runs: list[tuple] = []
    yield runs
    for proc, _, _ in runs:
        stop_group(proc)


@pytest.fixture
def started_course(course_runs):
    """The start command, running: one serves every test that needs it (the test that checks
    Ctrl-C runs after those that only use it), and a new one starts if a test has stopped it."""
    if not course_runs or course_runs[-1][0].poll() is not None:
        course_runs.append(start_course())
    return course_runs[-1]


def test_a_websocket_abandoned_while_the_kernel_starts_is_harmless(started_course):
    """Lab's first-load 500 (`'NoneType' object has no attribute 'kernel_ws_protocol'`), replayed.

    jupyter_server holds a kernel's websocket request until the kernel answers kernel_info. If
    the browser drops that socket first, tornado runs the handler's on_close, which clears its
    connection, and the handshake that follows fails with that AttributeError: a 500 logged for
    a socket nobody listens to. The kernel, and the browser's next socket, are unaffected.
    """
    import base64
    import socket

    proc, output, ports = started_course
    token = re.search(r"token=(\w+)", output).group(1)
    base = f"http://127.0.0.1:{ports['lab']}"
    kernel = post_json(f"{base}/api/kernels?token={token}", {"name": "python3"})
    path = f"/api/kernels/{kernel['id']}/channels?token={token}&session_id={uuid.uuid4().hex}"
    raw = socket.create_connection(("127.0.0.1", ports["lab"]))
    raw.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{ports['lab']}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    time.sleep(0.3)
    raw.close()  # given up on while the kernel is still starting
    printed = asyncio.run(run_code(f"ws://127.0.0.1:{ports['lab']}{path}", "print(6 * 7)"))
    assert printed.strip() == "42"
    _, listing = http_get(f"{base}/api/kernels/{kernel['id']}?token={token}")
    assert json.loads(listing)["execution_state"] in ("idle", "busy")


def test_start_command_serves_lab_visdom_and_tensorboard(started_course):
    proc, output, ports = started_course
    lab_port, visdom_port, tb_port = ports["lab"], ports["visdom"], ports["tensorboard"]
    lab = re.search(rf"http://127\.0\.0\.1:{lab_port}/lab/tree/notebooks/00_welcome\.ipynb\?token=(\w+)",
                    output)
    assert lab, output
    # The printed Visdom address opens the environment the lessons post to, on the chosen port.
    assert f"http://127.0.0.1:{visdom_port}/env/course" in output
    assert f"http://127.0.0.1:{tb_port}/" in output
    token = lab.group(1)
    base = f"http://127.0.0.1:{lab_port}"

    status, page = http_get(lab.group(0))
    assert status == 200 and b"JupyterLab" in page
    status, body = http_get(f"http://127.0.0.1:{visdom_port}/env/course")
    assert status == 200 and b"visdom" in body.lower()
    status, body = http_get(f"http://127.0.0.1:{tb_port}/")
    assert status == 200 and b"tensorboard" in body.lower()
    with pytest.raises(urllib.error.HTTPError) as denied:  # the token is required
        http_get(f"{base}/api/contents/notebooks")
    assert denied.value.code == 403

    # Lab's own settings for this environment switch the news pop-up off (overrides.json
    # replaces the schema's defaults; the user's own settings stay empty).
    _, raw = http_get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}")
    notification = json.loads(raw)
    assert notification["schema"]["properties"]["fetchNews"]["default"] == "false"
    assert notification["schema"]["properties"]["checkForUpdates"]["default"] is False

    _, nb = http_get(f"{base}/api/contents/notebooks/00_welcome.ipynb?token={token}")
    assert json.loads(nb)["content"]["cells"][0]["source"].startswith("# 00")
    # A kernel that Lab starts knows the ports, and its LivePlot streams to this Visdom.
    printed = run_in_lab_kernel(base + "/", token, live_plot_code(
        "start test", 7, "print(6 * 7, course_lib.__version__, os.environ['COURSE_VISDOM_PORT'], plot.mode)"))
    assert f"Live plot: streaming to Visdom, open http://127.0.0.1:{visdom_port}/env/course" in printed
    assert printed.strip().splitlines()[-1] == f"42 {course_version()} {visdom_port} visdom"
    import visdom

    client = visdom.Visdom(port=visdom_port, env="course", use_incoming_socket=False, raise_exceptions=True)
    window = json.loads(client.get_window_data(win="live_start_test"))
    assert [len(trace["y"]) for trace in window["content"]["data"]] == [7]
    log = (ROOT / ".venv" / "logs" / "jupyterlab.log").read_text()
    assert "is not trusted" not in log, "the lessons should open trusted"

    # All three servers listen on the loopback interface only.
    children = psutil.Process(proc.pid).children(recursive=True)
    addrs = {c.laddr for p in children for c in p.net_connections(kind="inet")
             if c.status == psutil.CONN_LISTEN}
    assert set(ports.values()) <= {a.port for a in addrs}
    assert all(a.ip in ("127.0.0.1", "::1") for a in addrs), addrs

    # Ctrl-C stops them all, kernels included.
    pids = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
    stop_group(proc, signal.SIGINT)
    time.sleep(1)
    assert not still_alive(pids), f"processes still running after Ctrl-C: {still_alive(pids)}"
    assert not listening(ports.values())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_stops_everything_even_when_started_in_the_background(sig):
    proc, output, ports = start_course(background=True)
    try:
        assert "Press Ctrl-C" in output, output
        launcher = launcher_of(proc)
        pids = [launcher.pid, *(c.pid for c in launcher.children(recursive=True))]
        assert len(pids) >= 4, "the launcher should run Visdom, TensorBoard and Lab"
        launcher.send_signal(sig)  # kill -INT / -TERM / -HUP, or a closed terminal
        launcher.wait(timeout=30)
        time.sleep(1)
        assert not still_alive(pids), f"still running after {sig.name}: {still_alive(pids)}"
        assert not listening(ports.values())
    finally:
        stop_group(proc, signal.SIGKILL)


def test_a_taken_port_gets_one_line_naming_the_port_and_its_variable():
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        proc, output, _ = start_course({"COURSE_TENSORBOARD_PORT": str(taken)}, wait_for="\0")
        code = proc.wait(timeout=60)
    assert code == 1
    message = [line for line in output.splitlines() if line.startswith("[start]")]
    assert message == [f"[start] port {taken} (TensorBoard) is already in use on 127.0.0.1; choose "
                       f"another with COURSE_TENSORBOARD_PORT, e.g. COURSE_TENSORBOARD_PORT={taken + 1} "
                       "bash scripts/start.sh"], output


def test_a_server_that_never_answers_is_named_and_the_exit_status_is_not_zero():
    # JupyterLab needs seconds to answer on this machine; a 1 s limit is too short for it.
    proc, output, ports = start_course({"COURSE_START_TIMEOUT": "1"}, wait_for="\0")
    code = proc.wait(timeout=60)
    assert code == 1, output
    assert f"JupyterLab did not answer on 127.0.0.1:{ports['lab']} within 1 s" in output
    assert "JupyterLab (the first lesson)" not in output and "/lab/tree/" not in output, "no URL printed"
    assert not listening(ports.values())


def test_a_bad_port_variable_is_refused_in_one_line():
    proc, output, _ = start_course({"COURSE_VISDOM_PORT": "80x"}, wait_for="\0")
    assert proc.wait(timeout=60) == 2
    assert "[start] COURSE_VISDOM_PORT: expected a port number between 1 and 65535, got '80x'." in output
    assert "Traceback" not in output
