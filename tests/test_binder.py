"""Binder's configuration: generated from the lock, and accepted by repo2docker.

repo2docker is the tool Binder builds images with; ``--no-build --debug`` makes it print the
Dockerfile it would build without needing a Docker engine, so these tests run offline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, pinned
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

BINDER = ROOT / "binder"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REPO2DOCKER = Path(sys.executable).with_name("repo2docker")


# -- parsing -----------------------------------------------------------------------------
def requirement_lines(text: str) -> list[Requirement]:
    """The requirements in a requirements.txt text (comments and pip options skipped)."""
    reqs = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            reqs.append(Requirement(line))
    return reqs


def postbuild_pins(text: str) -> list[Requirement]:
    """Packages that binder/postBuild installs by exact pin (``pip install ... name==version``)."""
    found = []
    for line in text.splitlines():
        if re.search(r"\bpip install\b", line) and not line.lstrip().startswith("#"):
            found += [Requirement(tok) for tok in line.split() if re.fullmatch(r"[\w.-]+==[\w.+!-]+", tok)]
    return found


def project_pins() -> list[Requirement]:
    """pyproject.toml's [project] dependencies."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [Requirement(d) for d in data["project"]["dependencies"]]


def _pin(req: Requirement) -> Version | None:
    specs = list(req.specifier)
    if len(specs) != 1 or specs[0].operator != "==":
        return None
    return Version(specs[0].version)


# -- the files -----------------------------------------------------------------------------
def test_runtime_is_exactly_python_311():
    # Any other spelling ("Python-3.11", "python-3.11.x") makes repo2docker use its default.
    assert (BINDER / "runtime.txt").read_text() == "python-3.11\n"


def _lock_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_lock", ROOT / "scripts" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lock_holds_every_pin_of_pyproject():
    lock = _lock_module().read_lock((ROOT / "requirements.lock").read_text())
    env = default_environment()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    pins = [Requirement(d) for d in project["dependencies"] + project["optional-dependencies"]["dev"]]
    for req in pins:
        if req.marker is None or req.marker.evaluate(env):
            assert lock.get(canonicalize_name(req.name)) == str(_pin(req)), f"{req} vs the lock"


def test_the_tested_environment_is_the_locked_one():
    """What pip freeze says of this .venv is requirements.lock, line for line (on 3.12 and 3.13: the
    same versions, without what only 3.11 needs, with the CUDA libraries of torch's default wheel)."""
    lock = _lock_module()
    problems = lock.environment_problems((ROOT / "requirements.lock").read_text(), lock.freeze(),
                                         sys.version_info[:2])
    assert not problems, \
        f"the .venv is not requirements.lock ({'; '.join(problems[:5])}): run scripts/setup.sh " \
        "(scripts/lock.py after a pin change)"


def test_environment_problems_allow_only_what_another_python_changes():
    lock = _lock_module()
    text = (ROOT / "requirements.lock").read_text()
    assert lock.environment_problems(text, text, lock.LOCK_PYTHON) == []
    assert lock.environment_problems(text, text + "zz==1\n", lock.LOCK_PYTHON)
    other = (3, 13)
    cuda = text + "nvidia-cublas==13.1.1.3\ntriton==3.7.1\n"
    assert lock.environment_problems(text, cuda, other) == []
    numpy = f"numpy=={pinned('numpy')}"
    assert lock.environment_problems(text, cuda.replace(numpy, "numpy==0.0.1"), other) == \
        [f"numpy==0.0.1 (locked: {pinned('numpy')})"]
    assert lock.environment_problems(text, text + "zz==1\n", other) == ["zz==1 (not in the lock)"]
    assert lock.environment_problems(text, text.replace(numpy + "\n", ""), other) == \
        ["numpy (locked, needed here, not installed)"]


