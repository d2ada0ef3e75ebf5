"""Visdom offline: provisioned front-end files, a real server, its real client, loopback only.

The server listens on 127.0.0.1 and is asked for nothing it would fetch from a CDN: its files come
from the tarballs cached at set-up. (That the whole course works with the network cut is shown by
running the test command under ``unshare -n``, not by a test here.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import psutil
import pytest
from conftest import VISDOM_WARNINGS, alive, http_get, live_children

from course_lib.errors import CourseInputError
from course_lib.tools import visdom_assets, visdom_server
from course_lib.tools.visdom_assets import (
    ASSETS,
    INTEGRITY,
    SETUP_COMMAND,
    VERSION_FILE,
    VisdomAssetsError,
    default_cache_dir,
    fetch_tarballs,
    missing_assets,
    provision,
    static_dir,
    visdom_version,
)
from course_lib.tools.visdom_server import (
    VisdomServer,
    VisdomServerError,
    free_port,
    normalise_base_url,
    port_in_use,
    run_foreground,
    server_command,
)

pytestmark = VISDOM_WARNINGS

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "::1"}


# -- helpers -----------------------------------------------------------------------------
class _Refs(HTMLParser):
    """Collects <script src> and <link rel=stylesheet href> (comments are skipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"] or "")
        if tag == "link" and (a.get("rel") or "").lower() == "stylesheet" and a.get("href"):
            self.styles.append(a["href"] or "")


def _check_page(page_url: str) -> list[str]:
    """Fetch the page and everything it loads; returns the resolved script/style URLs."""
    status, body = http_get(page_url)
    assert status == 200, f"the Visdom page {page_url} answered {status} (tornado 6.6 answers 403)"
    refs = _Refs()
    refs.feed(body.decode())
    assert len(refs.scripts) >= 10 and len(refs.styles) >= 5, (refs.scripts, refs.styles)
    page_host = urlsplit(page_url).netloc
    urls = []
    for ref in refs.scripts + refs.styles:
        url = urljoin(page_url, ref)  # resolves "/static/../user/style.css" as a browser does
        assert urlsplit(url).netloc == page_host, f"{ref} is loaded from another host (a CDN?)"
        status, data = http_get(url)
        assert status == 200, f"{url} answered {status}"
        if "/static/" in url:
            assert data, f"{url} is empty"
        urls.append(url)
    return urls


@pytest.fixture(scope="module", autouse=True)
def no_server_outlives_the_tests():
    before = live_children()
    yield
    deadline = time.monotonic() + 5
    while live_children() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    left = live_children() - before
    assert not left, f"processes left running: {[psutil.Process(p).cmdline() for p in left]}"


@pytest.fixture(scope="module")
def server():
    srv = VisdomServer()
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def client_factory():
    import visdom

    def make(srv: VisdomServer, env: str = "course_test"):
        return visdom.Visdom(server="http://127.0.0.1", port=srv.port, base_url=srv.base_url or "/",
                             env=env, use_incoming_socket=False, raise_exceptions=True)

    return make


# -- visdom_assets -------------------------------------------------------------------------
def test_assets_are_provisioned():
    missing = missing_assets()
    assert missing == [], f"run `{SETUP_COMMAND}`; missing: {missing}"
    assert (static_dir() / VERSION_FILE).read_text().strip() == visdom_version() == "0.2.4"


def test_visdom_itself_would_download_nothing(monkeypatch):
    """The download step `python -m visdom.server` runs at start finds every file in place."""
    import requests
    import visdom
    from visdom.server import build

    def refuse(*args, **kwargs):
        raise AssertionError(f"visdom tried to download {args[1:] or args}")

    class NoNetwork:
        open = refuse

    monkeypatch.setattr(build.request, "build_opener", lambda *a: NoNetwork())
    monkeypatch.setattr(build.request, "install_opener", lambda opener: None)
    monkeypatch.setattr(requests, "get", refuse)
    build.download_scripts()
    assert (static_dir() / VERSION_FILE).read_text() == visdom.__version__


def test_missing_assets_lists_everything_for_an_empty_folder(tmp_path):
    missing = missing_assets(tmp_path)
    assert missing == [a.target for a in ASSETS] + [VERSION_FILE]
    assert len(ASSETS) == 29 and "js/plotly-plotly.min.js" in missing
    with pytest.raises(CourseInputError, match="static: expected a folder path"):
        missing_assets(42)  # type: ignore[arg-type]


def test_missing_assets_flags_empty_files_and_a_stale_version(tmp_path):
    for asset in ASSETS:
        (tmp_path / asset.target).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / asset.target).write_text("x")
    (tmp_path / VERSION_FILE).write_text("0.1.0")
    assert missing_assets(tmp_path) == [VERSION_FILE]
    (tmp_path / VERSION_FILE).write_text(visdom_version())
    (tmp_path / "js/d3.v3.min.js").write_bytes(b"")
    assert missing_assets(tmp_path) == ["js/d3.v3.min.js"]


