"""Checks for lesson 07 (pretrained models)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import torch
from torch import nn

from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.solutions import lesson07 as solutions


def _crop(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    crop = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    crop[0, 0] = (255, 127, 0)  # a known pixel: red 255, green 127, blue 0
    return crop


def _as_input(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).unsqueeze(0)


def _check_to_input(fn: Callable[[np.ndarray], torch.Tensor]) -> str:
    for seed in (7, 8):  # two different crops: a fixed answer cannot match both
        crop = _crop(seed)
        x = fn(crop.copy())
        require(isinstance(x, torch.Tensor), "to_input(crop)", "a torch.Tensor", type(x).__name__,
                "finish with torch.from_numpy(...).")
        shape = tuple(x.shape)
        require(shape != (3, 224, 224), "to_input(crop).shape", (1, 3, 224, 224), shape,
                "the network takes a batch: add a batch dimension with unsqueeze(0).")
        require(shape != (1, 224, 224, 3), "to_input(crop).shape", (1, 3, 224, 224), shape,
                "PyTorch wants channels first: move them with .transpose(2, 0, 1) before the batch "
                "dimension is added.")
        require(shape == (1, 3, 224, 224), "to_input(crop).shape", (1, 3, 224, 224), shape,
                "channels first, then a batch dimension of one.")
        require(x.dtype == torch.float32, "to_input(crop).dtype", "torch.float32", x.dtype,
                "the network's weights are float32: convert with .astype(np.float32) before scaling.")
        got = x.detach().numpy()
        scaled = (crop.astype(np.float32) - 127) / 128
        near = {  # a known mistake -> what it produces
            "dividing by 255 gives [0, 1]; this network wants (x - 127) / 128, about [-1, 1].":
                _as_input((crop.astype(np.float32) / 255).transpose(2, 0, 1)),
            "the channels are reversed: the crop is RGB already, don't swap to BGR.":
                _as_input(scaled[..., ::-1].transpose(2, 0, 1)),
            "reshape scrambles the pixels: the numbers are right but out of place. transpose(2, 0, 1) "
            "moves the channel axis and keeps each pixel where it was.":
                _as_input(scaled.reshape(3, 224, 224)),
        }
        for hint, wrong in near.items():
            require(not np.allclose(got, wrong.numpy(), atol=1e-4), "to_input(crop)",
                    "[1.0, 0.0, -0.9922] at the pixel (255, 127, 0)",
                    [round(float(v), 4) for v in got[0, :, 0, 0]], hint)
        diff = float(np.abs(got - solutions.to_input(crop).numpy()).max())
        require(diff < 1e-5, "to_input(crop) on a random crop", "(x - 127) / 128 at every (channel, row, "
                "column)", f"a largest difference of {diff:.3g}",
                "scale every value as (x - 127) / 128, then transpose(2, 0, 1) and unsqueeze(0).")
    return ("to_input gives the (1, 3, 224, 224) float32 input, scaled as (x - 127) / 128 with every "
            "pixel in place, on two random crops.")


def _check_kernel(fn: Callable[[np.ndarray], np.ndarray]) -> str:
    rng = np.random.default_rng(12)
    for shape in ((4, 2, 3, 3), (6, 3, 1, 5)):  # (out, in, kh, kw): square and non-square filters
        w = rng.standard_normal(shape).astype(np.float32)
        out_ch, in_ch, kh, kw = shape
        k = np.asarray(fn(w.copy()))
        what = f"torch_to_keras_kernel(w of shape {shape})"
        require(k.shape != (kh, kw, out_ch, in_ch), what, (kh, kw, in_ch, out_ch), k.shape,
                "input channels come before output channels in Keras: the axes are (2, 3, 1, 0).")
        require(k.shape == (kh, kw, in_ch, out_ch), what, (kh, kw, in_ch, out_ch), k.shape,
                "Keras wants (kh, kw, in, out): transpose with the axes (2, 3, 1, 0).")
        require(not (kh == kw and np.array_equal(k, w.T)), what, "each 3x3 filter as it was",
                "every filter flipped along its diagonal",
                "w.T reverses all four axes and gives (kw, kh, in, out): keep kh before kw.")
        require(not np.array_equal(np.sort(k, axis=None), np.sort(w, axis=None))
                or np.array_equal(k, w.transpose(2, 3, 1, 0)), what, "each weight in its place",
                "the right numbers in the wrong places",
                "reshape keeps the order of the numbers in memory and so scrambles them: use transpose.")
        require(np.array_equal(k, w.transpose(2, 3, 1, 0)), what, "each weight moved, none changed",
                "different numbers", "move the axes only; don't change any value.")
    return ("the kernel is in Keras's (kh, kw, in, out) layout with every weight in its place, for square "
            "and non-square filters.")


def _frozen_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if not k.startswith("_fc.")}


def _check_probe(fn: Callable[[nn.Module, int], nn.Module]) -> str:
    from course_lib.pretrained import EfficientNetLite0

    for num_classes in (2, 5):
        torch.manual_seed(0)
        model = fn(EfficientNetLite0(), num_classes)
        what = f"make_probe(model, {num_classes})"
        require(isinstance(model, nn.Module), what, "the model (an nn.Module)", type(model).__name__,
                "return the model at the end.")
        fc = getattr(model, "_fc", None)
        require(isinstance(fc, nn.Linear) and fc.in_features == 1280, f"{what}._fc",
                f"a new nn.Linear(1280, {num_classes})", fc,
                "replace model._fc with nn.Linear(1280, num_classes).")
        assert isinstance(fc, nn.Linear)  # require() above raised otherwise
        require(fc.out_features == num_classes, f"{what}._fc.out_features", num_classes,
                fc.out_features, "the head needs one output per class: use num_classes.")
        trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
        require(trainable != [], "the trainable parameters", ["_fc.bias", "_fc.weight"], "none",
                "the new head is frozen too: create it AFTER freezing, so its parameters keep "
                "requires_grad = True.")
        require(trainable == ["_fc.bias", "_fc.weight"], "the trainable parameters",
                ["_fc.bias", "_fc.weight"], trainable[:4] + (["..."] if len(trainable) > 4 else []),
                "set requires_grad = False on every pretrained parameter, then create the new head.")
    # the learner's answer, the EfficientNetLite0 it was given with its new head: typed as such
    model = cast(EfficientNetLite0, model)
    bn_eval = all(not m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    g = torch.Generator().manual_seed(7)
    x = 2 * torch.randn(4, 3, 64, 64, generator=g) + 1  # statistics unlike the stored ones
    model.eval()
    with torch.no_grad():
        features_eval = model.features(x)
    before = _frozen_state(model)
    model.train()  # a training step, as any training loop takes it
    head_before = model._fc.weight.detach().clone()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    loss = nn.functional.cross_entropy(model(x), torch.tensor([0, 1, 0, 1]))
    loss.backward()
    optimizer.step()
    changed = [k for k, v in _frozen_state(model).items() if not torch.equal(v, before[k])]
    shown = changed[:2] + ([f"and {len(changed) - 2} more"] if len(changed) > 2 else [])
    require(not (changed and bn_eval), "the frozen part after model.train() and one training step",
            "unchanged", f"changed: {', '.join(shown)}",
            "model.eval() inside make_probe does not last: the training loop's model.train() switches "
            "BatchNorm back to updating its running statistics. Make the layers return to eval() "
            "before each forward pass (a forward pre-hook).")
    require(not changed, "the frozen part after model.train() and one training step", "unchanged",
            f"changed: {', '.join(shown)}",
            "requires_grad = False freezes the weights, but a BatchNorm layer in train() mode still "
            "updates its running statistics on every forward pass: keep the frozen BatchNorm layers "
            "in eval() mode.")
    require(not torch.equal(model._fc.weight, head_before), "the head after one training step",
            "changed", "unchanged", "the optimizer must be able to train the new head.")
    with torch.no_grad():
        features_train = model.features(x)
    gap = float((features_train - features_eval).abs().max())
    require(gap < 1e-5, "the frozen features in train() mode", "the same as in eval() mode",
            f"a largest difference of {gap:.3g}",
            "in train() mode BatchNorm normalises with the batch's own statistics, so the head would "
            "train on features it never sees at inference: keep the frozen BatchNorm layers in eval() "
            "mode, not just their statistics unchanged.")
    return ("only the new head trains: after model.train() and a training step every pretrained weight "
            "and BatchNorm statistic is unchanged, and the features are those of eval() mode.")


def _divides_by_255(crop: np.ndarray) -> torch.Tensor:
    return torch.from_numpy((crop.astype(np.float32) / 255.0).transpose(2, 0, 1).copy()).unsqueeze(0)


def _reshapes(crop: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(((crop.astype(np.float32) - 127) / 128).reshape(1, 3, 224, 224).copy())


def _swaps_to_bgr(crop: np.ndarray) -> torch.Tensor:
    return solutions.to_input(crop[..., ::-1].copy())


def _no_batch_dimension(crop: np.ndarray) -> torch.Tensor:
    return solutions.to_input(crop)[0]


def _channels_last(crop: np.ndarray) -> torch.Tensor:
    return torch.from_numpy((crop.astype(np.float32) - 127) / 128).unsqueeze(0)


def _float64(crop: np.ndarray) -> torch.Tensor:
    return solutions.to_input(crop).double()


def _a_fixed_crop(crop: np.ndarray) -> torch.Tensor:
    return solutions.to_input(_crop(7))  # ignores its argument: right for one crop only


register(Exercise(
    id="07.to_input",
    title="Scale and reorder a crop into the network's input",
    checker=_check_to_input,
    solution=solutions.to_input,
    wrong=(
        Wrong(_divides_by_255, "dividing by 255 gives [0, 1]"),
        Wrong(_reshapes, "reshape scrambles the pixels"),
        Wrong(_swaps_to_bgr, "the channels are reversed"),
        Wrong(_no_batch_dimension, "add a batch dimension"),
        Wrong(_channels_last, "PyTorch wants channels first"),
        Wrong(_float64, "weights are float32"),
        Wrong(_a_fixed_crop, "scale every value as (x - 127) / 128, then"),
    ),
))


def _transposes_all_axes(w: np.ndarray) -> np.ndarray:
    return w.T


def _reshapes_kernel(w: np.ndarray) -> np.ndarray:
    return w.reshape(w.shape[2], w.shape[3], w.shape[1], w.shape[0])


def _out_before_in(w: np.ndarray) -> np.ndarray:
    return w.transpose(2, 3, 0, 1)


def _moves_one_axis(w: np.ndarray) -> np.ndarray:
    return np.moveaxis(w, 0, -1)


def _rescales_kernel(w: np.ndarray) -> np.ndarray:
    return w.transpose(2, 3, 1, 0) / np.abs(w).max()


register(Exercise(
    id="07.torch_to_keras_kernel",
    title="Move a convolution kernel from PyTorch's layout to Keras's",
    checker=_check_kernel,
    solution=solutions.torch_to_keras_kernel,
    wrong=(
        Wrong(_transposes_all_axes, "w.T reverses all four axes"),
        Wrong(_reshapes_kernel, "reshape keeps the order of the numbers"),
        Wrong(_out_before_in, "input channels come before output channels"),
        Wrong(_moves_one_axis, "transpose with the axes (2, 3, 1, 0)"),
        Wrong(_rescales_kernel, "don't change any value"),
    ),
))


def _probe_not_frozen(model: nn.Module, num_classes: int) -> nn.Module:
    """A new head, but the whole network still trains."""
    model._fc = nn.Linear(1280, num_classes)
    return model


def _probe_head_frozen(model: nn.Module, num_classes: int) -> nn.Module:
    """The new head is created first, then frozen with everything else."""
    model._fc = nn.Linear(1280, num_classes)
    for p in model.parameters():
        p.requires_grad = False
    return model


def _probe_two_classes(model: nn.Module, num_classes: int) -> nn.Module:
    """Right for the lesson's two classes only."""
    return solutions.make_probe(model, 2)


