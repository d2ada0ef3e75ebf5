"""Bad input for course_lib.errors and course_lib.settings."""

from dataclasses import dataclass
from pathlib import Path

from bad_inputs import Case


@dataclass
class _Pair:
    a: int
    b: float

CASES = [
    Case("errors.expect_int", lambda m: m.expect_int(True, "n"), "expected an int"),
    Case("errors.expect_int", lambda m: m.expect_int(2.0, "n"), "expected an int"),
    Case("errors.expect_int", lambda m: m.expect_int(0, "n", low=1), "of at least 1"),
    Case("errors.expect_number", lambda m: m.expect_number(float("nan"), "x"), "finite number"),
    Case("errors.expect_number", lambda m: m.expect_number(False, "x"), "finite number"),
    Case("errors.expect_number", lambda m: m.expect_number(0.0, "x", low=0, low_open=True), "above 0"),
    Case("errors.expect_port", lambda m: m.expect_port(70000), "between 1 and 65535"),
    Case("errors.expect_port", lambda m: m.expect_port(True), "between 1 and 65535"),
    Case("errors.expect_choice", lambda m: m.expect_choice("sgd", "kind", ("adam", "momentum")), "one of"),
    Case("errors.expect_callable", lambda m: m.expect_callable(3, "fn"), "callable"),
    Case("errors.expect_path", lambda m: m.expect_path(3, "path"), "a str or pathlib.Path"),
    Case("errors.expect_path", lambda m: m.expect_path(Path("/no/such/file"), "path", exists="file"),
         "an existing file"),
    Case("errors.expect_array", lambda m: m.expect_array([1, 2], "a"), "a NumPy array"),
    Case("errors.expect_array", lambda m: m.expect_array(m.np.zeros((2, 2)), "a", ndim=3), "3 dimension"),
    Case("errors.expect_array", lambda m: m.expect_array(m.np.zeros((2, 2)), "a", dtype="uint8"),
         "dtype uint8"),
    Case("errors.expect_array", lambda m: m.expect_array(m.np.full(2, m.np.nan), "a", finite=True), "finite"),
    Case("errors.expect_array", lambda m: m.expect_array(m.np.full(2, 300.0), "a", high=255), "at most 255"),
    Case("errors.expect_tensor", lambda m: m.expect_tensor(m.np.zeros(2), "t"), "a torch.Tensor"),
    Case("errors.expect_fields", lambda m: m.expect_fields(_Pair(2, "x")), "b: expected a finite number"),
    Case("errors.expect", lambda m: m.expect(False, "x", "something", 1), "expected something"),
    Case("errors.wrapped", lambda m: _raise_inside(m), "from the library below"),
    Case("settings.url_path", lambda m: m.url_path("visdom"), "starting with '/'"),
    Case("settings.expect_env_name", lambda m: m.expect_env_name("a/b"), "environment name"),
    Case("settings.server_port", lambda m: m.server_port("jupyter"), "expected one of"),
]


def _raise_inside(m):
    with m.wrapped("resize(an image)"):
        raise RuntimeError("deep C++ trouble")


COVERED_ELSEWHERE = {
    "errors.CourseInputError": "the exception itself",
    "errors.describe": "formats any value; tested in test_errors_seed_frameworks.py",
    "errors.is_int": "a predicate: returns False, never raises",
    "settings.visdom_port": "no arguments; bad $COURSE_VISDOM_PORT in test_settings.py",
    "settings.visdom_base_url": "no arguments; tested in test_settings.py",
    "settings.visdom_public_url": "no arguments; tested in test_settings.py",
    "settings.visdom_env_url": "bad env/port in test_settings.py",
    "settings.tensorboard_public_url": "no arguments; tested in test_settings.py",
    "settings.runs_dir": "no arguments; tested in test_settings.py",
    "settings.repository_url": "no arguments; a bad $COURSE_REPOSITORY_URL in test_settings.py",
    "settings.jupyterhub_url": "no arguments; a bad $COURSE_JUPYTERHUB_URL in test_settings.py",
}

CASES += [
    Case("errors.expect_bool", lambda m: m.expect_bool(1, "flag"), "True or False"),
    Case("errors.expect_bool", lambda m: m.expect_bool("yes", "flag"), "True or False"),
]
