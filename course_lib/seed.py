"""One call that seeds every random number generator the course uses."""

from __future__ import annotations

import os
import random
import sys

import numpy as np

from course_lib.errors import expect


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy, torch and (if already imported) TensorFlow."""
    expect(isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32,
           "seed", "an int between 0 and 2**32 - 1", seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import torch

    torch.manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
