"""The ``course`` command: ``doctor``, ``start``, ``visdom``, ``tensorboard``, ``solution``, ``progress``,
``class``."""

from __future__ import annotations

import sys

from course_lib.tools.parsing import OneLineParser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["progress"]:  # its own parser: see course_lib.tools.progress
        from course_lib.tools.progress import main as progress_main

        return progress_main(argv[1:])
    if argv[:1] == ["class"]:  # its own parser: see course_lib.tools.class_report
        from course_lib.tools.class_report import main as class_main

        return class_main(argv[1:])
    if argv[:1] == ["doctor"]:  # its own parser: see course_lib.tools.doctor
        from course_lib.tools.doctor import main as doctor_main

        return doctor_main(argv[1:])
    parser = OneLineParser(prog="course", description="Deep Learning Software, hands-on")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check versions, devices, Visdom and the shipped data "
                                  "(course doctor --help)")
    vis = sub.add_parser("visdom", help="run a Visdom server on 127.0.0.1 in the foreground")
    vis.add_argument("--port", type=int, default=None, help="default: $COURSE_VISDOM_PORT, else 8097")
    vis.add_argument("--base-url", default="", help="path prefix, e.g. /visdom (default: none)")
    sub.add_parser("start", help="run Visdom, TensorBoard and JupyterLab (what scripts/start.sh does)")
    tb = sub.add_parser("tensorboard", help="run TensorBoard on 127.0.0.1 over the lessons' logs")
    tb.add_argument("--port", type=int, default=None, help="default: $COURSE_TENSORBOARD_PORT, else 6006")
    tb.add_argument("--logdir", default=None, help="default: $COURSE_RUNS_DIR, else runs/")
    sol = sub.add_parser("solution", help="print the reference solution of an exercise")
    sol.add_argument("exercise_id", help="e.g. 00.mean_squared_error")
    sub.add_parser("progress", help="run lessons in fresh kernels and report every exercise "
                                    "(course progress --help)")
    sub.add_parser("class", help="a class's results from the learners' `course progress --json` "
                                 "reports (course class --help)")
    args = parser.parse_args(argv)

    from course_lib.errors import CourseInputError
    from course_lib.settings import expect_port, visdom_port

    try:
        port = getattr(args, "port", None)
        if port is not None:
            expect_port(port, "--port")
        if args.command == "visdom":
            from course_lib.tools.visdom_server import run_foreground

            return run_foreground(visdom_port() if port is None else port, base_url=args.base_url)
    except CourseInputError as exc:
        parser.error(str(exc))
    if args.command == "start":
        from course_lib.tools.launcher import main as start_main

        return start_main([])
    if args.command == "tensorboard":
        from course_lib.tools.tensorboard_server import main as tensorboard_main

        return tensorboard_main([*(["--port", str(port)] if port else []),
                                 *(["--logdir", args.logdir] if args.logdir else [])])
    if args.command == "solution":
        from course_lib.exercises import solution

        try:
            solution(args.exercise_id)
        except CourseInputError as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    return 2  # pragma: no cover - argparse enforces a command


if __name__ == "__main__":
    sys.exit(main())
