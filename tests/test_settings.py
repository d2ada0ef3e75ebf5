"""course_lib.settings: one variable per port and address, read the same way everywhere."""

import pytest

from course_lib import settings
from course_lib.errors import CourseInputError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("COURSE_LAB_PORT", "COURSE_VISDOM_PORT", "COURSE_TENSORBOARD_PORT", "COURSE_VISDOM_BASE_URL",
                "COURSE_VISDOM_PUBLIC_URL", "COURSE_TENSORBOARD_PUBLIC_URL", "COURSE_RUNS_DIR"):
        monkeypatch.delenv(var, raising=False)


def test_defaults_without_any_variable():
    assert [settings.server_port(s) for s in ("lab", "visdom", "tensorboard")] == [8888, 8097, 6006]
    assert settings.visdom_env_url() == "http://127.0.0.1:8097/env/course"
    assert settings.tensorboard_public_url() == "http://127.0.0.1:6006/"
    assert settings.runs_dir() == settings.REPO_ROOT / "runs"


def test_the_port_variables_move_every_address(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_VISDOM_PORT", "8312")
    monkeypatch.setenv("COURSE_TENSORBOARD_PORT", " 6100 ")
    monkeypatch.setenv("COURSE_RUNS_DIR", str(tmp_path))
    assert settings.visdom_port() == 8312
    assert settings.visdom_env_url() == "http://127.0.0.1:8312/env/course"
    assert settings.visdom_env_url("other", port=9000) == "http://127.0.0.1:9000/env/other"
    assert settings.tensorboard_public_url() == "http://127.0.0.1:6100/"
    assert settings.runs_dir() == tmp_path


def test_a_base_url_and_public_addresses_as_binder_sets_them(monkeypatch):
    monkeypatch.setenv("COURSE_VISDOM_BASE_URL", "/user/ann/visdom/")
    assert settings.visdom_base_url() == "/user/ann/visdom"
    assert settings.visdom_env_url() == "http://127.0.0.1:8097/user/ann/visdom/env/course"
    monkeypatch.setenv("COURSE_VISDOM_PUBLIC_URL", "/user/ann/visdom")
    assert settings.visdom_env_url() == "/user/ann/visdom/env/course"
    # An explicit port is a server of the learner's own, not the one behind the proxy.
    assert settings.visdom_env_url(port=9000) == "http://127.0.0.1:9000/user/ann/visdom/env/course"


@pytest.mark.parametrize("raw", ["abc", "0", "70000", "80.5", "-1"])
def test_a_bad_port_variable_is_named_with_what_it_holds(monkeypatch, raw):
    monkeypatch.setenv("COURSE_VISDOM_PORT", raw)
    with pytest.raises(CourseInputError, match=f"COURSE_VISDOM_PORT: expected a port number between "
                                               f"1 and 65535, got '{raw}'"):
        settings.visdom_port()


def test_bad_arguments():
    for bad in (True, 0, 65536, "8097", 8097.0, None):
        with pytest.raises(CourseInputError, match="port: expected an int between 1 and 65535"):
            settings.expect_port(bad)
    with pytest.raises(CourseInputError, match="server: expected one of"):
        settings.server_port("jupyter")
    for env in ("", "a/b", " course", 3):
        with pytest.raises(CourseInputError, match="env: expected a Visdom environment name"):
            settings.visdom_env_url(env)


def test_a_bad_visdom_base_url_is_named(monkeypatch):
    monkeypatch.setenv("COURSE_VISDOM_BASE_URL", "visdom?x")
    with pytest.raises(CourseInputError, match="COURSE_VISDOM_BASE_URL: expected '' or a path"):
        settings.visdom_base_url()
    monkeypatch.setenv("COURSE_VISDOM_BASE_URL", "/user/ann/visdom/")
    assert settings.visdom_base_url() == "/user/ann/visdom"


@pytest.mark.parametrize("variable, read", [("COURSE_REPOSITORY_URL", settings.repository_url),
                                           ("COURSE_JUPYTERHUB_URL", settings.jupyterhub_url)])
def test_the_launch_addresses_must_be_web_addresses(monkeypatch, variable, read):
    monkeypatch.setenv(variable, "https://example.org/ann/course/")
    assert read() == "https://example.org/ann/course"
    for bad in ("github.com/ann/course", "https://example.org/a b", "file:///srv/course"):
        monkeypatch.setenv(variable, bad)
        with pytest.raises(CourseInputError, match=f"{variable}: expected a web address"):
            read()
