"""scikit-learn's handwritten digits (8x8 images, shipped offline) as a train/validation split."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from course_lib.errors import expect

N_FEATURES = 64  # 8 x 8 pixels
N_CLASSES = 10  # the digits 0 to 9


@dataclass(frozen=True)
class DigitsSplit:
    """Training and validation inputs (pixels scaled to [0, 1]) and labels (ints 0-9)."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    framework: str  # "numpy" or "torch"

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

    Inputs are float32 in [0, 1] with shape (n, 64); labels are int64 with shape (n,).
    """
    expect(isinstance(val_fraction, float) and 0.0 < val_fraction < 1.0, "val_fraction",
           "a float between 0 and 1 (exclusive)", val_fraction)
    expect(isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0, "seed",
           "an int >= 0", seed)
    expect(framework in ("numpy", "torch"), "framework", "'numpy' or 'torch'", framework)
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
