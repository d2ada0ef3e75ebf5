"""Where the course's servers listen and where a browser finds them, read from the environment.

One variable per setting, read by the start command, by every kernel JupyterLab starts (they
inherit the start command's environment), by ``LivePlot`` and by ``course doctor``:

=============================  ==========================================================
``COURSE_LAB_PORT``            JupyterLab's port (default 8888)
``COURSE_VISDOM_PORT``         Visdom's port (default 8097)
``COURSE_TENSORBOARD_PORT``    TensorBoard's port (default 6006)
``COURSE_VISDOM_BASE_URL``     the path Visdom serves under (Binder: ``/user/<name>/visdom``)
``COURSE_VISDOM_PUBLIC_URL``   Visdom's address as the learner's browser sees it
``COURSE_TENSORBOARD_PUBLIC_URL``  the same for TensorBoard
``COURSE_RUNS_DIR``            where lessons write TensorBoard logs (default ``runs/``)
``COURSE_REPOSITORY_URL``      the course's GitHub address, for launch links (``REPOSITORY_URL``)
``COURSE_JUPYTERHUB_URL``      a class's JupyterHub, for nbgitpuller links (``JUPYTERHUB_URL``)
=============================  ==========================================================
"""

from __future__ import annotations

import os
from pathlib import Path

from course_lib.errors import CourseInputError, describe, expect_port

HOST = "127.0.0.1"
DEFAULT_LAB_PORT = 8888
DEFAULT_VISDOM_PORT = 8097
DEFAULT_TENSORBOARD_PORT = 6006
VISDOM_ENV = "course"  # the Visdom environment every LivePlot posts to
REPO_ROOT = Path(__file__).resolve().parent.parent
# Where the course lives: the website's launch buttons (Binder, JupyterHub with nbgitpuller) are
# built from these. A fork changes these lines (or sets the variables) and nothing else.
REPOSITORY_URL = "https://github.com/OWNER/REPO"
REPOSITORY_BRANCH = "main"
JUPYTERHUB_URL = "https://hub.example.org"
BINDERHUB_URL = "https://mybinder.org"

PORT_VARIABLES = {"lab": "COURSE_LAB_PORT", "visdom": "COURSE_VISDOM_PORT",
                  "tensorboard": "COURSE_TENSORBOARD_PORT"}
_DEFAULTS = {"lab": DEFAULT_LAB_PORT, "visdom": DEFAULT_VISDOM_PORT,
             "tensorboard": DEFAULT_TENSORBOARD_PORT}


def url_path(value: object, name: str = "base_url") -> str:
    """``value`` as a URL path prefix: ``""`` or ``/a/b`` (leading slash, no trailing slash)."""
    if not isinstance(value, str) or (value.strip("/") and not value.startswith("/")):
        raise CourseInputError(
            f"{name}: expected '' or a path starting with '/' such as '/visdom', got {describe(value)}.")
    if any(c.isspace() or c in "?#" for c in value):
        raise CourseInputError(f"{name}: expected a plain URL path, got {value!r}.")
    return value.rstrip("/")


def expect_env_name(env: object) -> str:
    """``env`` if it is a usable Visdom environment name (non-empty, no '/', '?', '#' or edge spaces)."""
    if not isinstance(env, str) or not env or any(c in env for c in "/?#") or env != env.strip():
        raise CourseInputError(f"env: expected a Visdom environment name such as 'course', "
                               f"got {describe(env)}.")
    return env


def server_port(server: str) -> int:
    """The port of ``server`` ("lab", "visdom" or "tensorboard"): its variable, or the default."""
    if server not in PORT_VARIABLES:
        raise CourseInputError(f"server: expected one of {sorted(PORT_VARIABLES)}, got {server!r}.")
    var = PORT_VARIABLES[server]
    raw = os.environ.get(var, "").strip()
    if not raw:
        return _DEFAULTS[server]
    try:
        return expect_port(int(raw), var)
    except ValueError:  # not an int, or out of range (CourseInputError is a ValueError too)
        raise CourseInputError(f"{var}: expected a port number between 1 and 65535, got {raw!r}.") from None


def visdom_port() -> int:
    """Visdom's port: ``$COURSE_VISDOM_PORT`` or 8097."""
    return server_port("visdom")


def visdom_base_url() -> str:
    """The path prefix Visdom serves under: ``$COURSE_VISDOM_BASE_URL`` (set on Binder) or ``""``."""
    return url_path(os.environ.get("COURSE_VISDOM_BASE_URL", "").strip(), "COURSE_VISDOM_BASE_URL")


def visdom_public_url(port: int | None = None) -> str:
    """Visdom's address in the learner's browser (a path relative to the Jupyter server on Binder)."""
    public = os.environ.get("COURSE_VISDOM_PUBLIC_URL", "").strip().rstrip("/")
    if public and port is None:
        return public
    port = visdom_port() if port is None else expect_port(port)
    return f"http://{HOST}:{port}{visdom_base_url()}"


def visdom_env_url(env: str = VISDOM_ENV, port: int | None = None) -> str:
    """The page that opens Visdom on environment ``env``, where the lessons' plots appear."""
    return f"{visdom_public_url(port)}/env/{expect_env_name(env)}"


def tensorboard_public_url(port: int | None = None) -> str:
    """TensorBoard's address in the learner's browser."""
    public = os.environ.get("COURSE_TENSORBOARD_PUBLIC_URL", "").strip().rstrip("/")
    if public and port is None:
        return public + "/"
    port = server_port("tensorboard") if port is None else expect_port(port)
    return f"http://{HOST}:{port}/"


def runs_dir() -> Path:
    """The folder TensorBoard serves and lessons log to: ``$COURSE_RUNS_DIR`` or ``runs/``."""
    raw = os.environ.get("COURSE_RUNS_DIR", "").strip()
    return Path(raw).expanduser().resolve() if raw else REPO_ROOT / "runs"


def _web_address(variable: str, default: str) -> str:
    """``$variable`` (or ``default``) if it is an http(s) address, without a trailing slash."""
    value = os.environ.get(variable, "").strip() or default
    if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value) or "?" in value:
        raise CourseInputError(f"{variable}: expected a web address such as 'https://github.com/you/course', "
                               f"got {value!r}.")
    return value.rstrip("/")


def repository_url() -> str:
    """The course's repository address: ``$COURSE_REPOSITORY_URL`` or ``REPOSITORY_URL``."""
    return _web_address("COURSE_REPOSITORY_URL", REPOSITORY_URL)


def jupyterhub_url() -> str:
    """The JupyterHub that launch links open: ``$COURSE_JUPYTERHUB_URL`` or ``JUPYTERHUB_URL``."""
    return _web_address("COURSE_JUPYTERHUB_URL", JUPYTERHUB_URL)
