"""Checks for lesson 07 (pretrained models)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson07 as solutions


def _crop() -> np.ndarray:
    rng = np.random.default_rng(7)
    crop = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    crop[0, 0] = (255, 127, 0)  # a known pixel: red 255, green 127, blue 0
    return crop


def _check_to_input(fn: Callable[[np.ndarray], torch.Tensor]) -> str:
    crop = _crop()
    x = fn(crop.copy())
    require(isinstance(x, torch.Tensor), "to_input(crop)", "a torch.Tensor", type(x).__name__,
            "finish with torch.from_numpy(...).")
    require(tuple(x.shape) == (1, 3, 224, 224), "to_input(crop).shape", (1, 3, 224, 224),
            tuple(x.shape), "move the channels first with .transpose(2, 0, 1) (not reshape), "
            "then add a batch dimension with unsqueeze(0).")
    require(x.dtype == torch.float32, "to_input(crop).dtype", "torch.float32", x.dtype,
            "convert with .astype(np.float32) before scaling.")
    pixel = [round(float(v), 4) for v in x[0, :, 0, 0]]
    require(not np.allclose(pixel, [1.0, 0.498, 0.0], atol=1e-3), "the pixel (255, 127, 0)",
            [1.0, 0.0, -0.9922], pixel, "dividing by 255 gives [0, 1]; this network wants "
            "(x - 127) / 128, about [-1, 1].")
    require(not np.allclose(pixel, [-0.9922, 0.0, 1.0], atol=1e-3), "the pixel (255, 127, 0)",
            [1.0, 0.0, -0.9922], pixel, "the channels are reversed: the crop is RGB already, "
            "don't swap to BGR.")
    require(np.allclose(pixel, [1.0, 0.0, -127 / 128], atol=1e-4), "the pixel (255, 127, 0)",
            [1.0, 0.0, -0.9922], pixel, "scale every value as (x - 127) / 128.")
    ref = solutions.to_input(crop)
    diff = float((x - ref).abs().max())
    require(diff < 1e-5, "the whole tensor", "every pixel at (channel, row, column)",
            f"a largest difference of {diff:.3g}", "transpose(2, 0, 1) keeps each pixel in its "
            "place; reshape scrambles them.")
    return "to_input gives the (1, 3, 224, 224) float32 input, scaled as (x - 127) / 128."


def _check_kernel(fn: Callable[[np.ndarray], np.ndarray]) -> str:
    w = np.arange(4 * 2 * 3 * 3, dtype=np.float32).reshape(4, 2, 3, 3)
    k = np.asarray(fn(w.copy()))
    require(k.shape == (3, 3, 2, 4), "the kernel's shape", (3, 3, 2, 4), k.shape,
            "Keras wants (kh, kw, in, out): transpose with the axes (2, 3, 1, 0).")
    require(k[0, 1, 1, 3] == w[3, 1, 0, 1], "keras_kernel[0, 1, 1, 3]",
            float(w[3, 1, 0, 1]), float(k[0, 1, 1, 3]),
            "keep kh before kw: w.T gives (kw, kh, in, out), which flips every 3x3 filter "
            "along its diagonal; reshape scrambles the numbers.")
    require(np.array_equal(k, w.transpose(2, 3, 1, 0)), "the whole kernel",
            "each weight moved, none changed", "a different array",
            "use transpose, not reshape.")
    return "the kernel is in Keras's (kh, kw, in, out) layout, every weight in its place."


def _check_probe(fn: Callable[[nn.Module, int], nn.Module]) -> str:
    from course_lib.pretrained import EfficientNetLite0

    torch.manual_seed(0)
    model = fn(EfficientNetLite0(), 2)
    require(isinstance(model, nn.Module), "make_probe(model, 2)", "the model (an nn.Module)",
            type(model).__name__, "return the model at the end.")
    fc = getattr(model, "_fc", None)
    require(isinstance(fc, nn.Linear) and fc.out_features == 2, "model._fc",
            "a new nn.Linear(1280, 2)", fc, "replace model._fc with nn.Linear(1280, num_classes).")
    trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    require(trainable == ["_fc.bias", "_fc.weight"], "the trainable parameters",
            ["_fc.bias", "_fc.weight"], trainable[:4] + (["..."] if len(trainable) > 4 else []),
            "set requires_grad = False on every pretrained parameter FIRST, then create the "
            "new head, whose parameters are trainable by default.")
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 3, 64, 64))
    require(tuple(out.shape) == (2, 2), "the model's output for 2 images", (2, 2),
            tuple(out.shape), "the new head decides the number of outputs.")
    return "only the new 1280 -> 2 head trains; the 3.4 million pretrained weights below it stay frozen."


register(Exercise(
    id="07.to_input",
    title="Scale and reorder a crop into the network's input",
    checker=_check_to_input,
    solution=solutions.to_input,
    wrong=(
        lambda: (lambda crop: torch.from_numpy(
            (crop.astype(np.float32) / 255.0).transpose(2, 0, 1).copy()).unsqueeze(0)),
        lambda: (lambda crop: torch.from_numpy(
            ((crop.astype(np.float32) - 127) / 128).reshape(1, 3, 224, 224).copy())),
        lambda: (lambda crop: solutions.to_input(crop[..., ::-1].copy())),
    ),
))

register(Exercise(
    id="07.torch_to_keras_kernel",
    title="Move a convolution kernel from PyTorch's layout to Keras's",
    checker=_check_kernel,
    solution=solutions.torch_to_keras_kernel,
    wrong=(
        lambda: (lambda w: w.T),
        lambda: (lambda w: w.reshape(w.shape[2], w.shape[3], w.shape[1], w.shape[0])),
    ),
))

register(Exercise(
    id="07.make_probe",
    title="Freeze a pretrained network and give it a new head",
    checker=_check_probe,
    solution=solutions.make_probe,
    wrong=(
        lambda: _probe_not_frozen,
        lambda: _probe_head_frozen,
    ),
))


def _probe_not_frozen(model: nn.Module, num_classes: int) -> nn.Module:
    """A known-wrong answer: a new head, but the whole network still trains."""
    model._fc = nn.Linear(1280, num_classes)
    return model


def _probe_head_frozen(model: nn.Module, num_classes: int) -> nn.Module:
    """A known-wrong answer: the new head is created first, then frozen with everything else."""
    model._fc = nn.Linear(1280, num_classes)
    for p in model.parameters():
        p.requires_grad = False
    return model
