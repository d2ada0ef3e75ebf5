"""Start and stop a Visdom server bound to 127.0.0.1 that works offline.

``VisdomServer`` runs ``python -m visdom.server`` in a subprocess for a notebook or a test and
always stops it; ``run_foreground`` runs one in a terminal until Ctrl-C (``course visdom``).
Both refuse to start until the front-end files are provisioned (``course_lib.tools.visdom_assets``),
because Visdom would otherwise try to download them from CDNs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from course_lib.errors import CourseInputError, describe
from course_lib.settings import HOST, expect_port, url_path, visdom_port
from course_lib.tools.parsing import OneLineParser
from course_lib.tools.visdom_assets import SETUP_COMMAND, missing_assets

_RUNNING: set[VisdomServer] = set()


class VisdomServerError(RuntimeError):
    """The server could not start: files missing, port taken, or no answer in time."""


_GIVEN: set[int] = set()  # the ports free_port has handed out in this process


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (chosen by the OS), and not one
    this process was given before: a test asks for several before any server binds them."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port
    raise OSError("no free TCP port on 127.0.0.1 that this process was not given already")


def port_in_use(port: int) -> bool:
    """True when ``port`` on 127.0.0.1 cannot be bound (another server holds it)."""
    port = expect_port(port)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado does
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def normalise_base_url(base_url: str) -> str:
    """``base_url`` as Visdom wants it: ``""`` or ``/a/b`` (leading slash, no trailing slash)."""
    return url_path(base_url, "base_url")


def server_command(port: int, env_path: str | os.PathLike[str], base_url: str = "") -> list[str]:
    """The command line that runs Visdom on 127.0.0.1:``port`` (``-bind_local``), offline."""
    port = expect_port(port)
    if not isinstance(env_path, (str, os.PathLike)) or not str(env_path):
        raise CourseInputError(f"env_path: expected a folder path, got {describe(env_path)}.")
    cmd = [sys.executable, "-m", "visdom.server", "-port", str(port), "-bind_local",
           "-env_path", str(env_path)]
    base_url = normalise_base_url(base_url)
    if base_url:
        cmd += ["-base_url", base_url]
    return cmd


def require_assets() -> None:
    """Raise VisdomServerError unless Visdom's front-end files are provisioned."""
    missing = missing_assets()
    if missing:
        raise VisdomServerError(
            f"Visdom's front-end files are not provisioned ({len(missing)} missing, e.g. "
            f"{missing[0]}), so its server would try to download them. Run `{SETUP_COMMAND}` "
            "once (it needs npm and the network), then start Visdom again.")