def test_provision_into_a_new_folder_from_the_cache(tmp_path):
    cache = default_cache_dir()
    specs = sorted({a.spec for a in ASSETS})
    if not all((cache / f"{s.rsplit('@', 1)[0]}-{s.rsplit('@', 1)[1]}.tgz").is_file() for s in specs):
        pytest.skip(f"npm tarball cache incomplete; run `{SETUP_COMMAND}` once with the network")
    target = tmp_path / "static"
    wrote = provision(target, cache)
    assert wrote == [a.target for a in ASSETS] + [VERSION_FILE]
    assert missing_assets(target) == []
    for asset in ASSETS:  # the same bytes the installed visdom serves
        assert (target / asset.target).read_bytes() == (static_dir() / asset.target).read_bytes()
    assert (target / "js/plotly-plotly.min.js").read_text()[:40].count("plotly.js v2.11.1") == 1
    start = time.perf_counter()
    assert provision(target, cache) == []  # idempotent, and fast when done
    assert time.perf_counter() - start < 2.0
    with pytest.raises(CourseInputError, match="force: expected True or False"):
        provision(target, cache, force="yes")  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="cache: expected a folder path"):
        provision(tmp_path / "other", cache=3.5)  # type: ignore[arg-type]


def _fake_npm(folder: Path, script: str) -> None:
    npm = folder / "npm"
    npm.write_text("#!/bin/sh\n" + script)
    npm.chmod(0o755)


def test_fetch_tarballs_says_when_npm_is_missing(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(VisdomAssetsError, match="npm was not found on PATH"):
        fetch_tarballs(["jquery@3.1.1"], tmp_path / "cache")
    with pytest.raises(CourseInputError, match="pinned npm specs"):
        fetch_tarballs("jquery@3.1.1", tmp_path / "cache")  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="left-pad@1.0.0"):
        fetch_tarballs(["left-pad@1.0.0"], tmp_path / "cache")


