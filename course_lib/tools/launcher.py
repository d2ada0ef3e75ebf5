"""The start command (``bash scripts/start.sh``, ``course start``): Visdom, TensorBoard and
JupyterLab on 127.0.0.1, their URLs once each answers, and a stop that leaves nothing behind.

Written in Python rather than bash because a script started in the background inherits an
ignored SIGINT that bash cannot trap again; Python can, so Ctrl-C, ``kill -INT``, SIGTERM
and a closed terminal (SIGHUP) all stop every server it started, and their children.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from course_lib.errors import CourseInputError
from course_lib.settings import (
    HOST,
    PORT_VARIABLES,
    REPO_ROOT,
    runs_dir,
    server_port,
    tensorboard_public_url,
    visdom_env_url,
)
from course_lib.tools.parsing import OneLineParser

FIRST_LESSON = "notebooks/00_welcome.ipynb"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StartError(RuntimeError):
    """The course could not start; the message is one line a learner can act on."""


@dataclass
class Service:
    """One server the start command runs: its name, port, command line, readiness URL and log."""

    name: str
    key: str
    port: int
    command: list[str]
    probe: str
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    reused: bool = False

    def answers(self) -> bool:
        """True when the readiness URL answers 200 (and, for Visdom, looks like Visdom)."""
        try:
            with urllib.request.urlopen(self.probe, timeout=1) as reply:
                body = reply.read(65536).lower()
                return reply.status == 200 and (self.key != "visdom" or b"visdom" in body)
        except (OSError, ValueError):
            return False

    def log_tail(self, lines: int = 12) -> str:
        """The end of this server's log, indented, for an error message."""
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return "    (no log)"
        return "\n".join("    " + line for line in text) or "    (empty log)"