def _probe_requires_grad_only(model: nn.Module, num_classes: int) -> nn.Module:
    """Frozen by requires_grad alone: BatchNorm's running statistics still update in train()."""
    for p in model.parameters():
        p.requires_grad = False
    model._fc = nn.Linear(1280, num_classes)
    return model


def _probe_eval_once(model: nn.Module, num_classes: int) -> nn.Module:
    """Calls model.eval() once, which the training loop's model.train() undoes."""
    _probe_requires_grad_only(model, num_classes)
    return model.eval()


def _probe_momentum_zero(model: nn.Module, num_classes: int) -> nn.Module:
    """Stops the statistics from moving, but train() mode still normalises with batch statistics."""
    _probe_requires_grad_only(model, num_classes)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.track_running_stats = False
    return model


register(Exercise(
    id="07.make_probe",
    title="Freeze a pretrained network and give it a new head",
    checker=_check_probe,
    solution=solutions.make_probe,
    wrong=(
        Wrong(_probe_not_frozen, "set requires_grad = False on every pretrained parameter"),
        Wrong(_probe_head_frozen, "the new head is frozen too"),
        Wrong(_probe_two_classes, "use num_classes"),
        Wrong(_probe_requires_grad_only, "still updates its running statistics"),
        Wrong(_probe_eval_once, "model.eval() inside make_probe does not last"),
        Wrong(_probe_momentum_zero, "normalises with the batch's own statistics"),
    ),
))
