"""Reference solutions for lesson 01 (tensors)."""

import numpy as np
import torch


def to_model_input(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a).to(torch.float32)


def standardize_columns(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=0, keepdim=True)  # shape (1, d): broadcasts down the rows
    std = x.std(dim=0, keepdim=True)
    return (x - mean) / std


def shares_memory() -> dict[str, bool]:
    return {
        "torch.from_numpy(a)": True,
        "torch.tensor(a)": False,
        "t.view(6)": True,
        "t.T": True,
        "t.T.contiguous()": False,
        "t.clone()": False,
    }