def test_binder_requirements_are_generated_from_the_lock():
    lock = _lock_module()
    text = (BINDER / "requirements.txt").read_text()
    assert text == lock.binder_requirements((ROOT / "requirements.lock").read_text()), \
        "binder/requirements.txt has drifted from requirements.lock: run scripts/lock.py --binder"
    lines = text.splitlines()
    assert f"--extra-index-url {TORCH_CPU_INDEX}" in lines and f"torch=={pinned('torch')}+cpu" in lines
    assert f"jupyter-server-proxy=={pinned('jupyter-server-proxy')}" in lines
    assert f"notebook=={pinned('notebook')}" in lines
    assert not any(line.startswith(("visdom==", "ruff==", "playwright==")) for line in lines)
    pins = [str(r) for r in postbuild_pins((BINDER / "postBuild").read_text())]
    assert pins == [f"visdom=={pinned('visdom')}"]
    # A changed pin in the lock changes what Binder gets.
    numpy = f"numpy=={pinned('numpy')}"
    doctored = (ROOT / "requirements.lock").read_text().replace(numpy, "numpy==0.0.1")
    assert "numpy==0.0.1" in lock.binder_requirements(doctored).splitlines()


@pytest.mark.parametrize("platform, chosen", [("linux", "tensorflow-cpu"), ("darwin", "tensorflow"),
                                              ("win32", "tensorflow")])
def test_tensorflow_markers_pick_one_package(platform, chosen):
    env = dict(default_environment(), sys_platform=platform)
    tf = [r.name for r in project_pins() if r.name.startswith("tensorflow") and r.marker.evaluate(env)]
    assert tf == [chosen]


def test_scripts_are_executable_bash():
    for name in ("postBuild", "start"):
        path = BINDER / name
        assert os.access(path, os.X_OK), f"binder/{name} is not executable"
        assert path.read_text().startswith("#!/bin/bash\n")
        subprocess.run(["bash", "-n", str(path)], check=True)
    assert 'exec "$@"' in (BINDER / "start").read_text()
    post = (BINDER / "postBuild").read_text()
    assert "pip install --no-cache-dir --no-deps -e ." in post
    assert "python -m course_lib.tools.visdom_assets" in post and "scripts/build-constraints.txt" in post


def _run_start(tmp_path: Path, prefix: str | None) -> tuple[dict[str, str], list[list[str]]]:
    """Run binder/start with a stand-in `python` (records each call's arguments) and `env` as the command."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "python-args"
    record.unlink(missing_ok=True)
    fake = bin_dir / "python"
    fake.write_text(f'#!/bin/bash\necho "$*" >> "{record}"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(tmp_path),
           "HOME": str(tmp_path)}
    if prefix is not None:
        env["JUPYTERHUB_SERVICE_PREFIX"] = prefix
    out = subprocess.run(["bash", str(BINDER / "start"), "env"], env=env, capture_output=True,
                         text=True, check=True, timeout=30).stdout
    for _ in range(100):  # the servers were started in the background
        if record.exists() and len(record.read_text().splitlines()) == 2:
            break
        subprocess.run(["sleep", "0.05"])
    seen = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return seen, sorted(line.split() for line in record.read_text().splitlines())


def test_start_launches_the_servers_where_the_proxy_and_the_lessons_look(tmp_path):
    from traitlets.config.loader import PyFileConfigLoader

    from course_lib.settings import DEFAULT_TENSORBOARD_PORT, DEFAULT_VISDOM_PORT

    config = PyFileConfigLoader("jupyter_server_config.py", path=str(BINDER)).load_config()
    servers = config.ServerProxy.servers
    assert sorted(servers) == ["tensorboard", "visdom"]
    for name, entry in servers.items():
        assert "command" not in entry, f"{name} is started by binder/start; the proxy only forwards"
        assert entry["absolute_url"] is True
        assert entry["launcher_entry"]["path_info"] == f"{name}/"
    assert servers["visdom"]["port"] == DEFAULT_VISDOM_PORT == 8097
    assert servers["tensorboard"]["port"] == DEFAULT_TENSORBOARD_PORT == 6006

    for prefix in ("/user/ann-abc123/", None):
        # jupyter-server-proxy forwards <prefix><name>/... unchanged (absolute_url), so each
        # server serves under that path and the browser opens that path on the Jupyter server.
        root = (prefix or "/").rstrip("/")
        seen, calls = _run_start(tmp_path, prefix)
        assert seen["COURSE_VISDOM_BASE_URL"] == seen["COURSE_VISDOM_PUBLIC_URL"] == f"{root}/visdom"
        assert seen["COURSE_TENSORBOARD_PUBLIC_URL"] == f"{root}/tensorboard"
        assert seen["COURSE_VISDOM_PORT"] == str(servers["visdom"]["port"])
        assert seen["COURSE_TENSORBOARD_PORT"] == str(servers["tensorboard"]["port"])
        assert seen["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(BINDER)
        assert calls == [
            ["-m", "course_lib.tools.tensorboard_server", "--port", "6006", "--path-prefix",
             f"{root}/tensorboard"],
            ["-m", "course_lib.tools.visdom_server", "--port", "8097", "--base-url", f"{root}/visdom"],
        ]


def test_binder_kernels_print_addresses_relative_to_the_jupyter_server(monkeypatch):
    from course_lib import settings

    monkeypatch.setenv("COURSE_VISDOM_PUBLIC_URL", "/user/ann-abc123/visdom")
    monkeypatch.setenv("COURSE_TENSORBOARD_PUBLIC_URL", "/user/ann-abc123/tensorboard")
    assert settings.visdom_env_url() == "/user/ann-abc123/visdom/env/course"
    assert settings.tensorboard_public_url() == "/user/ann-abc123/tensorboard/"


def test_post_build_installs_the_lab_settings_and_trusts_the_lessons():
    post = (BINDER / "postBuild").read_text()
    assert "cp scripts/lab-overrides.json" in post and "/share/jupyter/lab/settings" in post
    assert "jupyter trust notebooks/*.ipynb" in post


def _kernel_install(text: str) -> str:
    lines = re.findall(r"-m ipykernel install ([^\n]*\\\n[^\n]*)", text)
    assert len(lines) == 1, lines
    return " ".join(lines[0].replace("\\\n", " ").split()).replace("> /dev/null", "").strip()


def test_binder_and_setup_install_the_same_lessons_kernel():
    """Both install the kernel with MALLOC_ARENA_MAX=2; lesson 06 fits Binder's memory only with it."""
    post = _kernel_install((BINDER / "postBuild").read_text())
    setup = _kernel_install((ROOT / "scripts" / "setup.sh").read_text())
    assert post == setup
    assert "--env MALLOC_ARENA_MAX 2" in post and '--display-name "Python 3 (ipykernel)"' in post


