"""One call that seeds every random number generator the course uses."""

from __future__ import annotations

import os
import random
import sys

import numpy as np

from course_lib.errors import expect_int


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy, torch and (if already imported) TensorFlow."""
    seed = expect_int(seed, "seed", low=0, high=2**32 - 1)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import torch

    torch.manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