def _page_answers(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=timeout) as reply:
            return reply.status == 200 and b"visdom" in reply.read(65536).lower()
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class VisdomServer:
    """A Visdom server on 127.0.0.1 for the length of a ``with`` block (or until ``stop()``).

    ``with VisdomServer() as server:`` picks a free port, keeps its environments in a
    temporary folder (or ``env_path``) and its output in ``server.log_path``; leaving the
    block, normally or by an exception, stops the process.
    """

    def __init__(self, port: int | None = None, env_path: str | os.PathLike[str] | None = None,
                 base_url: str = "", *, startup_timeout: float = 30.0) -> None:
        if port is not None:
            expect_port(port)
        if env_path is not None and (not isinstance(env_path, (str, os.PathLike)) or not str(env_path)):
            raise CourseInputError(f"env_path: expected a folder path or None, got {describe(env_path)}.")
        if isinstance(startup_timeout, bool) or not isinstance(startup_timeout, (int, float)) \
                or startup_timeout <= 0:
            raise CourseInputError(
                f"startup_timeout: expected a number of seconds > 0, got {describe(startup_timeout)}.")
        self.base_url = normalise_base_url(base_url)
        self._requested_port = port
        self._env_path = None if env_path is None else Path(env_path)
        self.startup_timeout = float(startup_timeout)
        self.port: int | None = None
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._log: BinaryIO | None = None

    @property
    def url(self) -> str:
        """The page's address, e.g. ``http://127.0.0.1:8097`` (plus ``base_url``)."""
        if self.port is None:
            raise VisdomServerError("the server is not running; call start() or use `with`.")
        return f"http://{HOST}:{self.port}{self.base_url}"

    @property
    def pid(self) -> int | None:
        """The server process's id, or None when it is not running."""
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 25) -> str:
        """The last ``lines`` lines of the server's output."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(empty log)"

    def start(self) -> VisdomServer:
        """Start the server and wait until its page answers; returns ``self``."""
        if self._proc is not None:
            raise VisdomServerError(f"this server is already running (pid {self._proc.pid}).")
        require_assets()
        port = free_port() if self._requested_port is None else self._requested_port
        if port_in_use(port):
            raise VisdomServerError(
                f"port {port} on {HOST} is already in use (another Visdom?); pick another port "
                "or pass port=None for a free one.")
        self._workdir = Path(tempfile.mkdtemp(prefix="course-visdom-"))
        env_path = self._env_path or self._workdir / "env"
        env_path.mkdir(parents=True, exist_ok=True)
        self.log_path = self._workdir / "server.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        child_env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.port = port
        _RUNNING.add(self)
        try:
            self._proc = subprocess.Popen(
                server_command(port, env_path, self.base_url), stdout=self._log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env,
                start_new_session=True)
            self._wait_until_ready()
        except BaseException:
            self.stop()  # the error message already holds the end of the log
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise VisdomServerError(
                    f"Visdom exited with code {self._proc.returncode} before answering on "
                    f"{self.url}. Its log ends with:\n{self.log_tail()}")
            if _page_answers(self.url, timeout=1.0):
                return
            if time.monotonic() > deadline:
                raise VisdomServerError(
                    f"Visdom did not answer on {self.url} within {self.startup_timeout:g} s. "
                    f"Its log ends with:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server process (terminate, then kill after 5 s) and remove its temp folder."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _terminate(proc)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self.port = None
        _RUNNING.discard(self)

    def __enter__(self) -> VisdomServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self.url}, pid {self.pid}" if self.running else "stopped"
        return f"VisdomServer({state})"


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


def run_foreground(port: int, base_url: str = "", *, env_path: str | None = None) -> int:
    """Run Visdom on 127.0.0.1:``port`` in this terminal until Ctrl-C; returns the exit status."""
    port = expect_port(port)
    base_url = normalise_base_url(base_url)
    try:
        require_assets()
    except VisdomServerError as exc:
        print(f"[visdom] {exc}", file=sys.stderr)
        return 1
    if port_in_use(port):
        print(f"[visdom] port {port} on {HOST} is already in use: is Visdom already running? "
              f"Try http://{HOST}:{port}{base_url}/ or choose another --port.", file=sys.stderr)
        return 1
    folder = Path(env_path) if env_path else Path.home() / ".visdom"
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(server_command(port, folder, base_url), stdin=subprocess.DEVNULL,
                            start_new_session=True)  # Ctrl-C reaches us; we stop the server
    print(f"[visdom] serving http://{HOST}:{port}{base_url}/ (127.0.0.1 only, offline). "
          "Press Ctrl-C to stop.", flush=True)

    def _on_stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too: started in the background by a script, this process inherits it as ignored.
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, _on_stop) for sig in stop_signals} if main_thread else {}
    try:
        code = proc.wait()
        print(f"[visdom] the server stopped by itself with exit code {code}.", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("\n[visdom] stopping.", flush=True)
        return 0
    finally:
        _terminate(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """``python -m course_lib.tools.visdom_server [--port N] [--base-url /path]`` (used by binder/start)."""

    parser = OneLineParser(prog="python -m course_lib.tools.visdom_server",
                                     description="Run Visdom on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("--port", type=int, default=None,
                        help="default: $COURSE_VISDOM_PORT, else 8097")
    parser.add_argument("--base-url", default="", help="path prefix, e.g. /visdom (default: none)")
    parser.add_argument("--env-path", default=None, help="where Visdom saves environments")
    args = parser.parse_args(argv)
    try:
        port = visdom_port() if args.port is None else args.port
        return run_foreground(port, args.base_url, env_path=args.env_path)
    except CourseInputError as exc:
        parser.error(str(exc))
    return 2  # pragma: no cover - parser.error exits


if __name__ == "__main__":
    sys.exit(main())
