"""The ``course`` command: ``course doctor`` and ``course visdom --port N``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` console script."""
    parser = argparse.ArgumentParser(prog="course", description="Deep Learning Software, hands-on")
    sub = parser.add_subparsers(dest="command", required=True)
    doc = sub.add_parser("doctor", help="check versions, devices, Visdom and the shipped data")
    doc.add_argument("--port", type=int, default=8097, help="where to look for Visdom (default 8097)")
    doc.add_argument("-v", "--verbose", action="store_true", help="list every pinned package")
    vis = sub.add_parser("visdom", help="run a Visdom server on 127.0.0.1 in the foreground")
    vis.add_argument("--port", type=int, default=8097)
    vis.add_argument("--base-url", default="", help="path prefix, e.g. /visdom (default: none)")
    sol = sub.add_parser("solution", help="print the reference solution of an exercise")
    sol.add_argument("exercise_id", help="e.g. 00.mean_squared_error")
    args = parser.parse_args(argv)

    if args.command == "doctor":
        from course_lib.doctor import report

        return report(port=args.port, verbose=args.verbose)
    if args.command == "visdom":
        if not 0 < args.port < 65536:
            parser.error(f"--port: expected a port number between 1 and 65535, got {args.port}")
        from course_lib.visdom_server import run_foreground

        return run_foreground(args.port, base_url=args.base_url)
    if args.command == "solution":
        from course_lib.errors import CourseInputError
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