def test_fetch_tarballs_reports_npm_failure_and_wrong_bytes(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    _fake_npm(bin_dir, "echo 'npm error code E404 registry unreachable' >&2\nexit 1\n")
    with pytest.raises(VisdomAssetsError, match=r"(?s)exit code 1.*E404"):
        fetch_tarballs(["jquery@3.1.1"], tmp_path / "cache")
    _fake_npm(bin_dir, "echo 'not a tarball' > jquery-3.1.1.tgz\necho '[]'\n")
    with pytest.raises(VisdomAssetsError, match="sha512"):
        fetch_tarballs(["jquery@3.1.1"], tmp_path / "cache")
    assert not (tmp_path / "cache" / "jquery-3.1.1.tgz").exists()  # bad bytes are not kept
    assert set(INTEGRITY) == {a.spec for a in ASSETS}


def test_check_flag(tmp_path, monkeypatch, capsys):
    assert visdom_assets.main(["--check"]) == 0
    assert "version.built = 0.2.4" in capsys.readouterr().out
    monkeypatch.setattr(visdom_assets, "static_dir", lambda: tmp_path)
    assert visdom_assets.main(["--check"]) == 1
    assert SETUP_COMMAND in capsys.readouterr().err


# -- visdom_server: the real server and client --------------------------------------------
def test_line_plot_round_trip(server, client_factory):
    vis = client_factory(server)
    assert vis.check_connection()
    xs = [0.0]
    ys = [2.5]
    win = vis.line(X=np.array(xs), Y=np.array(ys), opts={"title": "loss", "xlabel": "step"})
    for step in range(1, 21):
        loss = float(2.5 * np.exp(-0.15 * step) + 0.01 * (step % 3))
        xs.append(float(step))
        ys.append(loss)
        vis.line(X=np.array([float(step)]), Y=np.array([loss]), win=win, update="append")
    stored = json.loads(vis.get_window_data(win, env="course_test"))
    trace = stored["content"]["data"][0]
    assert stored["title"] == "loss"
    assert len(trace["x"]) == len(trace["y"]) == 21
    assert trace["x"] == xs and trace["y"] == ys  # every point, exactly


def test_page_and_everything_it_loads(server):
    urls = _check_page(server.url + "/")
    assert any(u.endswith("/user/style.css") for u in urls)
    assert any("plotly-plotly.min.js" in u for u in urls)


def test_server_listens_on_loopback_only(server):
    conns = psutil.Process(server.pid).net_connections(kind="inet")
    listening = [c for c in conns if c.status == psutil.CONN_LISTEN]
    assert listening, "the Visdom process listens on nothing"
    assert {c.laddr.ip for c in listening} <= LOOPBACK, listening
    on_port = [c for c in psutil.net_connections(kind="inet")
               if c.status == psutil.CONN_LISTEN and c.laddr.port == server.port]
    assert on_port and {c.laddr.ip for c in on_port} <= LOOPBACK, on_port
    assert "-bind_local" in server_command(server.port, "env")


def test_base_url_and_stop_after_an_exception(client_factory):
    srv = VisdomServer(base_url="/user/test/visdom/")
    with pytest.raises(KeyError, match="learner error"):
        with srv:
            pid, port = srv.pid, srv.port
            assert srv.url == f"http://127.0.0.1:{port}/user/test/visdom"
            urls = _check_page(srv.url + "/")
            assert all(urlsplit(u).path.startswith("/user/test/visdom/") for u in urls), urls
            assert http_get(f"http://127.0.0.1:{port}/")[0] == 404
            vis = client_factory(srv, env="binder")
            win = vis.line(X=np.arange(3.0), Y=np.array([3.0, 2.0, 1.5]))
            data = json.loads(vis.get_window_data(win, env="binder"))["content"]["data"][0]
            assert data["y"] == [3.0, 2.0, 1.5]
            raise KeyError("learner error")
    assert not srv.running and srv.pid is None and not alive([pid])
    assert not port_in_use(port)
    srv.stop()  # stopping twice is harmless


def test_startup_timeout_shows_the_log_and_stops(monkeypatch):
    before = live_children()
    srv = VisdomServer(startup_timeout=0.05)
    with pytest.raises(VisdomServerError, match=r"(?s)did not answer .* within 0.05 s.*log ends with"):
        srv.start()
    assert not srv.running and live_children() - before == set()


def test_port_taken_and_missing_assets(monkeypatch, capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        assert port_in_use(taken)
        with pytest.raises(VisdomServerError, match=f"port {taken} .* already in use"):
            VisdomServer(port=taken).start()
        assert run_foreground(taken) == 1
        assert "already in use" in capsys.readouterr().err
    monkeypatch.setattr(visdom_server, "missing_assets", lambda: ["js/jquery.min.js"])
    with pytest.raises(VisdomServerError, match=SETUP_COMMAND):
        VisdomServer().start()
    assert run_foreground(free_port()) == 1
    assert SETUP_COMMAND in capsys.readouterr().err


def test_bad_inputs_and_helpers():
    port = free_port()
    assert isinstance(port, int) and 1024 <= port < 65536 and not port_in_use(port)
    assert normalise_base_url("") == "" and normalise_base_url("/a/visdom/") == "/a/visdom"
    for kwargs, match in [({"port": 0}, "port: expected an int"),
                          ({"port": "8097"}, "port: expected an int"),
                          ({"base_url": "visdom"}, "base_url: expected"),
                          ({"env_path": 3}, "env_path: expected"),
                          ({"startup_timeout": -1}, "startup_timeout: expected")]:
        with pytest.raises(CourseInputError, match=match):
            VisdomServer(**kwargs)
    with pytest.raises(CourseInputError, match="port: expected"):
        run_foreground(70000)
    with pytest.raises(CourseInputError, match="base_url: expected a plain URL path"):
        normalise_base_url("/a b")
    with pytest.raises(CourseInputError, match="env_path: expected"):
        server_command(8097, "")
    with pytest.raises(CourseInputError, match="port: expected"):
        port_in_use(-1)
    with pytest.raises(VisdomServerError, match="not running"):
        VisdomServer().url  # noqa: B018 - the property raises


@pytest.mark.parametrize("inherited_ignore", [False, True], ids=["foreground", "sigint-ignored"])
def test_run_foreground_until_ctrl_c(tmp_path, inherited_ignore):
    """Ctrl-C stops it, also when it inherits SIGINT as ignored (started in a script's background)."""
    port = free_port()
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if inherited_ignore else None
    proc = subprocess.Popen([sys.executable, "-m", "course_lib.tools.visdom_server", "--port", str(port),
                             "--env-path", str(tmp_path / "env")], preexec_fn=ignore,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while _get_quiet(f"http://127.0.0.1:{port}/") != 200:
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the foreground server never answered"
            time.sleep(0.1)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "run_foreground should run Visdom in a child process"
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert f"serving http://127.0.0.1:{port}/" in out and "stopping" in out
    assert all(not alive([c.pid]) for c in children)
    assert not port_in_use(port)


def _get_quiet(url: str) -> int:
    try:
        return http_get(url)[0]
    except OSError:
        return 0


def test_module_command_line_rejects_bad_arguments(capsys):
    for argv, match in ((["--port", "0"], "port: expected an int"),
                        (["--base-url", "visdom"], "base_url: expected")):
        with pytest.raises(SystemExit) as exit_info:
            visdom_server.main(argv)
        assert exit_info.value.code == 2
        assert match in capsys.readouterr().err


def test_free_port_never_hands_out_a_port_twice(monkeypatch):
    """A test asks for several ports before any server binds them; the OS may offer one again."""
    offered = iter([41000, 41000, 41001, 41000, 41002])

    class FakeSocket:
        def __init__(self, *args):
            self.port = next(offered)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def bind(self, address):
            pass

        def getsockname(self):
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(visdom_server, "_GIVEN", set())
    monkeypatch.setattr(visdom_server.socket, "socket", FakeSocket)
    assert [visdom_server.free_port() for _ in range(3)] == [41000, 41001, 41002]
