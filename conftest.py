"""pytest hooks for every run of this checkout: a lesson that passes nbval in strict mode is
recorded in benchmarks/verified.json (course_lib/tools/verified.py); the website shows it."""

pytest_plugins = ["course_lib.tools.verified"]