def trust_notebooks(folder: Path, notary_dir: Path) -> int:
    """Sign the lessons in ``folder`` with a notary kept in ``notary_dir``; returns how many."""
    import nbformat
    from nbformat.sign import NotebookNotary

    notary_dir.mkdir(parents=True, exist_ok=True)
    notary = NotebookNotary(data_dir=str(notary_dir))
    signed = 0
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if not notary.check_signature(nb):
            notary.sign(nb)
            signed += 1
    return signed


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    os.setsid()
    if sys.platform == "linux":  # if the start command is killed with SIGKILL, its servers go too
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Launcher:
    """Plans, starts, watches and stops the course's three servers."""

    def __init__(self, root: Path = REPO_ROOT, timeout: float | None = None) -> None:
        self.root = Path(root).resolve()
        raw = os.environ.get("COURSE_START_TIMEOUT", "120") if timeout is None else timeout
        try:
            self.timeout = float(raw)
        except ValueError:
            raise CourseInputError(
                f"COURSE_START_TIMEOUT: expected a number of seconds, got {raw!r}.") from None
        if not self.timeout > 0:
            raise CourseInputError(f"COURSE_START_TIMEOUT: expected seconds > 0, got {raw!r}.")
        self.ports = {key: server_port(key) for key in PORT_VARIABLES}
        taken = [k for k in self.ports if list(self.ports.values()).count(self.ports[k]) > 1]
        if taken:
            raise CourseInputError(
                f"{' and '.join(PORT_VARIABLES[k] for k in taken)}: expected different ports, "
                f"got {self.ports[taken[0]]} for both.")
        self.token = secrets.token_hex(24)
        self.logs = Path(sys.prefix) / "logs"
        self.runs = runs_dir()
        self.services = self._plan()
        self.stop_signal: int | None = None

    def _plan(self) -> list[Service]:
        from course_lib.tools.visdom_server import server_command

        py, p = sys.executable, self.ports
        lab = [py, "-m", "jupyterlab", "--no-browser", f"--ip={HOST}", f"--port={p['lab']}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", f"--NotebookNotary.data_dir={self.notary_dir}"]
        if os.geteuid() == 0:
            lab.append("--allow-root")
        return [
            Service("Visdom", "visdom", p["visdom"], server_command(p["visdom"], self.root / ".visdom"),
                    f"http://{HOST}:{p['visdom']}/", self.logs / "visdom.log"),
            Service("TensorBoard", "tensorboard", p["tensorboard"],
                    [py, "-m", "course_lib.tools.tensorboard_server", "--port", str(p["tensorboard"]),
                     "--logdir", str(self.runs)], f"http://{HOST}:{p['tensorboard']}/",
                    self.logs / "tensorboard.log"),
            Service("JupyterLab", "lab", p["lab"], lab,
                    f"http://{HOST}:{p['lab']}/api/status?token={self.token}", self.logs / "jupyterlab.log"),
        ]

    @property
    def notary_dir(self) -> Path:
        """Where the course keeps the signatures that mark its lessons trusted (inside the venv)."""
        return Path(sys.prefix) / "share" / "jupyter" / "course-notary"

    def child_env(self) -> dict[str, str]:
        """The environment of every server, and so of every kernel Lab starts."""
        env = dict(os.environ, PYTHONUNBUFFERED="1", COURSE_RUNS_DIR=str(self.runs))
        env.update({var: str(self.ports[key]) for key, var in PORT_VARIABLES.items()})
        env.pop("COURSE_VISDOM_PUBLIC_URL", None)
        env.pop("COURSE_TENSORBOARD_PUBLIC_URL", None)
        return env

    # -- starting ---------------------------------------------------------------------------
    def check_ports(self) -> None:
        """Refuse, in one line, a port that something else holds (an answering Visdom is reused)."""
        from course_lib.tools.visdom_server import port_in_use

        for svc in self.services:
            if not port_in_use(svc.port):
                continue
            if svc.key == "visdom" and svc.answers():
                svc.reused = True
                continue
            var = PORT_VARIABLES[svc.key]
            raise StartError(f"port {svc.port} ({svc.name}) is already in use on {HOST}; choose another "
                             f"with {var}, e.g. {var}={svc.port + 1} bash scripts/start.sh")

    def start(self) -> None:
        """Start every server that is not reused, each in its own session, logging to ``self.logs``."""
        from course_lib.tools.visdom_server import require_assets

        require_assets()
        self.logs.mkdir(parents=True, exist_ok=True)
        self.runs.mkdir(parents=True, exist_ok=True)
        trust_notebooks(self.root / "notebooks", self.notary_dir)
        env = self.child_env()
        for svc in self.services:
            if svc.reused:
                continue
            with open(svc.log, "wb") as log:
                svc.proc = subprocess.Popen(svc.command, cwd=self.root, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            preexec_fn=_die_with_parent)

    def wait_until_ready(self) -> None:
        """Wait until every server answers; StartError naming each one that exited or did not."""
        deadline = time.monotonic() + self.timeout
        waiting = [s for s in self.services if not s.reused]
        while waiting and self.stop_signal is None:
            for svc in list(waiting):
                assert svc.proc is not None
                if svc.proc.poll() is not None:
                    raise StartError(f"{svc.name} exited with code {svc.proc.returncode} before answering "
                                     f"on {HOST}:{svc.port}; the end of {self._rel(svc.log)}:\n"
                                     f"{svc.log_tail()}")
                if svc.answers():
                    waiting.remove(svc)
            if waiting and time.monotonic() > deadline:
                raise StartError("\n".join(
                    f"{svc.name} did not answer on {HOST}:{svc.port} within {self.timeout:g} s; "
                    f"the end of {self._rel(svc.log)}:\n{svc.log_tail()}" for svc in waiting))
            time.sleep(0.2)

    def urls(self) -> dict[str, str]:
        """The addresses to open in a browser."""
        p = self.ports
        return {"lab": f"http://{HOST}:{p['lab']}/lab/tree/{FIRST_LESSON}?token={self.token}",
                "visdom": visdom_env_url(port=p["visdom"]),
                "tensorboard": tensorboard_public_url(p["tensorboard"])}

    def banner(self) -> str:
        """What the start command prints once everything answers."""
        u = self.urls()
        reused = " (already running; reused)" if self.services[0].reused else ""
        return (f"\n  JupyterLab (the first lesson):\n    {u['lab']}\n"
                f"  Visdom (live training plots){reused}:\n    {u['visdom']}\n"
                f"  TensorBoard (the logs lessons write to {self._rel(self.runs)}/):\n"
                f"    {u['tensorboard']}\n"
                f"\n  Logs: {self._rel(self.logs)}/. Press Ctrl-C to stop.\n")

    # -- running and stopping -----------------------------------------------------------------
    def _on_signal(self, signum: int, frame: object) -> None:
        self.stop_signal = signum

    def install_signal_handlers(self) -> None:
        """Catch SIGINT (even when inherited as ignored), SIGTERM and SIGHUP."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)

    def watch(self) -> int:
        """Block until a stop signal (returns 128 + its number) or a server dies (returns 1)."""
        while self.stop_signal is None:
            for svc in self.services:
                if svc.proc is not None and svc.proc.poll() is not None:
                    _say(f"[start] {svc.name} stopped by itself (exit code {svc.proc.returncode}); "
                         f"see {self._rel(svc.log)}. Stopping the others.", err=True)
                    return 1
            time.sleep(0.2)
        return 128 + self.stop_signal

    def stop(self, grace: float = 10.0) -> None:
        """Stop every server started here and everything they started (kernels included)."""
        procs = [svc.proc for svc in self.services if svc.proc is not None]
        family: list[psutil.Process] = []
        for proc in procs:
            try:
                family += psutil.Process(proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                pass
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()  # Lab shuts its kernels down on SIGTERM
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        for p in alive:
            p.terminate()
        _, alive = psutil.wait_procs(alive, timeout=3)
        for p in alive:
            p.kill()

    def _rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


def _say(text: str, err: bool = False) -> None:
    try:  # after a closed terminal, writing fails: never let that stop the clean-up
        print(text, file=sys.stderr if err else sys.stdout, flush=True)
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    """Start the course and run until stopped; the exit status says how it ended."""

    parser = OneLineParser(prog="course start", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO_ROOT), help="the course folder Lab opens")
    args = parser.parse_args(argv)
    try:
        launcher = Launcher(Path(args.root))
    except CourseInputError as exc:
        _say(f"[start] {exc}", err=True)
        return 2
    launcher.install_signal_handlers()
    try:
        launcher.check_ports()
        launcher.start()
        launcher.wait_until_ready()
        if launcher.stop_signal is None:
            _say(launcher.banner())
            code = launcher.watch()
        else:
            code = 128 + launcher.stop_signal
    except Exception as exc:  # StartError, or e.g. Visdom's files missing: one line, then clean up
        _say(f"[start] {exc}", err=True)
        code = 1
    finally:
        if any(svc.proc is not None for svc in launcher.services):
            _say("[start] stopping the servers ...")
            launcher.stop()
            _say("[start] stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
