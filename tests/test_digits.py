"""course_lib.digits: the scikit-learn digits as a stratified train/validation split."""

import numpy as np
import pytest
import torch

from course_lib.digits import N_CLASSES, N_FEATURES, load_digits_split
from course_lib.errors import CourseInputError


def test_torch_split_shapes_dtypes_and_range():
    split = load_digits_split()
    assert split.framework == "torch"
    assert split.x_train.shape == (1437, N_FEATURES) and split.x_val.shape == (360, N_FEATURES)
    assert split.y_train.shape == (1437,) and split.y_val.shape == (360,)
    assert split.x_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    assert 0.0 <= float(split.x_train.min()) and float(split.x_train.max()) == 1.0
    assert split.n_features == 64 and split.n_classes == 10
    assert "1437 training and 360 validation" in str(split)


def test_split_is_stratified_disjoint_and_reproducible():
    a = load_digits_split(framework="numpy")
    b = load_digits_split(framework="numpy")
    assert isinstance(a.x_train, np.ndarray) and a.x_train.dtype == np.float32
    np.testing.assert_array_equal(a.x_val, b.x_val)
    counts = np.bincount(a.y_val, minlength=N_CLASSES)
    assert counts.min() >= 35 and counts.max() <= 37  # about 36 of each digit
    train_rows = {row.tobytes() for row in a.x_train}
    assert sum(row.tobytes() in train_rows for row in a.x_val) < 5  # (a few digits repeat exactly)
    other = load_digits_split(seed=1, framework="numpy")
    assert not np.array_equal(a.y_val, other.y_val)


def test_val_fraction_changes_the_sizes():
    split = load_digits_split(val_fraction=0.5)
    assert len(split.y_train) + len(split.y_val) == 1797
    assert abs(len(split.y_val) - 898) <= 1


@pytest.mark.parametrize("kwargs, match", [
    ({"val_fraction": 1.5}, "val_fraction: expected a float between 0 and 1"),
    ({"val_fraction": 20}, "val_fraction: expected a float"),
    ({"val_fraction": True}, "val_fraction: expected a float"),
    ({"val_fraction": 0.001}, "one per digit"),  # used to fail inside scikit-learn
    ({"seed": -1}, "seed: expected an int from 0"),
    ({"seed": True}, "seed: expected an int"),
    ({"seed": 2**40}, "seed: expected an int from 0 to 4294967295"),
    ({"framework": "jax"}, "framework: expected one of 'numpy', 'torch', got str 'jax'"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(CourseInputError, match=match):
        load_digits_split(**kwargs)
