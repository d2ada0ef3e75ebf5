"""Unit tests of course_lib.tools.doctor and the ``course`` command."""

import io
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, pinned

from course_lib import data
from course_lib.errors import CourseInputError
from course_lib.tools import doctor
from course_lib.tools.cli import main


def test_report_on_this_checkout_passes():
    out = io.StringIO()
    assert doctor.report(out=out) == 0, out.getvalue()
    text = out.getvalue()
    assert "[ok  ] packages:" in text and f"torch {pinned('torch')}" in text
    assert "device cpu" in text and "data manifest" in text and "visdom assets" in text


def test_verbose_lists_every_package():
    out = io.StringIO()
    doctor.report(out=out, verbose=True)
    assert f"[ok  ] nbval: {pinned('nbval')}" in out.getvalue()


def test_corrupt_or_missing_data_fails_by_name(tmp_path, monkeypatch):
    (tmp_path / "x.txt").write_text("x")
    (tmp_path / "y.txt").write_text("y")
    data.write_manifest(tmp_path)
    (tmp_path / "x.txt").write_text("changed")
    (tmp_path / "y.txt").unlink()
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    monkeypatch.chdir(tmp_path)  # outside any checkout: the installed copy's data is checked
    out = io.StringIO()
    assert doctor.report(out=out) == 1
    text = out.getvalue()
    assert "[FAIL] data/x.txt: corrupt" in text and "[FAIL] data/y.txt: missing" in text
    assert "Traceback" not in text


def test_missing_package_is_reported(monkeypatch):
    real = doctor.metadata.version

    def fake_version(name):
        if name == "nbval":
            raise doctor.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(doctor.metadata, "version", fake_version)
    checks = {c.name: c for c in doctor.run_checks()}
    assert not checks["nbval"].ok and "missing" in checks["nbval"].detail


def test_course_doctor_command_exits_zero():
    exe = shutil.which("course", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the `course` console script is not installed"
    proc = subprocess.run([exe, "doctor"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the course is ready" in proc.stdout


def test_cli_solution_and_bad_input(capsys):
    assert main(["solution", "00.mean_squared_error"]) == 0
    assert "def mean_squared_error" in capsys.readouterr().out
    assert main(["solution", "00.nope"]) == 2
    assert "no exercise '00.nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["visdom", "--port", "0"])
    assert "--port: expected an int between 1 and 65535, got int 0" in capsys.readouterr().err


def test_report_rejects_a_bad_port():
    with pytest.raises(CourseInputError, match="port: expected an int between 1 and 65535, got str '8097'"):
        doctor.report(port="8097")


def test_doctor_looks_for_visdom_on_the_port_variable(monkeypatch):
    from course_lib.tools.visdom_server import VisdomServer

    with VisdomServer() as server:
        port = server.port
        monkeypatch.setenv("COURSE_VISDOM_PORT", str(port))
        up = {c.name: c for c in doctor.run_checks()}["visdom server"]
    down = {c.name: c for c in doctor.run_checks()}["visdom server"]
    assert up.ok and up.detail == f"answering on 127.0.0.1:{port}"
    assert not down.ok and down.detail.startswith(f"not running on 127.0.0.1:{port}")


COURSE = [sys.executable, "-m", "course_lib.tools.cli"]


@pytest.mark.parametrize("args", [["doctor", "--port", "70000"], ["doctor", "--port", "abc"],
                                  ["doctor", "--port", "0"], ["nope"], [], ["solution"],
                                  ["visdom", "--port", "-5"], ["progress", "--timeout", "x"]])
def test_a_usage_error_is_one_line_and_exit_2(args):
    proc = subprocess.run([*COURSE, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("course")


@pytest.mark.parametrize("module", ["cli", "doctor", "launcher", "progress", "tensorboard_server",
                                    "visdom_assets", "visdom_server"])
def test_python_dash_m_of_each_tool_works(module):
    proc = subprocess.run([sys.executable, "-m", f"course_lib.tools.{module}", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "usage:" in proc.stdout, proc.stdout + proc.stderr


def test_a_missing_manifest_is_a_failure(tmp_path, monkeypatch):
    (tmp_path / "x.txt").write_text("x")  # a data folder without its manifest
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert doctor.report(out=out) == 1
    assert "[FAIL] data manifest: data/MANIFEST.sha256 of the installed copy at" in out.getvalue()
    assert "is missing" in out.getvalue() and "the course is ready" not in out.getvalue()


def test_doctor_checks_the_checkout_it_runs_in(tmp_path):
    clone = tmp_path / "clone"  # another checkout: its own course_lib/ and data/, one file corrupt
    (clone / "course_lib").mkdir(parents=True)
    (clone / "data").mkdir()
    (clone / "data" / "a.txt").write_text("a")
    data.write_manifest(clone / "data")
    (clone / "data" / "a.txt").write_text("changed")
    proc = subprocess.run([*COURSE, "doctor"], cwd=clone / "course_lib", capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1
    assert "[FAIL] data/a.txt: corrupt" in proc.stdout
    assert f"in the checkout at {clone}" in proc.stdout


def test_python_dash_m_doctor_reports():
    proc = subprocess.run([sys.executable, "-m", "course_lib.tools.doctor"], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0 and "the course is ready" in proc.stdout, proc.stdout + proc.stderr
    assert "files verified, in this checkout" in proc.stdout


def test_doctor_names_the_device_course_device_chose(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    out = io.StringIO()
    assert doctor.report(out=out) == 0, out.getvalue()
    assert "best device: cpu (chosen by COURSE_DEVICE)" in out.getvalue()


def test_doctor_fails_on_a_course_device_that_is_absent(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    out = io.StringIO()
    assert doctor.report(out=out) == 1
    line = next(x for x in out.getvalue().splitlines() if "best device" in x)
    assert line.startswith("[FAIL]") and "COURSE_DEVICE='tpu'" in line and "Unset it" in line


def test_a_runtime_without_visdom_gets_a_report_not_an_error(monkeypatch):
    """A hosted runtime (Colab) has no Visdom: lesson 00's report says so instead of raising."""
    from course_lib.tools import visdom_assets

    def not_installed():
        raise visdom_assets.VisdomAssetsError("visdom is not installed in this environment")

    monkeypatch.setattr(visdom_assets, "_package_dir", not_installed)
    checks = {c.name: c for c in doctor.run_checks()}
    assert not checks["visdom assets"].ok and "visdom is not installed" in checks["visdom assets"].detail


def test_the_python_check_names_what_requires_python_allows():
    import tomllib

    from packaging.specifiers import SpecifierSet

    allowed = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    assert [f"3.{m}" for m in range(8, 16) if f"3.{m}.0" in allowed] == list(doctor.TESTED_PYTHONS)
    checks = {c.name: c for c in doctor.run_checks()}
    assert checks["python"].ok and "tested on Python 3.11, 3.12, 3.13" in checks["python"].detail
