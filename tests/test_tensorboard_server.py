"""course_lib.tools.tensorboard_server, for real: TensorBoard on 127.0.0.1 serves the scalars that
tf.summary wrote, its page loads nothing from the internet, and TensorFlow stays out of it."""

import json
import re
import signal
import subprocess
import sys
import time

import psutil
import pytest
from conftest import http_get

from course_lib.errors import CourseInputError
from course_lib.frameworks import import_tensorflow
from course_lib.tools.tensorboard_server import tensorboard_args
from course_lib.tools.visdom_server import free_port


def _get(url: str) -> bytes:
    status, body = http_get(url, strict=True)
    assert status == 200
    return body


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    tf = import_tensorflow()
    folder = tmp_path_factory.mktemp("runs")
    writer = tf.summary.create_file_writer(str(folder / "04_keras"))
    with writer.as_default():
        for step in range(1, 6):
            tf.summary.scalar("train/loss", 1.0 / step, step=step)
    writer.close()
    return folder


def _serve(logdir, *extra):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "course_lib.tools.tensorboard_server", "--port", str(port),
                             "--logdir", str(logdir), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    return proc, port


def _wait(url: str, proc, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"TensorBoard did not answer on {url}")


def test_serves_the_scalars_offline_without_tensorflow(logdir):
    proc, port = _serve(logdir)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/", proc)
        tags = json.loads(_get(base + "/data/plugin/scalars/tags"))
        deadline = time.monotonic() + 30
        while "04_keras" not in tags and time.monotonic() < deadline:  # first load of the logdir
            time.sleep(0.5)
            tags = json.loads(_get(base + "/data/plugin/scalars/tags"))
        assert list(tags) == ["04_keras"] and list(tags["04_keras"]) == ["train/loss"]
        points = json.loads(_get(base + "/data/plugin/scalars/scalars?run=04_keras&tag=train%2Floss"))
        assert [p[1] for p in points] == [1, 2, 3, 4, 5]
        assert [p[2] for p in points] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
        # Its front end comes out of the wheel: the page refers to nothing outside the server.
        page = _get(base + "/").decode()
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
        assert external == [], external
        server = psutil.Process(proc.pid)
        assert not any("libtensorflow" in m.path for m in server.memory_maps()), "TensorFlow was loaded"
        assert server.memory_full_info().pss < 300 * 2**20
        listeners = [c.laddr for c in server.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        assert listeners and all(a.ip == "127.0.0.1" for a in listeners), listeners
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert not any(c.laddr.port == port for c in psutil.net_connections(kind="inet")
                   if c.status == psutil.CONN_LISTEN)


def test_a_path_prefix_as_binder_uses(logdir):
    proc, port = _serve(logdir, "--path-prefix", "/user/ann/tensorboard/")
    try:
        _wait(f"http://127.0.0.1:{port}/user/ann/tensorboard/", proc)
        assert b"tensorboard" in _get(f"http://127.0.0.1:{port}/user/ann/tensorboard/").lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_bad_arguments(tmp_path):
    assert tensorboard_args(tmp_path, 6006)[:6] == ["--logdir", str(tmp_path), "--host", "127.0.0.1",
                                                   "--port", "6006"]
    with pytest.raises(CourseInputError, match="port: expected an int between 1 and 65535, got bool"):
        tensorboard_args(tmp_path, True)
    with pytest.raises(CourseInputError, match="logdir: expected a folder path, got int"):
        tensorboard_args(3, 6006)
    with pytest.raises(CourseInputError, match="path_prefix: expected '' or a path"):
        tensorboard_args(tmp_path, 6006, "tensorboard")
    done = subprocess.run([sys.executable, "-m", "course_lib.tools.tensorboard_server", "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "port: expected an int between 1 and 65535, got int 0" in done.stderr
    assert "Traceback" not in done.stderr