# -- repo2docker -------------------------------------------------------------------------------
def _repo2docker(repo: Path) -> str:
    assert REPO2DOCKER.exists(), "repo2docker is missing: install the dev extra (scripts/setup.sh does)"
    proc = subprocess.run([str(REPO2DOCKER), "--no-build", "--debug", "--user-id", "1000",
                           "--user-name", "jovyan", str(repo)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_repo2docker_accepts_the_binder_folder():
    out = _repo2docker(ROOT)
    assert re.search(r"Building conda environment for python=3\.11\b", out), out[:2000]
    assert "environment.py-3.11-linux-64.lock" in out.replace("-2d", "-").replace("-2e", ".")
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in out
    assert "RUN ./binder/postBuild" in out
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in out
    assert "Python version unspecified" not in out


def test_repo2docker_falls_back_silently_on_a_runtime_typo(tmp_path):
    """Why the runtime check above is strict: a capital P is enough to lose Python 3.11."""
    shutil.copytree(BINDER, tmp_path / "binder")
    (tmp_path / "binder" / "runtime.txt").write_text("Python-3.11\n")
    out = _repo2docker(tmp_path)
    assert not re.search(r"python=3\.11\b", out)
    assert "Building conda environment for python=3." in out


def test_the_readme_launch_link_opens_an_existing_lesson_in_lab():
    from urllib.parse import parse_qs, urlsplit

    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\((https://mybinder\.org/v2/gh/[^)]+)\)", readme)
    assert links, "the README has no Binder launch link"
    for link in links:
        parts = urlsplit(link)
        assert re.fullmatch(r"/v2/gh/[\w.-]+/[\w.-]+/HEAD", parts.path), link
        urlpath = parse_qs(parts.query)["urlpath"][0]
        assert urlpath.startswith("lab/tree/"), urlpath
        assert (ROOT / urlpath.removeprefix("lab/tree/")).is_file(), urlpath


def test_dockerignore_keeps_the_local_environment_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv/", ".git/", "runs/"} <= set(ignored)
