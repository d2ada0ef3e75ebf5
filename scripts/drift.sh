#!/usr/bin/env bash
# The drift run (not part of CI): what next month's releases do to the course, and whether the
# lessons run on a hosted notebook runtime. Writes benchmarks/drift.md. Needs the network.
#   1. A throwaway venv on the newest Python here (or PYTHON=...) with the newest release of every
#      direct dependency (no lock, no pins): the unit tests, then every lesson in a fresh kernel
#      (outputs not compared, as nbval --nbval-lax), each DeprecationWarning, FutureWarning and
#      error collected per lesson.
#   2. A simulated hosted runtime (like Colab): a venv on the same Python with only the newest
#      torch, TensorFlow, NumPy, matplotlib, OpenCV and a Jupyter kernel, no course; each lesson's
#      first cell installs the course from a clone of this checkout's HEAD (standing in for the
#      repository address), and the lesson runs. Between lessons the course is uninstalled again.
# Both use a clone of this checkout's HEAD. DRIFT_PARTS="drift hosted" (the default) picks the
# parts; benchmarks/drift_notes.md (what was concluded and done) is appended to the report.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
parts="${DRIFT_PARTS:-drift hosted}"

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.13 python3.12 python3.11; do  # the first that runs (a pyenv shim may not)
    if "$candidate" -c '' >/dev/null 2>&1; then python_bin="$candidate"; break; fi
  done
fi
if [ -z "$python_bin" ] || ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
  echo "The drift run needs Python 3.11 or newer: set PYTHON=/path/to/python3.13 and run again." >&2
  exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/course-drift.XXXXXX")"
trap '[ -n "${DRIFT_KEEP:-}" ] || rm -rf "$work"' EXIT  # DRIFT_KEEP=1 keeps the logs
echo "[drift] $("$python_bin" --version), working in $work"
git clone -q "$root" "$work/course"  # the committed course (HEAD), whatever the working tree holds
cd "$work/course"

# The runner: the newest direct dependencies, and the course (editable, without dependencies).
"$python_bin" -m venv "$work/drift"
py="$work/drift/bin/python"
mapfile -t direct < <("$python_bin" - <<'PY'
import re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for dep in project["dependencies"]:
    name, _, marker = dep.partition(";")
    print(re.split(r"[=<>!~ ]", name.strip())[0] + (";" + marker if marker else ""))
PY
)
echo "[drift] installing the newest release of ${#direct[@]} direct dependencies"
PIP_CONSTRAINT="$root/scripts/build-constraints.txt" "$py" -m pip install -q --disable-pip-version-check \
  --upgrade pip setuptools wheel "${direct[@]}" > "$work/pip.log" 2>&1 || { tail -n 5 "$work/pip.log"; exit 1; }
"$py" -m pip install -q --disable-pip-version-check --no-deps -e . > "$work/pip.log" 2>&1 \
  || { tail -n 5 "$work/pip.log"; exit 1; }
export JUPYTER_PATH="$work/kernels"  # the kernels below, before any of the user's own

python_of() {  # a kernelspec named $1 that runs the Python $2, as set-up installs the lessons' kernel
  mkdir -p "$work/kernels/kernels/$1"
  printf '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], %s}\n' "$2" \
    '"display_name": "Python 3 (ipykernel)", "language": "python", "env": {"MALLOC_ARENA_MAX": "2"}' \
    > "$work/kernels/kernels/$1/kernel.json"
}
python_of python3 "$py"

"$py" - "$work/collected.json" <<'PY'
import json, sys, datetime, re, tomllib
from importlib import metadata
from packaging.utils import canonicalize_name
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
names = [canonicalize_name(re.split(r"[=<>!~ ;]", d)[0]) for d in project["dependencies"]]
locked = {canonicalize_name(l.split("==")[0]): l.split("==")[1].strip()
          for l in open("requirements.lock") if "==" in l and not l.startswith("#")}
got = {}
for n in names:
    try:
        got[n] = metadata.version(n)
    except metadata.PackageNotFoundError:
        pass
json.dump({"date": datetime.date.today().isoformat(), "python": sys.version.split()[0], "versions": got,
           "locked": {n: locked[n] for n in got if n in locked}}, open(sys.argv[1], "w"))
PY

