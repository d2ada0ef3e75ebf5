#!/usr/bin/env bash
# Start the course: set up (if needed), then run Visdom, TensorBoard and JupyterLab on
# 127.0.0.1 (Lab with a token, at the first lesson) and print their URLs. Ctrl-C, SIGTERM or
# closing the terminal stops all three (course_lib/tools/launcher.py does the work).
# Ports: COURSE_LAB_PORT (8888), COURSE_VISDOM_PORT (8097), COURSE_TENSORBOARD_PORT (6006).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
exec .venv/bin/python -m course_lib.tools.launcher --root "$root"
