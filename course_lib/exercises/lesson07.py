"""Checks for lesson 07 (pretrained models).

to_input and torch_to_keras_kernel are tables for the engine in core; make_probe needs a training
step, so it keeps a hand-written grader on one Mistake list. That grader judges the learner's
probe against an independent truth, the frozen original network (its weights, its pretrained
BatchNorm statistics and its eval-mode features), never the probe against itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from course_lib.exercises.core import (
    STATE_HINTS,
    Case,
    Exercise,
    Mistake,
    Probes,
    Returns,
    Table,
    exercise,
    probed_call,
    register,
    require,
)
from course_lib.solutions import lesson07 as solutions

if TYPE_CHECKING:
    from course_lib.pretrained import EfficientNetLite0

# -- 07.to_input: a table of 224 x 224 uint8 crops, judged against (x - 127) / 128 channels first


def _input_cases(rng: np.random.Generator) -> list[Case]:
    """Random crops with a known pixel, and one of the extremes 0 and 255 only."""
    crops = []
    for _ in range(2):
        crop = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
        crop[0, 0] = (255, 127, 0)  # a known pixel: red 255, green 127, blue 0
        crops.append(("a random crop", crop))
    crops.append(("a crop of 0s and 255s only",
                  (rng.integers(0, 2, size=(224, 224, 3)) * 255).astype(np.uint8)))
    return [Case(f"to_input(crop_rgb) for {name}", (crop,)) for name, crop in crops]


def _from(x: np.ndarray) -> torch.Tensor:
    """A float32 (H, W, 3) array as the network's (1, 3, H, W) input."""
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)).unsqueeze(0)


_BATCH = "the network takes a batch: add a batch dimension with unsqueeze(0)."
_FLOAT32 = "the network's weights are float32: convert with .astype(np.float32) before scaling."

exercise("07.to_input", "Scale and reorder a crop into the network's input", solutions.to_input, Table(
    cases=_input_cases,
    returns=Returns("tensor", shape=lambda c: (1, 3, *c.args[0].shape[:2]), dtype="float32",
                    atol=1e-5, type_hint="finish with torch.from_numpy(...).",
                    shape_hint="channels first, then a batch dimension of one.", dtype_hint=_FLOAT32),
    mistakes=(
        Mistake(lambda crop: _from(crop.astype(np.float32) / 255),
                "dividing by 255 gives [0, 1]; this network wants (x - 127) / 128, about [-1, 1]."),
        Mistake(lambda crop: _from((crop.astype(np.float32) - 127.5) / 127.5),
                "(x - 127.5) / 127.5 is close, but this network was trained with (x - 127) / 128: "
                "use exactly that, or every input is slightly off."),
        Mistake(lambda crop: _from((crop.astype(np.float32) / 255 - np.array([0.485, 0.456, 0.406]))
                                   / np.array([0.229, 0.224, 0.225])),
                "ImageNet's mean and standard deviation belong to other networks' preprocessing; this "
                "one wants (x - 127) / 128."),
        Mistake(lambda crop: _from((crop[..., ::-1].astype(np.float32) - 127) / 128),
                "the channels are reversed: the crop is RGB already, don't swap to BGR."),
        Mistake(lambda crop: torch.from_numpy(((crop.astype(np.float32) - 127) / 128).reshape(1, 3, 224, 224)
                                              .copy()),
                "reshape scrambles the pixels: the numbers are right but out of place. transpose(2, 0, 1) "
                "moves the channel axis and keeps each pixel where it was."),
        Mistake(lambda crop: solutions.to_input(crop)[0], _BATCH),
        Mistake(lambda crop: torch.from_numpy((crop.astype(np.float32) - 127) / 128).unsqueeze(0),
                "PyTorch wants channels first: move them with .transpose(2, 0, 1) before the batch "
                "dimension is added."),
        Mistake(lambda crop: solutions.to_input(crop).double(), _FLOAT32),
        Mistake(lambda crop: solutions.to_input(np.zeros((224, 224, 3), dtype=np.uint8)),
                "your result is the same for every crop: compute it from the argument crop_rgb, not "
                "from a crop of the notebook."),
    ),
    fallback="scale every value as (x - 127) / 128, then transpose(2, 0, 1) and unsqueeze(0).",
    success=("to_input gives the (1, 3, 224, 224) float32 input, scaled as (x - 127) / 128 with every "
             "pixel in place, on three crops (two random, one of 0s and 255s only), and leaves the crop "
             "as it was."),
))


# -- 07.torch_to_keras_kernel: a table of kernels, judged against w.transpose(2, 3, 1, 0)


def _kernel_cases(rng: np.random.Generator) -> list[Case]:
    """(out, in, kh, kw): non-square and square filters, one channel in or out, in == out, a big one."""
    shapes = ((6, 3, 1, 5), (4, 2, 3, 3), (1, 3, 3, 3), (8, 1, 5, 5), (3, 3, 3, 3), (64, 32, 3, 3))
    return [Case(f"torch_to_keras_kernel(w of shape {s})", (rng.standard_normal(s).astype(np.float32),))
            for s in shapes]