if [[ " $parts " == *" drift "* ]]; then
  echo "[drift] unit tests, one process per file (the browser, server, hub, website and lock tests are left out)"
  mkdir -p "$work/unit"
  for test_file in tests/test_*.py; do
    case "$(basename "$test_file")" in
      test_browser*|test_start_command*|test_tensorboard_server*|test_visdom*|test_training_visdom*|\
      test_binder*|test_hub*|test_class*|test_site*) continue ;;
    esac
    name="$(basename "$test_file" .py)"
    status=0
    "$py" -m pytest "$test_file" -q -p no:cacheprovider --junitxml="$work/unit/$name.xml" \
      > "$work/unit/$name.log" 2>&1 || status=$?
    if [ "$status" -gt 5 ]; then  # the process died (a signal): no JUnit file, say so in one
      last="$(grep -m1 -E 'Fatal Python error|Aborted|Segmentation' "$work/unit/$name.log" || true)"
      printf '<testsuite tests="1" failures="0" errors="1" skipped="0"><testcase classname="%s" name="(the whole file)"><error message="pytest died with status %s: %s"/></testcase></testsuite>\n' \
        "tests.$name" "$status" "$(printf '%s' "$last" | sed 's/[<>&"]/ /g')" > "$work/unit/$name.xml"
    fi
    echo "[drift]   $name: exit status $status"
  done
  echo "[drift] every lesson on the newest releases"
  "$py" -m course_lib.tools.drift lessons "$work/drift-lessons.json" --cwd "$work/course/notebooks"
fi

if [[ " $parts " == *" hosted "* ]]; then
  echo "[drift] the simulated hosted runtime: newest torch, TensorFlow, NumPy, matplotlib, OpenCV"
  "$python_bin" -m venv "$work/hosted"
  hpy="$work/hosted/bin/python"
  "$hpy" -m pip install -q --disable-pip-version-check torch tensorflow numpy matplotlib opencv-python \
    ipykernel 2>&1 | grep -v "^WARNING: Location" || true
  "$hpy" -m pip list --format=freeze 2>/dev/null | grep -iE '^(torch|tensorflow|numpy|matplotlib|opencv-python|ipykernel)==' \
    | tr '\n' ' ' > "$work/hosted-packages.txt"
  python_of hosted "$hpy"
  git clone -q --bare "$work/course" "$work/repository.git"  # what the repository address gives
  mkdir -p "$work/content"
  COURSE_REPOSITORY_URL="$work/repository.git" "$py" -m course_lib.tools.drift lessons "$work/hosted-lessons.json" \
    "$work"/course/notebooks/[0-9][0-9]_*.ipynb --cwd "$work/content" --kernel hosted \
    --before-each "'$hpy' -m pip uninstall -q -y course_lib >/dev/null 2>&1 || true; rm -rf '$work/content/course'"
fi

"$py" - "$work" "$root" <<'PY'
import json, sys
from pathlib import Path
work = Path(sys.argv[1])
data = json.loads((work / "collected.json").read_text())
if (work / "drift-lessons.json").exists():
    data["drift"] = json.loads((work / "drift-lessons.json").read_text())
if (work / "unit").is_dir():
    from course_lib.tools.drift import unit_summary
    data["unit"] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "failed": []}
    for xml in sorted((work / "unit").glob("*.xml")):
        part = unit_summary(xml)
        for key in ("tests", "failures", "errors", "skipped", "failed"):
            data["unit"][key] += part[key]
if (work / "hosted-lessons.json").exists():
    data["hosted"] = json.loads((work / "hosted-lessons.json").read_text())
    packages = (work / "hosted-packages.txt").read_text().split()
    data["hosted_about"] = (
        "A venv on the same Python with only " + ", ".join(packages) + " installed, and no course. Each "
        "lesson ran in a fresh kernel in an empty folder; its first cell cloned the course (a bare clone "
        "of this checkout's HEAD standing in for the repository address) and installed it with --no-deps, "
        "plus what the runtime lacked (the first lesson installed those; the course itself was "
        "uninstalled again before each lesson). Outputs are not compared.")
notes = Path(sys.argv[2]) / "benchmarks" / "drift_notes.md"
if notes.exists():
    data["notes"] = notes.read_text()
(work / "report.json").write_text(json.dumps(data).replace(str(work) + "/", "<work>/"))  # no machine paths
PY
"$py" -m course_lib.tools.drift report --json "$work/report.json" --out "$root/benchmarks/drift.md"
