"""One learner's Visdom and TensorBoard on a shared hub, on that learner's ports, ended with their server.

``python -m course_lib.tools.learner_servers CMD [ARG ...]`` does what ``binder/start`` does
(the same ``COURSE_*`` settings, the same proxy paths), then becomes ``CMD`` (the single-user
server) by ``exec``, so the side servers are its children. On Linux each is started with
``PR_SET_PDEATHSIG``: the kernel sends it SIGTERM when the single-user server dies, SIGKILL
included. Ports come from ``COURSE_VISDOM_PORT`` and ``COURSE_TENSORBOARD_PORT`` (the hub
picks them per learner, ``course_lib.tools.hub``); logs go to ``~/.course/``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from course_lib.errors import CourseInputError, expect_port
from course_lib.settings import PORT_VARIABLES, REPO_ROOT, url_path

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
BINDER_CONFIG = REPO_ROOT / "binder"  # jupyter_server_config.py: the /visdom/ and /tensorboard/ proxies


def learner_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` plus the ``COURSE_*`` settings that ``binder/start`` exports, for this learner."""
    prefix = url_path("/" + environ.get("JUPYTERHUB_SERVICE_PREFIX", "/").strip("/"),
                      "JUPYTERHUB_SERVICE_PREFIX")
    home = Path(environ.get("HOME") or Path.home())
    config = os.pathsep.join(filter(None, [str(BINDER_CONFIG), environ.get("JUPYTER_CONFIG_PATH", "")]))
    return {**environ,
            "COURSE_VISDOM_BASE_URL": f"{prefix}/visdom", "COURSE_VISDOM_PUBLIC_URL": f"{prefix}/visdom",
            "COURSE_TENSORBOARD_PUBLIC_URL": f"{prefix}/tensorboard",
            "COURSE_RUNS_DIR": environ.get("COURSE_RUNS_DIR") or str(home / "runs"),
            "JUPYTER_CONFIG_PATH": config}


def _port(env: Mapping[str, str], server: str) -> int:
    var = PORT_VARIABLES[server]
    try:
        return expect_port(int(env[var]), var)
    except (KeyError, ValueError):  # CourseInputError is a ValueError too
        raise CourseInputError(f"{var}: expected this learner's port number (1 to 65535), "
                               f"got {env.get(var)!r}.") from None


def side_server_commands(env: Mapping[str, str]) -> dict[str, list[str]]:
    """The Visdom and TensorBoard command lines for a learner's environment (from learner_environment)."""
    from course_lib.tools.visdom_server import server_command

    visdom, tensorboard = _port(env, "visdom"), _port(env, "tensorboard")
    if visdom == tensorboard:
        raise CourseInputError(f"COURSE_VISDOM_PORT and COURSE_TENSORBOARD_PORT are both {visdom}: "
                               "each server needs a port of its own.")
    home = Path(env.get("HOME") or Path.home())
    return {"visdom": server_command(visdom, home / ".visdom", env["COURSE_VISDOM_BASE_URL"]),
            "tensorboard": [sys.executable, "-m", "course_lib.tools.tensorboard_server", "--port",
                            str(tensorboard), "--logdir", env["COURSE_RUNS_DIR"],
                            "--path-prefix", env["COURSE_TENSORBOARD_PUBLIC_URL"]]}


def die_with(parent: int) -> Callable[[], None]:
    """A ``preexec_fn`` that makes the child get SIGTERM when ``parent`` dies (Linux; elsewhere nothing)."""
    def preexec() -> None:
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    return preexec


def start_side_servers(env: Mapping[str, str]) -> list[subprocess.Popen[bytes]]:
    """Start the learner's Visdom and TensorBoard in the background, each tied to this process's life."""
    commands = side_server_commands(env)
    logs = Path(env.get("HOME") or Path.home()) / ".course"
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    for name, cmd in commands.items():
        with open(logs / f"{name}.log", "ab") as log:
            procs.append(subprocess.Popen(cmd, env=dict(env), stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, preexec_fn=die_with(os.getpid())))
    return procs


def main(argv: Sequence[str] | None = None) -> int:
    """Start the side servers, then ``exec`` the command; returns 2 (one line) on a bad setting."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    prog = "python -m course_lib.tools.learner_servers"
    if not args or args[0].startswith("-"):
        print(f"usage: {prog} COMMAND [ARG ...]  (e.g. jupyterhub-singleuser)", file=sys.stderr)
        return 2
    try:
        env = learner_environment(os.environ)
        from course_lib.tools.visdom_server import VisdomServerError, port_in_use, require_assets

        require_assets()
        for name, cmd in side_server_commands(env).items():
            port = int(cmd[cmd.index("-port" if name == "visdom" else "--port") + 1])
            if port_in_use(port):
                raise CourseInputError(f"{name}'s port {port} is already in use on 127.0.0.1: "
                                       "give this learner another one.")
        start_side_servers(env)
    except (CourseInputError, VisdomServerError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    try:
        os.execvpe(args[0], args, env)
    except OSError as exc:
        print(f"{prog}: cannot run {args[0]!r}: {exc.strerror}", file=sys.stderr)
        return 127
    return 0  # pragma: no cover - exec does not return


if __name__ == "__main__":
    sys.exit(main())