_AXES = "Keras wants (kh, kw, in, out): transpose with the axes (2, 3, 1, 0)."
_NUMPY = "return a NumPy array, as Keras's set_weights takes: w.transpose(2, 3, 1, 0) is one."

exercise("07.torch_to_keras_kernel", "Move a convolution kernel from PyTorch's layout to Keras's",
         solutions.torch_to_keras_kernel, Table(
    cases=_kernel_cases,
    returns=Returns("array", shape=lambda c: tuple(c.args[0].shape[i] for i in (2, 3, 1, 0)),
                    shape_hint=_AXES, type_hint=_NUMPY),
    mistakes=(
        Mistake(lambda w: w.T, "w.T reverses all four axes and gives (kw, kh, in, out): keep kh before kw."),
        Mistake(lambda w: w.reshape(w.shape[2], w.shape[3], w.shape[1], w.shape[0]),
                "reshape keeps the order of the numbers in memory and so scrambles them: use transpose."),
        Mistake(lambda w: w.transpose(2, 3, 0, 1), "input channels come before output channels "
                "in Keras: the axes are (2, 3, 1, 0)."),
        Mistake(lambda w: np.moveaxis(w, 0, -1), _AXES),
        Mistake(lambda w: w.transpose(2, 3, 1, 0) / np.abs(w).max(),
                "you changed the values: move the axes only; don't change any value."),
        Mistake(lambda w: torch.from_numpy(w).permute(2, 3, 1, 0), _NUMPY),
    ),
    fallback="move the axes with w.transpose(2, 3, 1, 0); don't change any value.",
    success=("the kernel is in Keras's (kh, kw, in, out) layout with every weight in its place, "
             "for six kernels (square and non-square filters, one input or output channel, "
             "in == out, 64 x 32 x 3 x 3), and w is left as it was."),
))


# -- 07.make_probe: a behaviour grader judged against the frozen original network


def _pretrained_like() -> EfficientNetLite0:
    """An EfficientNetLite0 with seeded weights and BatchNorm statistics unlike the defaults 0 and 1,
    as a pretrained network's are (so an answer that resets or drops them shows)."""
    from course_lib.pretrained import EfficientNetLite0

    with torch.random.fork_rng():
        torch.manual_seed(11)
        model = EfficientNetLite0()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    assert m.running_mean is not None and m.running_var is not None
                    m.running_mean.normal_(0.0, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
    return model  # in train() mode, as a freshly built or loaded network is


def _frozen_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if not k.startswith("_fc.")}


def _changed(model: nn.Module, truth: dict[str, torch.Tensor]) -> list[str]:
    """The frozen weights and statistics that differ from (or are missing in) the original's."""
    now = _frozen_state(model)
    return [k for k, v in truth.items()
            if k not in now or now[k].shape != v.shape or not torch.equal(now[k], v)]


def _listed(changed: list[str]) -> str:
    return ", ".join(changed[:2] + ([f"and {len(changed) - 2} more"] if len(changed) > 2 else []))


_RETURN = "return the model at the end."
_HEAD = "replace model._fc with nn.Linear(1280, num_classes)."
_CLASSES = "the head needs one output per class: use num_classes."
_HEAD_FROZEN = ("the new head is frozen too: create it AFTER freezing, so its parameters keep "
                "requires_grad = True.")
_NOT_FROZEN = "set requires_grad = False on every pretrained parameter, then create the new head."
_PRETRAINED = ("the frozen part is no longer the pretrained network: its weights or BatchNorm's running "
               "statistics differ from the original's (reset, removed or built anew). Freezing keeps them "
               "exactly as they were; only _fc is new.")
_EVAL_ONCE = ("model.eval() inside make_probe does not last: the training loop's model.train() switches "
              "BatchNorm back to updating its running statistics. Make the layers return to eval() "
              "before each forward pass (a forward pre-hook).")
_STATS_MOVE = ("requires_grad = False freezes the weights, but a BatchNorm layer in train() mode still "
               "updates its running statistics on every forward pass: keep the frozen BatchNorm layers "
               "in eval() mode.")
_HEAD_TRAINS = "the optimizer must be able to train the new head."
_BATCH_STATS = ("in train() mode BatchNorm normalises with the batch's own statistics, so the head would "
                "train on features it never sees at inference: keep the frozen BatchNorm layers in eval() "
                "mode, not just their statistics unchanged.")
# make_probe changes the model it is given and returns it, by design: the inputs and not-an-input
# probes are off; rng is off because creating the new head draws its weights from torch's generator
_PROBE_PROBES = Probes(inputs_unchanged=False, not_an_input=False, rng=False)


