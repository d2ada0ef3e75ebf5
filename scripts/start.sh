#!/usr/bin/env bash
# Start the course: set up (if needed), run Visdom on 127.0.0.1:8097 and JupyterLab on
# 127.0.0.1 (token on) at the first lesson, print both URLs. Ctrl-C stops both.
# Ports: COURSE_VISDOM_PORT (default 8097), COURSE_LAB_PORT (default 8888).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh

visdom_port="${COURSE_VISDOM_PORT:-8097}"
lab_port="${COURSE_LAB_PORT:-8888}"
mkdir -p .venv/logs
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

answers() { .venv/bin/python -c "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; }

if answers "http://127.0.0.1:$visdom_port/"; then
  echo "[start] a Visdom server already answers on port $visdom_port; using it"
else
  .venv/bin/course visdom --port "$visdom_port" > .venv/logs/visdom.log 2>&1 &
  pids+=($!)
fi

token="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(24))')"
root_flag=()
if [ "$(id -u)" = 0 ]; then root_flag=(--allow-root); fi
.venv/bin/jupyter lab --no-browser --ip=127.0.0.1 --port="$lab_port" --ServerApp.port_retries=0 \
  --IdentityProvider.token="$token" --ServerApp.root_dir="$root" "${root_flag[@]}" \
  > .venv/logs/jupyterlab.log 2>&1 &
lab_pid=$!
pids+=($lab_pid)

for _ in $(seq 1 120); do
  if answers "http://127.0.0.1:$lab_port/api/status?token=$token" && answers "http://127.0.0.1:$visdom_port/"; then
    break
  fi
  if ! kill -0 "$lab_pid" 2>/dev/null; then
    echo "[start] JupyterLab did not start; the end of .venv/logs/jupyterlab.log:" >&2
    tail -n 20 .venv/logs/jupyterlab.log >&2
    exit 1
  fi
  sleep 0.5
done
answers "http://127.0.0.1:$visdom_port/" || { echo "[start] Visdom did not answer; see .venv/logs/visdom.log" >&2; tail -n 20 .venv/logs/visdom.log >&2; exit 1; }

cat <<MSG

  JupyterLab (the first lesson):
    http://127.0.0.1:$lab_port/lab/tree/notebooks/00_welcome.ipynb?token=$token
  Visdom (live training plots):
    http://127.0.0.1:$visdom_port/

  Logs: .venv/logs/. Press Ctrl-C to stop both.
MSG
wait "$lab_pid"
