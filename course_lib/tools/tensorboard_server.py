"""Run TensorBoard on 127.0.0.1, offline, over the logs the lessons write (``course tensorboard``).

TensorBoard's front end ships inside its wheel, so it needs no network. Left alone it imports
TensorFlow (about 0.6 GB more memory) only to read event files, which its bundled Rust data
server already does; ``serve`` tells it to use its own small TensorFlow stub instead.
"""

from __future__ import annotations

import os
import signal
import sys
import types
from pathlib import Path

from course_lib.errors import CourseInputError, describe
from course_lib.settings import HOST, expect_port, runs_dir, server_port, url_path
from course_lib.tools.parsing import OneLineParser


def tensorboard_args(logdir: str | os.PathLike[str], port: int, path_prefix: str = "") -> list[str]:
    """TensorBoard's command-line arguments: ``logdir`` served on 127.0.0.1:``port``."""
    if not isinstance(logdir, (str, os.PathLike)) or not str(logdir):
        raise CourseInputError(f"logdir: expected a folder path, got {describe(logdir)}.")
    port = expect_port(port)
    prefix = url_path(path_prefix, "path_prefix")
    args = ["--logdir", str(logdir), "--host", HOST, "--port", str(port), "--reload_interval", "2"]
    if prefix:
        args += ["--path_prefix", prefix]
    return args


def serve(logdir: str | os.PathLike[str], port: int, path_prefix: str = "") -> int:
    """Run TensorBoard in this process until it is stopped; returns its exit status."""
    args = tensorboard_args(logdir, port, path_prefix)
    Path(logdir).mkdir(parents=True, exist_ok=True)
    # TensorBoard picks its TensorFlow stub when this marker module can be imported.
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
    from tensorboard import main as tensorboard_main

    sys.argv = ["tensorboard", *args]
    # Ctrl-C stops it, even if this process inherited SIGINT as ignored (a script's background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    return int(tensorboard_main.run_main() or 0)


def main(argv: list[str] | None = None) -> int:
    """``python -m course_lib.tools.tensorboard_server [--port N] [--logdir DIR] [--path-prefix /p]``."""

    parser = OneLineParser(prog="course tensorboard",
                                     description="Run TensorBoard on 127.0.0.1 over the lessons' logs.")
    parser.add_argument("--port", type=int, default=None, help="default: $COURSE_TENSORBOARD_PORT, else 6006")
    parser.add_argument("--logdir", default=None, help="default: $COURSE_RUNS_DIR, else runs/")
    parser.add_argument("--path-prefix", default="", help="URL prefix, e.g. /user/me/tensorboard")
    args = parser.parse_args(argv)
    try:
        port = server_port("tensorboard") if args.port is None else args.port
        logdir = runs_dir() if args.logdir is None else Path(args.logdir)
        tensorboard_args(logdir, port, args.path_prefix)  # validate before the slow import
    except CourseInputError as exc:
        parser.error(str(exc))
    print(f"[tensorboard] serving {logdir.name}/ at http://{HOST}:{port}{args.path_prefix.rstrip('/')}/ "
          "(127.0.0.1 only, offline). Press Ctrl-C to stop.", flush=True)
    try:
        return serve(logdir, port, args.path_prefix)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