def _grade_probe(fn: Callable[[nn.Module, int], nn.Module]) -> str:
    original = _pretrained_like()  # the truth: the network as it was given, never trained here
    truth = _frozen_state(original)
    g = torch.Generator().manual_seed(7)
    x = 2 * torch.randn(4, 3, 64, 64, generator=g) + 1  # statistics unlike the stored ones
    with torch.no_grad():
        truth_features = original.eval().features(x)
    original.train()  # given to make_probe in train() mode, as it comes
    model: Any = None
    for num_classes in (2, 5):
        what = f"make_probe(model, {num_classes})"
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = probed_call(lambda m, k=num_classes: fn(m, k), Case(what, (original,)), ["model"],
                                _PROBE_PROBES)  # on a copy of the original
        require(isinstance(model, nn.Module), what, "the model (an nn.Module)", type(model).__name__, _RETURN)
        fc = getattr(model, "_fc", None)
        require(isinstance(fc, nn.Linear) and fc.in_features == 1280, f"{what}._fc",
                f"a new nn.Linear(1280, {num_classes})", fc, _HEAD)
        assert isinstance(fc, nn.Linear)  # require() above raised otherwise
        require(fc.out_features == num_classes, f"{what}._fc.out_features", num_classes,
                fc.out_features, _CLASSES)
        trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
        require(trainable != [], "the trainable parameters", ["_fc.bias", "_fc.weight"], "none", _HEAD_FROZEN)
        require(trainable == ["_fc.bias", "_fc.weight"], "the trainable parameters",
                ["_fc.bias", "_fc.weight"], trainable[:4] + (["..."] if len(trainable) > 4 else []),
                _NOT_FROZEN)
        changed = _changed(model, truth)
        require(not changed, f"the frozen part returned by {what}", "the original's weights and statistics",
                f"changed: {_listed(changed)}", _PRETRAINED)
    bn_eval = all(not m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    model.train()  # a training step, as any training loop takes it
    head_before = model._fc.weight.detach().clone()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    loss = nn.functional.cross_entropy(model(x), torch.tensor([0, 1, 0, 1]))
    loss.backward()
    optimizer.step()
    changed = _changed(model, truth)
    require(not changed, "the frozen part after model.train() and one training step", "the original's",
            f"changed: {_listed(changed)}", _EVAL_ONCE if bn_eval else _STATS_MOVE)
    require(not torch.equal(model._fc.weight, head_before), "the head after one training step",
            "changed", "unchanged", _HEAD_TRAINS)
    with torch.no_grad():
        features = model.features(x)
    gap = float((features - truth_features).abs().max())
    require(gap <= 1e-5 * (1 + float(truth_features.abs().max())), "the frozen features in train() mode",
            "those of the original network in eval() mode", f"a largest difference of {gap:.3g}",
            _BATCH_STATS)
    return ("only the new head trains: the frozen part keeps the original's weights and BatchNorm "
            "statistics, after model.train() and a training step too, and its features in train() "
            "mode equal the original network's in eval() mode.")


def _frozen_by_requires_grad(model: nn.Module, num_classes: int) -> nn.Module:
    """Frozen by requires_grad alone: BatchNorm's running statistics still update in train()."""
    for p in model.parameters():
        p.requires_grad = False
    model._fc = nn.Linear(1280, num_classes)
    return model


def _probe_then(change: Callable[[nn.BatchNorm2d], Any], base: Callable[[nn.Module, int], nn.Module]
                = _frozen_by_requires_grad) -> Callable[[nn.Module, int], nn.Module]:
    """``base``'s probe, with ``change`` applied to every BatchNorm layer first."""

    def make_probe(model: nn.Module, num_classes: int) -> nn.Module:
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                change(m)
        return base(model, num_classes)

    return make_probe


def _drop_statistics(bn: nn.BatchNorm2d) -> None:
    bn.track_running_stats, bn.running_mean, bn.running_var = False, None, None


def _grad_mode_off(model: nn.Module, num_classes: int) -> nn.Module:
    torch.set_grad_enabled(False)  # meant as "freeze", but it switches autograd off for the session
    return solutions.make_probe(model, num_classes)


def _new_network(model: nn.Module, num_classes: int) -> nn.Module:
    from course_lib.pretrained import EfficientNetLite0

    return solutions.make_probe(EfficientNetLite0(), num_classes)  # not the pretrained one it was given


register(Exercise(
    "07.make_probe", "Freeze a pretrained network and give it a new head", _grade_probe, solutions.make_probe,
    wrong=(
        Mistake(lambda m, k: _frozen_by_requires_grad(m, k).requires_grad_(True), _NOT_FROZEN),  # none frozen
        Mistake(lambda m, k: _frozen_by_requires_grad(m, k).requires_grad_(False), _HEAD_FROZEN),  # head too
        Mistake(lambda model, num_classes: solutions.make_probe(model, 2), _CLASSES),
        Mistake(_frozen_by_requires_grad, _STATS_MOVE),
        Mistake(lambda model, num_classes: _frozen_by_requires_grad(model, num_classes).eval(), _EVAL_ONCE),
        Mistake(_probe_then(lambda bn: setattr(bn, "track_running_stats", False)), _BATCH_STATS),
        Mistake(_probe_then(lambda bn: bn.reset_running_stats(), base=solutions.make_probe), _PRETRAINED),
        Mistake(_probe_then(_drop_statistics, base=solutions.make_probe), _PRETRAINED),
        Mistake(_new_network, _PRETRAINED),
        Mistake(_grad_mode_off, STATE_HINTS["grad"][1]),
        Mistake(lambda model, num_classes: (solutions.make_probe(model, num_classes), None)[1], _RETURN),
    )))
