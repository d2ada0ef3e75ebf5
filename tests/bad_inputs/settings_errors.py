"""Bad input for course_lib.errors and course_lib.settings."""

from dataclasses import dataclass
from pathlib import Path

from bad_inputs import Case


@dataclass
class _Pair:
    a: int
    b: float

CASES = [
    Case("errors.check_int", lambda m: m.check_int(True, "n"), "expected an int"),
    Case("errors.check_int", lambda m: m.check_int(2.0, "n"), "expected an int"),
    Case("errors.check_int", lambda m: m.check_int(0, "n", low=1), "of at least 1"),
    Case("errors.check_number", lambda m: m.check_number(float("nan"), "x"), "finite number"),
    Case("errors.check_number", lambda m: m.check_number(False, "x"), "finite number"),
    Case("errors.check_number", lambda m: m.check_number(0.0, "x", low=0, low_open=True), "above 0"),
    Case("errors.check_port", lambda m: m.check_port(70000), "between 1 and 65535"),
    Case("errors.check_port", lambda m: m.check_port(True), "between 1 and 65535"),
    Case("errors.check_choice", lambda m: m.check_choice("sgd", "kind", ("adam", "momentum")), "one of"),
    Case("errors.check_callable", lambda m: m.check_callable(3, "fn"), "callable"),
    Case("errors.check_path", lambda m: m.check_path(3, "path"), "a str or pathlib.Path"),
    Case("errors.check_path", lambda m: m.check_path(Path("/no/such/file"), "path", exists="file"),
         "an existing file"),
    Case("errors.check_array", lambda m: m.check_array([1, 2], "a"), "a NumPy array"),
    Case("errors.check_array", lambda m: m.check_array(m.np.zeros((2, 2)), "a", ndim=3), "3 dimension"),
    Case("errors.check_array", lambda m: m.check_array(m.np.zeros((2, 2)), "a", dtype="uint8"),
         "dtype uint8"),
    Case("errors.check_array", lambda m: m.check_array(m.np.full(2, m.np.nan), "a", finite=True), "finite"),
    Case("errors.check_array", lambda m: m.check_array(m.np.full(2, 300.0), "a", high=255), "at most 255"),
    Case("errors.check_tensor", lambda m: m.check_tensor(m.np.zeros(2), "t"), "a torch.Tensor"),
    Case("errors.check_fields", lambda m: m.check_fields(_Pair(2, "x")), "b: expected a finite number"),
    Case("errors.expect", lambda m: m.expect(False, "x", "something", 1), "expected something"),
    Case("errors.wrapped", lambda m: _raise_inside(m), "from the library below"),
    Case("settings.url_path", lambda m: m.url_path("visdom"), "starting with '/'"),
    Case("settings.check_env_name", lambda m: m.check_env_name("a/b"), "environment name"),
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
    Case("errors.check_bool", lambda m: m.check_bool(1, "flag"), "True or False"),
    Case("errors.check_bool", lambda m: m.check_bool("yes", "flag"), "True or False"),
]
