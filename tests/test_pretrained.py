"""Tests of course_lib.pretrained: architecture, safe loading, preprocessing, names, top-k."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from course_lib import pretrained as P
from course_lib.errors import CourseInputError

CAT_CLASSES = {"tabby, tabby cat", "tiger cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def model() -> P.EfficientNetLite0:
    return P.load_efficientnet_lite0("cpu")


def test_same_padding_matches_tensorflow() -> None:
    assert P.same_padding(224, 3, 2) == (0, 1)
    assert P.same_padding(224, 5, 2) == (1, 2)
    assert P.same_padding(112, 3, 1) == (1, 1)
    assert P.same_padding(7, 1, 1) == (0, 0)
    with pytest.raises(CourseInputError, match="stride: expected an int of at least 1"):
        P.same_padding(224, 3, 0)  # used to raise ZeroDivisionError
    with pytest.raises(CourseInputError, match="size: expected an int"):
        P.same_padding(True, 3, 2)


def test_conv2d_same_output_size() -> None:
    conv = P.Conv2dSame(3, 8, 3, stride=2)
    assert conv(torch.zeros(1, 3, 225, 224)).shape == (1, 8, 113, 112)
    assert conv.bias is None
    assert conv(torch.zeros(3, 225, 224)).shape == (8, 113, 112)  # unbatched, as nn.Conv2d allows
    with pytest.raises(CourseInputError, match="x: expected 3 channels"):
        conv(torch.zeros(1, 4, 8, 8))
    with pytest.raises(CourseInputError, match="divisible by groups"):
        P.Conv2dSame(3, 8, 3, groups=2)
    with pytest.raises(CourseInputError, match="kernel_size: expected an int"):
        P.Conv2dSame(3, 8, True)


def test_mbconv_block_skip_only_when_shapes_match() -> None:
    assert P.MBConvBlock(16, 16, 3, 1, 6).use_skip
    assert not P.MBConvBlock(16, 24, 3, 2, 6).use_skip
    assert P.MBConvBlock(32, 16, 3, 1, 1).has_expand is False
    with pytest.raises(CourseInputError, match="expansion: expected an int of at least 1"):
        P.MBConvBlock(16, 16, 3, 1, 0)


def test_efficientnet_refuses_bad_arguments_and_inputs() -> None:
    with pytest.raises(CourseInputError, match="num_classes: expected an int"):
        P.EfficientNetLite0(num_classes=True)  # used to build a 1-class head
    with pytest.raises(CourseInputError, match="dropout"):
        P.EfficientNetLite0(dropout=1.5)
    net = P.EfficientNetLite0()
    with pytest.raises(CourseInputError, match=r"\(N, 3, H, W\)"):
        net(torch.zeros(3, 32, 32))
    with pytest.raises(CourseInputError, match=r"\(N, 3, H, W\)"):
        net(torch.zeros(1, 32, 32, 3))
    with pytest.raises(CourseInputError, match="dtype torch.float32"):
        net.features(torch.zeros(1, 3, 32, 32, dtype=torch.float64))


def test_architecture_matches_the_shipped_state_dict() -> None:
    net = P.EfficientNetLite0()
    sd = P.load_state_dict()
    assert len(sd) == 296
    assert set(net.state_dict()) == set(sd)
    assert all(net.state_dict()[k].shape == v.shape for k, v in sd.items())
    assert len(net._blocks) == 16
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(m.eps == 1e-3 for m in bns)


def test_weights_path_is_found_through_the_installed_package() -> None:
    p = P.weights_path()
    assert p.is_file() and p.name == "efficientnet-lite0-57934424.pth"


def test_file_sha256_and_bad_path(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    assert P.file_sha256(f) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    with pytest.raises(CourseInputError, match="existing file"):
        P.file_sha256(tmp_path / "missing.pth")
    with pytest.raises(CourseInputError, match="path"):
        P.file_sha256(3)  # type: ignore[arg-type]


def test_verify_weights_accepts_the_real_file() -> None:
    assert P.verify_weights() == P.weights_path()


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "tampered.pth"
    shutil.copyfile(P.weights_path(), bad)
    with bad.open("r+b") as f:  # flip one byte in the middle of the file
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(P.WeightsChecksumError, match="NOT loaded"):
        P.load_efficientnet_lite0("cpu", weights=bad)
    with pytest.raises(P.WeightsChecksumError):
        P.verify_weights(bad)


def test_load_efficientnet_lite0(model: P.EfficientNetLite0) -> None:
    assert not model.training
    assert next(model.parameters()).device.type == "cpu"
    with pytest.raises(CourseInputError, match="device"):
        P.load_efficientnet_lite0("tpu")


def test_resize_and_crop_shapes() -> None:
    crop = P.resize_and_crop(np.zeros((300, 451, 3), np.uint8))
    assert crop.shape == (224, 224, 3) and crop.dtype == np.uint8
    assert P.resize_and_crop(np.zeros((100, 80, 3), np.uint8)).shape == (224, 224, 3)
    with pytest.raises(CourseInputError, match="image_rgb"):
        P.resize_and_crop(np.zeros((10, 10), np.uint8))


def test_preprocess_scales_and_orders_channels() -> None:
    img = np.zeros((256, 256, 3), np.uint8)
    img[..., 0] = 255  # pure red
    x = P.preprocess(img)
    assert x.shape == (1, 3, 224, 224) and x.dtype == torch.float32
    assert torch.allclose(x[0, 0], torch.tensor(1.0))
    assert torch.allclose(x[0, 1], torch.tensor(-127 / 128))
    with pytest.raises(CourseInputError, match="uint8"):
        P.preprocess(img.astype(np.float32))
    with pytest.raises(CourseInputError, match="image_rgb"):
        P.preprocess(torch.zeros(224, 224, 3))  # type: ignore[arg-type]


def test_imagenet_classes() -> None:
    names = P.imagenet_classes()
    assert len(names) == 1000
    assert names[0].startswith("tench") and names[967] == "espresso"
    names.append("x")  # a copy: the cached list is not changed
    assert len(P.imagenet_classes()) == 1000


def test_top_k() -> None:
    logits = torch.zeros(1, 1000)
    logits[0, 967] = 10.0
    out = P.top_k(logits, k=3)
    assert out[0][0] == "espresso" and out[0][1] > 0.9
    assert len(out) == 3 and out[1][1] <= out[0][1]
    assert abs(sum(p for _, p in P.top_k(logits, k=1000)) - 1.0) < 1e-4
    with pytest.raises(CourseInputError, match="logits"):
        P.top_k(torch.zeros(2, 1000))
    with pytest.raises(CourseInputError, match="k"):
        P.top_k(logits, k=0)
    with pytest.raises(CourseInputError, match="logits: expected finite values"):
        P.top_k(torch.full((1000,), float("nan")))


def test_top_k_takes_probabilities_as_they_are() -> None:
    # softmax probabilities used to be softmaxed again: every class came out near 0.001
    logits = torch.zeros(1, 1000)
    logits[0, 967] = 10.0
    from_logits = P.top_k(logits, k=3)
    from_probs = P.top_k(torch.softmax(logits, dim=1), k=3)
    assert [n for n, _ in from_probs] == [n for n, _ in from_logits]
    assert [p for _, p in from_probs] == pytest.approx([p for _, p in from_logits], abs=1e-6)
    assert from_probs[0][1] > 0.9
    # log-probabilities are logits too: the softmax gives the same answer
    assert P.top_k(torch.log_softmax(logits, dim=1), k=1)[0][1] == pytest.approx(from_logits[0][1])


def test_top1_on_two_shipped_photos(model: P.EfficientNetLite0) -> None:
    with torch.inference_mode():
        cat = P.top_k(model(P.preprocess(skimage.data.chelsea())), k=1)[0][0]
        coffee = P.top_k(model(P.preprocess(skimage.data.coffee())), k=1)[0][0]
    assert cat in CAT_CLASSES
    assert coffee == "espresso"


def test_features_are_the_1280_d_embedding(model: P.EfficientNetLite0) -> None:
    x = P.preprocess(skimage.data.coffee())
    with torch.inference_mode():
        f = model.features(x)
        logits = model(x)
        from_features = model._fc(f)
    assert f.shape == (1, 1280)
    assert torch.allclose(from_features, logits, atol=1e-5)


# -- the Keras 3 conversion ----------------------------------------------------------------------
def test_conv_kernel_to_keras_layouts() -> None:
    from course_lib.pretrained_keras import conv_kernel_to_keras

    w = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5)
    k = conv_kernel_to_keras(w)
    assert k.shape == (5, 5, 3, 2) and k[1, 4, 2, 0] == w[0, 2, 1, 4]
    dw = torch.randn(8, 1, 3, 3)
    assert conv_kernel_to_keras(dw, depthwise=True).shape == (3, 3, 8, 1)
    with pytest.raises(CourseInputError, match="depthwise"):
        conv_kernel_to_keras(w, depthwise=True)
    with pytest.raises(CourseInputError, match="weight"):
        conv_kernel_to_keras(torch.zeros(3, 3))
    with pytest.raises(CourseInputError, match="depthwise: expected True or False"):
        conv_kernel_to_keras(dw, depthwise="yes")  # type: ignore[arg-type]


def test_to_channels_last() -> None:
    from course_lib.pretrained_keras import to_channels_last

    x = torch.randn(2, 3, 4, 5)
    y = to_channels_last(x)
    assert y.shape == (2, 4, 5, 3) and y[1, 2, 3, 0] == x[1, 0, 2, 3]
    with pytest.raises(CourseInputError, match="x"):
        to_channels_last(torch.zeros(2, 4, 5, 3))


def test_keras_model_agrees_with_pytorch(model: P.EfficientNetLite0) -> None:
    from course_lib.pretrained_keras import efficientnet_lite0_keras, to_channels_last

    keras_model = efficientnet_lite0_keras()
    x = torch.cat([P.preprocess(skimage.data.chelsea()), P.preprocess(skimage.data.coffee())])
    with torch.inference_mode():
        torch_logits = model(x).numpy()
    keras_logits = np.asarray(keras_model(to_channels_last(x), training=False))
    assert keras_logits.shape == (2, 1000)
    assert np.abs(torch_logits - keras_logits).max() < 1e-3
    assert (torch_logits.argmax(1) == keras_logits.argmax(1)).all()
    assert P.imagenet_classes()[int(keras_logits[1].argmax())] == "espresso"
    with pytest.raises(CourseInputError, match="state_dict"):
        efficientnet_lite0_keras({"_fc.weight": torch.zeros(1000, 1280)})


def test_keras_conversion_refuses_a_state_dict_of_another_shape() -> None:
    from course_lib.pretrained_keras import efficientnet_lite0_keras

    ten_classes = P.EfficientNetLite0(num_classes=10).state_dict()  # a fine-tuned probe's head
    with pytest.raises(CourseInputError, match=r"2 have the wrong shape \(first: '_fc.weight'"):
        efficientnet_lite0_keras(ten_classes)
    with pytest.raises(CourseInputError, match="torch.Tensor values"):
        efficientnet_lite0_keras({k: v.numpy() for k, v in P.EfficientNetLite0().state_dict().items()})


def test_load_state_dict_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(CourseInputError, match="existing file"):
        P.load_state_dict(tmp_path / "missing.pth")
    with pytest.raises(CourseInputError, match="path"):
        P.verify_weights(3)  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="64 hex digits"):
        P.verify_weights(expected="abc")  # used to blame the file: "The file was changed"
    assert P.verify_weights(expected=P.WEIGHTS_SHA256.upper()) == P.weights_path()
    assert P.verify_weights(str(P.weights_path())) == P.weights_path()


# -- fine-tuning -------------------------------------------------------------------------------
def test_stage_tables_match_the_architecture() -> None:
    assert P.STAGE_FIRST_BLOCKS == (0, 1, 3, 5, 8, 11, 15)
    assert P.NUM_BLOCKS == 16 and len(P.BLOCK_IN_CHANNELS) == 17
    net = P.EfficientNetLite0()
    for i, block in enumerate(net._blocks):
        first_conv = block._expand_conv if block.has_expand else block._depthwise_conv
        assert first_conv.in_channels == P.BLOCK_IN_CHANNELS[i]
    assert net._conv_head.in_channels == P.BLOCK_IN_CHANNELS[-1]
    assert [P.first_block_of_stage(s) for s in (1, 6, 7)] == [0, 11, 15]
    with pytest.raises(CourseInputError, match="stage: expected an int"):
        P.first_block_of_stage(0)
    with pytest.raises(CourseInputError, match="stage: expected an int"):
        P.first_block_of_stage(8)


def test_prefix_then_features_from_equals_features(model: P.EfficientNetLite0) -> None:
    x = torch.cat([P.preprocess(im, size=64) for im in (skimage.data.coffee(), skimage.data.chelsea())])
    with torch.no_grad():
        whole = model.features(x)
        for start in (0, 11, 15, 16):
            h = model.prefix(x, start)
            assert h.shape[1] == P.BLOCK_IN_CHANNELS[start]
            assert torch.equal(model.features_from(h, start), whole)
        assert model.prefix(x, 11).shape == (2, 112, 4, 4)  # 64 pixels / 16
    with pytest.raises(CourseInputError, match="stop: expected an int"):
        model.prefix(x, 17)
    with pytest.raises(CourseInputError, match=r"h: expected a batch of shape \(N, 112, H, W\), as prefix"):
        model.features_from(torch.zeros(2, 80, 4, 4), 11)
    with pytest.raises(CourseInputError, match="dtype torch.float32"):
        model.features_from(torch.zeros(2, 112, 4, 4, dtype=torch.float64), 11)
    with pytest.raises(CourseInputError, match="start: expected an int"):
        model.features_from(torch.zeros(2, 112, 4, 4), -1)


def test_preprocess_size_shrinks_the_crop() -> None:
    img = skimage.data.coffee()
    small = P.preprocess(img, size=32)
    assert small.shape == (1, 3, 32, 32) and small.dtype == torch.float32
    assert torch.equal(P.preprocess(img, size=224), P.preprocess(img))
    # the mean colour survives the INTER_AREA shrink (to within JPEG-free rounding)
    assert abs(float(small.mean()) - float(P.preprocess(img).mean())) < 0.01
    for bad in (0, 225, 32.0, True):
        with pytest.raises(CourseInputError, match="size: expected an int"):
            P.preprocess(img, size=bad)  # type: ignore[arg-type]


def test_fine_tune_param_groups_freeze_below_the_stage() -> None:
    net = P.EfficientNetLite0(num_classes=6)
    groups = P.fine_tune_param_groups(net, 6, body_lr=1e-4, head_lr=1e-3)
    assert [g["name"] for g in groups] == ["body", "head"]
    assert [g["lr"] for g in groups] == [1e-4, 1e-3]
    trainable = {id(p) for p in net.parameters() if p.requires_grad}
    in_groups = [id(p) for g in groups for p in g["params"]]  # type: ignore[attr-defined]
    assert trainable == set(in_groups) and len(in_groups) == len(set(in_groups))
    assert all(not p.requires_grad for b in net._blocks[:11] for p in b.parameters())
    assert not net._conv_stem.weight.requires_grad and not net._bn0.weight.requires_grad
    assert all(p.requires_grad for b in net._blocks[11:] for p in b.parameters())
    assert net._conv_head.weight.requires_grad and net._bn1.bias.requires_grad
    assert {id(p) for p in groups[1]["params"]} == {id(net._fc.weight), id(net._fc.bias)}  # type: ignore[attr-defined]
    optimizer = torch.optim.Adam(groups)
    assert [g["lr"] for g in optimizer.param_groups] == [1e-4, 1e-3]
    # a later call with a higher stage freezes what the earlier call had unfrozen
    P.fine_tune_param_groups(net, 7, body_lr=1e-4, head_lr=1e-3)
    assert not any(p.requires_grad for b in net._blocks[:15] for p in b.parameters())
    assert all(p.requires_grad for p in net._blocks[15].parameters())
    with pytest.raises(CourseInputError, match="body_lr: expected a finite number above 0"):
        P.fine_tune_param_groups(net, 6, body_lr=0, head_lr=1e-3)
    with pytest.raises(CourseInputError, match="head_lr"):
        P.fine_tune_param_groups(net, 6, body_lr=1e-4, head_lr=float("nan"))
    with pytest.raises(CourseInputError, match="first_stage: expected an int from 1 to 7"):
        P.fine_tune_param_groups(net, 9, body_lr=1e-4, head_lr=1e-3)
    with pytest.raises(CourseInputError, match="model: expected a P.EfficientNetLite0"):
        P.fine_tune_param_groups(torch.nn.Linear(2, 2), 6, body_lr=1e-4, head_lr=1e-3)  # type: ignore[arg-type]


def test_freeze_batchnorm_keeps_statistics_through_train_mode() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU())
    bn = net[1]
    x = torch.randn(8, 3, 6, 6) * 3 + 2
    net.train()
    net(x)
    assert int(bn.num_batches_tracked) == 1  # unfrozen: a train-mode pass updates the statistics
    assert P.freeze_batchnorm(net) == 1
    assert P.freeze_batchnorm(net) == 1  # a second call adds no second hook
    assert len(bn._forward_pre_hooks) == 1
    mean = bn.running_mean.clone()
    net.train()  # what every training loop does first
    out = net(x)
    assert not bn.training and net.training
    assert int(bn.num_batches_tracked) == 1 and torch.equal(bn.running_mean, mean)
    out.sum().backward()
    assert bn.weight.grad is not None  # the scale and shift still train
    with pytest.raises(CourseInputError, match="model: expected a torch.nn.Module"):
        P.freeze_batchnorm("net")  # type: ignore[arg-type]


def test_freeze_batchnorm_counts_every_layer_of_the_network() -> None:
    net = P.EfficientNetLite0()
    assert P.freeze_batchnorm(net) == 49  # stem, 16 blocks (2 or 3 each), head
    net.train()
    with torch.no_grad():
        net(torch.zeros(1, 3, 32, 32))  # the hooks act as each layer runs
    assert not any(m.training for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert net._dropout.training  # dropout still follows train()


def test_upper_layers_train_only_the_unfrozen_part(model: P.EfficientNetLite0) -> None:
    import copy

    from course_lib.training import fit

    net = copy.deepcopy(model)
    torch.manual_seed(0)
    net._fc = torch.nn.Linear(1280, 2)
    groups = P.fine_tune_param_groups(net, 7, body_lr=1e-4, head_lr=1e-3)
    P.freeze_batchnorm(net)
    start = P.first_block_of_stage(7)
    x = torch.cat([P.preprocess(im, size=32) for im in (skimage.data.coffee(), skimage.data.chelsea())])
    with torch.no_grad():
        h = net.prefix(x, start)
    upper = P.UpperLayers(net, start)
    upper.eval()
    with torch.no_grad():
        assert torch.allclose(upper(h), net(x), atol=1e-5)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    fit(upper, (h, torch.tensor([0, 1])), torch.optim.Adam(groups), 2, batch_size=2, progress=False)
    after = net.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith(("_blocks.15.", "_conv_head", "_bn1.", "_fc.")) for k in changed)
    assert not any("running_" in k or "num_batches" in k for k in changed)  # statistics frozen
    with pytest.raises(CourseInputError, match="start: expected an int"):
        P.UpperLayers(net, 17)
    with pytest.raises(CourseInputError, match="model: expected a P.EfficientNetLite0"):
        P.UpperLayers(torch.nn.Linear(2, 2), 0)  # type: ignore[arg-type]
