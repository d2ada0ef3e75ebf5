"""The pretrained EfficientNet-Lite0 weights, converted into a Keras 3 model (channels-last).

PyTorch stores images as (N, C, H, W) and a convolution kernel as (out, in, kh, kw); Keras
stores images as (N, H, W, C) and a kernel as (kh, kw, in, out). Converting a network is
mostly transposing each tensor into the other framework's layout. Keras's ``padding="same"``
is TensorFlow's, so the strided convolutions pad exactly as course_lib.pretrained does.
Importing this module imports TensorFlow (quietly, through course_lib.frameworks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from course_lib.errors import CourseInputError, expect, expect_bool, expect_tensor
from course_lib.frameworks import import_tensorflow
from course_lib.pretrained import (
    BN_EPS,
    EMBEDDING_DIM,
    IMAGE_SIZE,
    NUM_CLASSES,
    STAGES,
    EfficientNetLite0,
    load_state_dict,
)

import_tensorflow()  # silence TensorFlow's log before Keras imports it
import keras  # noqa: E402


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def conv_kernel_to_keras(weight: torch.Tensor, depthwise: bool = False) -> np.ndarray:
    """A torch conv kernel (out, in, kh, kw) as Keras's (kh, kw, in, out); depthwise: (kh, kw, C, 1)."""
    expect_tensor(weight, "weight", ndim=4, what="a torch.Tensor (out_channels, in_channels, kh, kw)")
    expect_bool(depthwise, "depthwise")
    if depthwise:
        expect(weight.shape[1] == 1, "weight", "a depthwise kernel of shape (C, 1, kh, kw)", weight)
        return _np(weight).transpose(2, 3, 0, 1)
    return _np(weight).transpose(2, 3, 1, 0)


class _Builder:
    """Builds the functional graph layer by layer and records which torch tensors fill it."""

    def __init__(self, sd: Mapping[str, torch.Tensor]) -> None:
        self.sd = sd
        self.assignments: list[tuple[Any, list[np.ndarray]]] = []

    def conv(self, x: Any, prefix: str, filters: int, kernel: int, stride: int = 1,
             depthwise: bool = False) -> Any:
        name = prefix.replace(".", "_")
        if depthwise:
            layer = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same",
                                                 use_bias=False, name=name)
        else:
            layer = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same",
                                        use_bias=False, name=name)
        y = layer(x)
        self.assignments.append(
            (layer, [conv_kernel_to_keras(self.sd[f"{prefix}.weight"], depthwise)]))
        return y

    def bn(self, x: Any, prefix: str, relu6: bool) -> Any:
        layer = keras.layers.BatchNormalization(epsilon=BN_EPS, momentum=0.99,
                                                name=prefix.replace(".", "_"))
        y = layer(x)
        self.assignments.append((layer, [_np(self.sd[f"{prefix}.{k}"]) for k in
                                         ("weight", "bias", "running_mean", "running_var")]))
        return keras.layers.ReLU(max_value=6.0)(y) if relu6 else y


def efficientnet_lite0_keras(state_dict: Mapping[str, torch.Tensor] | None = None) -> Any:
    """A keras.Model (input (N, 224, 224, 3), output 1000 logits) holding the PyTorch weights."""
    sd = load_state_dict() if state_dict is None else state_dict
    expect(isinstance(sd, Mapping), "state_dict", "None or a mapping of names to tensors", sd)
    if "_fc.weight" not in sd or len(sd) != 296:
        raise CourseInputError(
            f"state_dict: expected EfficientNet-Lite0's 296 tensors (with '_fc.weight'), got "
            f"{len(sd)} entries.")
    _expect_state_dict(sd)
    b = _Builder(sd)
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = b.bn(b.conv(inputs, "_conv_stem", 32, 3, 2), "_bn0", relu6=True)
    i = 0
    for repeats, kernel, stride, expansion, in_ch, out_ch in STAGES:
        for r in range(repeats):
            cin, s, p = (in_ch if r == 0 else out_ch), (stride if r == 0 else 1), f"_blocks.{i}"
            h = x
            if expansion != 1:
                h = b.bn(b.conv(h, f"{p}._expand_conv", cin * expansion, 1), f"{p}._bn0", True)
            h = b.bn(b.conv(h, f"{p}._depthwise_conv", 0, kernel, s, depthwise=True),
                     f"{p}._bn1", True)
            h = b.bn(b.conv(h, f"{p}._project_conv", out_ch, 1), f"{p}._bn2", relu6=False)
            x = keras.layers.Add()([h, x]) if s == 1 and cin == out_ch else h
            i += 1
    x = b.bn(b.conv(x, "_conv_head", EMBEDDING_DIM, 1), "_bn1", relu6=True)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    fc = keras.layers.Dense(NUM_CLASSES, name="fc")
    outputs = fc(x)
    b.assignments.append((fc, [_np(sd["_fc.weight"]).T, _np(sd["_fc.bias"])]))
    model = keras.Model(inputs, outputs, name="efficientnet_lite0")
    for layer, weights in b.assignments:
        layer.set_weights(weights)
    return model


def _expect_state_dict(sd: Mapping[str, Any]) -> None:
    """Refuse a state_dict whose names, types or shapes are not EfficientNet-Lite0's (1000 classes)."""
    want = {k: tuple(v.shape) for k, v in EfficientNetLite0().state_dict().items()}
    missing = sorted(set(want) - set(sd))
    if missing:
        raise CourseInputError(f"state_dict: expected EfficientNet-Lite0's tensor names; {len(missing)} are "
                               f"missing (first: {missing[0]!r}).")
    not_tensors = [k for k in want if not isinstance(sd[k], torch.Tensor)]
    if not_tensors:
        k = not_tensors[0]
        raise CourseInputError(f"state_dict: expected torch.Tensor values; {len(not_tensors)} are not "
                               f"(first: {k!r} is {type(sd[k]).__name__}).")
    wrong = [k for k in want if tuple(sd[k].shape) != want[k]]
    if wrong:
        k = wrong[0]
        raise CourseInputError(f"state_dict: expected EfficientNet-Lite0's shapes (1000 classes); "
                               f"{len(wrong)} have the wrong shape (first: {k!r} is {tuple(sd[k].shape)}, "
                               f"expected {want[k]}).")


def to_channels_last(x: torch.Tensor) -> np.ndarray:
    """A torch image batch (N, 3, H, W) as the NumPy (N, H, W, 3) array Keras expects."""
    expect_tensor(x, "x", what="a torch.Tensor of shape (N, 3, H, W)")
    expect(x.ndim == 4 and x.shape[1] == 3, "x", "a torch.Tensor of shape (N, 3, H, W), channels first "
           "(one already channels-last needs no conversion)", x)
    return _np(x).transpose(0, 2, 3, 1).copy()
