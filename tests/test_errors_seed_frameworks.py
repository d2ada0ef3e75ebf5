"""Unit tests of course_lib.errors, course_lib.seed and course_lib.frameworks."""

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import pinned

from course_lib.errors import CourseInputError, describe, expect
from course_lib.frameworks import import_tensorflow, versions
from course_lib.seed import seed_everything


def test_describe_names_type_shape_and_dtype():
    assert describe(np.zeros((2, 3), dtype=np.float32)) == "ndarray of shape (2, 3) and dtype float32"
    assert describe(7) == "int 7"


def test_expect_raises_with_what_was_passed():
    expect(True, "x", "anything", 1)
    with pytest.raises(CourseInputError, match=r"x: expected a list, got str 'a'"):
        expect(False, "x", "a list", "a")
    assert issubclass(CourseInputError, ValueError) and issubclass(CourseInputError, TypeError)


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    seed_everything(3)
    first = draw()
    seed_everything(3)
    assert draw() == first
    seed_everything(4)
    assert draw() != first
    assert os.environ["PYTHONHASHSEED"] == "4"


def test_seed_everything_seeds_tensorflow_too():
    tf = import_tensorflow()
    seed_everything(5)
    a = tf.random.uniform([3]).numpy()
    seed_everything(5)
    np.testing.assert_array_equal(a, tf.random.uniform([3]).numpy())


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(CourseInputError, match="seed: expected an int"):
        seed_everything(bad)


def test_import_tensorflow_is_quiet_and_works():
    tf = import_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert float(tf.reduce_sum(tf.constant([1.0, 2.0]))) == 3.0


def test_versions_reports_installed_and_missing():
    v = versions(("torch", "no-such-package-here"))
    assert v["torch"] is not None and v["torch"].startswith(pinned("torch"))
    assert v["no-such-package-here"] is None


def test_versions_finds_opencv_under_the_name_a_hosted_runtime_uses(monkeypatch):
    from importlib import metadata

    def version(dist):
        if dist == "opencv-python":
            return "5.1.0.95"
        raise metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(metadata, "version", version)
    assert versions(("cv2",)) == {"cv2": "5.1.0.95"}


def test_versions_rejects_a_bare_string():
    with pytest.raises(CourseInputError, match="packages: expected a tuple of import names"):
        versions("torch")


def test_tensorflow_comes_without_jax_and_jax_still_imports_after():
    code = ("import sys; from course_lib.frameworks import import_tensorflow; import_tensorflow(); "
            "print('jax' in sys.modules); import jax; print(jax.numpy.ones(2).sum() == 2)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                        timeout=300)
    assert proc.stdout.split() == ["False", "True"], proc.stdout + proc.stderr[-2000:]


def test_triton_is_loaded_before_tensorflow(tmp_path):
    """On 3.12/3.13 PyTorch's default wheel brings Triton; loaded after TensorFlow, the process dies."""
    fake = tmp_path / "triton"
    fake.mkdir()
    (fake / "__init__.py").write_text("import sys\nAFTER_TENSORFLOW = 'tensorflow' in sys.modules\n")
    code = ("from course_lib.frameworks import import_tensorflow, load_triton_first\n"
            "import_tensorflow()\nimport triton\nprint(triton.AFTER_TENSORFLOW, load_triton_first())")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.stdout.split() == ["False", "True"], proc.stderr[-2000:]
