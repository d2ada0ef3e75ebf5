"""Reference solutions for lesson 07 (pretrained models)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def to_input(crop_rgb: np.ndarray) -> torch.Tensor:
    x = (crop_rgb.astype(np.float32) - 127.0) / 128.0  # (224, 224, 3), about [-1, 1]
    x = x.transpose(2, 0, 1)  # channels first: (3, 224, 224)
    return torch.from_numpy(np.ascontiguousarray(x)).unsqueeze(0)  # a batch of one


def torch_to_keras_kernel(w: np.ndarray) -> np.ndarray:
    return w.transpose(2, 3, 1, 0)  # (out, in, kh, kw) -> (kh, kw, in, out)


def make_probe(model: nn.Module, num_classes: int) -> nn.Module:
    def keep_eval(layer: nn.Module, inputs: tuple) -> None:  # runs before each forward of the layer
        layer.eval()  # so BatchNorm uses, and keeps, its pretrained statistics even in train() mode

    for p in model.parameters():
        p.requires_grad = False  # freeze the pretrained weights...
    for layer in model.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.register_forward_pre_hook(keep_eval)  # ...and BatchNorm's running statistics
    model._fc = nn.Linear(1280, num_classes)  # then a new, trainable head (1280 features in)
    return model
