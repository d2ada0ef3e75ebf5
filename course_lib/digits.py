"""scikit-learn's handwritten digits (8x8 images, shipped offline) as a train/validation split."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from course_lib.errors import expect, expect_choice, expect_fields, expect_int

N_FEATURES = 64  # 8 x 8 pixels
N_CLASSES = 10  # the digits 0 to 9
N_IMAGES = 1797


@dataclass(frozen=True)
class DigitsSplit:
    """Training and validation inputs (pixels scaled to [0, 1]) and labels (ints 0-9)."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    framework: str  # "numpy" or "torch"

    def __post_init__(self) -> None:
        expect_fields(self)

    @property
    def n_features(self) -> int:
        """Inputs per example: 64 pixels."""
        return N_FEATURES

    @property
    def n_classes(self) -> int:
        """Classes: the ten digits."""
        return N_CLASSES

    def __str__(self) -> str:
        return (f"digits ({self.framework}): {len(self.y_train)} training and {len(self.y_val)} "
                f"validation images of {N_FEATURES} pixels, {N_CLASSES} classes")


def load_digits_split(val_fraction: float = 0.2, seed: int = 0, *,
                      framework: Literal["numpy", "torch"] = "torch") -> DigitsSplit:
    """The 1,797 digits split (stratified) into training and validation sets, as arrays or tensors.

    Inputs are float32 in [0, 1] with shape (n, 64); labels are int64 with shape (n,). Each part
    must be able to hold every digit: ``val_fraction`` from about 0.006 to 0.994.
    """
    expect(isinstance(val_fraction, (float, np.floating)) and 0.0 < val_fraction < 1.0, "val_fraction",
           "a float between 0 and 1 (exclusive)", val_fraction)
    n_val = math.ceil(N_IMAGES * float(val_fraction))  # as train_test_split rounds
    expect(N_CLASSES <= n_val <= N_IMAGES - N_CLASSES, "val_fraction", f"a fraction that leaves at least "
           f"{N_CLASSES} of the {N_IMAGES} images (one per digit) in each part", val_fraction)
    expect_int(seed, "seed", low=0, high=2**32 - 1)
    expect_choice(framework, "framework", ("numpy", "torch"))
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixel values run from 0 to 16
    y = digits.target.astype(np.int64)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=val_fraction, random_state=seed, stratify=y)
    if framework == "torch":
        import torch

        x_train, x_val = torch.from_numpy(x_train), torch.from_numpy(x_val)
        y_train, y_val = torch.from_numpy(y_train), torch.from_numpy(y_val)
    return DigitsSplit(x_train, y_train, x_val, y_val, framework)
