"""Hosted runtimes and the data folder: their bad input is tested in tests/test_hosted.py."""

from __future__ import annotations

CASES: list = []

COVERED_ELSEWHERE = {
    "data.MissingDataError": "the exception itself (one line, no traceback; test_hosted.py)",
    "data.expect_data_dir": "a missing data/ in test_hosted.py",
    "frameworks.load_triton_first": "no arguments; tested in test_errors_seed_frameworks.py",
    "hosted.CourseSetupError": "the exception itself: course_lib.hosted runs before numpy-using errors.py",
    "hosted.first_cell": "a non-https address raises CourseSetupError in test_hosted.py",
    "hosted.install": "a folder that is not a clone, or lacks data/, in test_hosted.py",
    "hosted.missing_packages": "names are looked up, never trusted; test_hosted.py",
    "hosted.requirement_names": "a pyproject without dependencies in test_hosted.py",
    "hosted.runtime_pins": "no arguments; used by install in test_hosted.py",
}
