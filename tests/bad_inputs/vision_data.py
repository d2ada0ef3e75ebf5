"""Bad input for the image, data and model helpers of course_lib.

vision, datasets, pretrained, pretrained_keras, onnx_tools, tensor_pictures, digits, data, seed,
devices, frameworks, codeview and autograd_tools. Files the calls need live in a temporary folder
made when this module is imported.
"""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from bad_inputs import Case

NAN, INF = float("nan"), float("inf")
TMP = Path(tempfile.mkdtemp(prefix="course_bad_inputs_"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
(TMP / "not_an_image.jpg").write_text("hello", encoding="utf-8")
(TMP / "weights.pt").write_bytes(b"x")
(TMP / "garbage.onnx").write_bytes(b"\x08\x01\x12\x00garbage")
(TMP / "binary.bin").write_bytes(bytes(range(256)))
(TMP / "empty_dir").mkdir()
(TMP / "folder" / "a").mkdir(parents=True)
cv2.imwrite(str(TMP / "folder" / "a" / "x.png"), np.zeros((8, 8, 3), np.uint8))
(TMP / "no_images" / "a").mkdir(parents=True)

RGB = np.zeros((8, 8, 3), np.uint8)
GREY = np.zeros((8, 8), np.uint8)
RGBA = np.zeros((8, 8, 4), np.uint8)
FLOAT01 = np.full((40, 30, 3), 0.5, np.float32)
EYE = np.eye(3)


def _graph():
    """A small autograd graph: (x * y + z).sum() and its leaves."""
    x, y, z = (torch.ones(2, requires_grad=True) for _ in range(3))
    return (x * y + z).sum(), x


def _tiny():
    return nn.Sequential(nn.Linear(4, 2))


def _sample(x):
    return x


def _net():
    from course_lib.pretrained import EfficientNetLite0

    return EfficientNetLite0()


def _state_dict_of_wrong_shapes():
    return {k: torch.zeros(1) for k in _net().state_dict()}


CASES = [
    # -- vision ---------------------------------------------------------------------------------
    Case("vision.bgr_to_rgb", lambda m: m.bgr_to_rgb([[1, 2, 3]]), "NumPy array"),
    Case("vision.bgr_to_rgb", lambda m: m.bgr_to_rgb(torch.zeros(4, 4, 3)), "NumPy array"),
    Case("vision.bgr_to_rgb", lambda m: m.bgr_to_rgb(GREY), "grey"),
    Case("vision.bgr_to_rgb", lambda m: m.bgr_to_rgb(RGBA), "4 channels"),
    Case("vision.rgb_to_bgr", lambda m: m.rgb_to_bgr(RGBA), "4 channels"),
    Case("vision.rgb_to_bgr", lambda m: m.rgb_to_bgr(np.zeros((2, 4, 4, 3), np.uint8)), "(H, W, 3)"),
    Case("vision.rgb_to_bgr", lambda m: m.rgb_to_bgr("image.png"), "NumPy array"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor([[1]]), "NumPy array"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(FLOAT01), "dtype uint8"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(np.zeros((4, 4, 2), np.uint8)),
         "1, 3 or 4 channels"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(np.zeros((2, 4, 4, 3), np.uint8)),
         "(H, W) or (H, W, C)"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(np.zeros((0, 4, 3), np.uint8)), "non-empty"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(RGB, mean=(0.5, 0.5, 0.5)), "both or neither"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(RGB, mean=(0.5,), std=(0.5,)),
         "a tuple of 3 numbers"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(RGB, mean="abc", std=(1, 1, 1)),
         "a tuple of 3 numbers"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(RGB, mean=(NAN, 0, 0), std=(1, 1, 1)),
         "finite number"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(RGB, mean=(True, 0, 0), std=(1, 1, 1)),
         "finite number"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(RGB, mean=(0, 0, 0), std=(1, 0, 1)),
         "above 0"),
    Case("vision.image_to_tensor", lambda m: m.image_to_tensor(RGB, mean=(123.7, 116.3, 103.5),
                                                               std=(58.4, 57.1, 57.4)), "[0, 1] scale"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(np.zeros((1, 3, 4, 4), np.float32)),
         "torch.Tensor"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.zeros(4, 4)), "(1, C, H, W)"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.zeros(2, 3, 4, 4)), "exactly one image"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.rand(6, 5, 3)), "channels-last"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.rand(4, 5, 3)), "channels-last"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.rand(1, 4, 6, 3)), "channels-last"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.full((3, 4, 4), NAN)), "finite"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.rand(3, 4, 4) * 255), "divide by 255"),
    Case("vision.tensor_to_image", lambda m: m.tensor_to_image(torch.zeros(1, 3, 4, 4, dtype=torch.uint8)),
         "floating-point"),
    Case("vision.box_iou", lambda m: m.box_iou("box", (0, 0, 1, 1)), "a box"),
    Case("vision.box_iou", lambda m: m.box_iou((0, 0, 0, 5), (0, 0, 1, 1)), "above 0"),
    Case("vision.box_iou", lambda m: m.box_iou((0, 0, True, 5), (0, 0, 1, 1)), "finite number"),
    Case("vision.box_iou", lambda m: m.box_iou((0, NAN, 5, 5), (0, 0, 1, 1)), "finite number"),
    Case("vision.box_iou", lambda m: m.box_iou((0, 0, 1, 1), [0, 0, 1]), "b: expected a box"),
    Case("vision.homography_corner_error", lambda m: m.homography_corner_error(np.eye(2), EYE, 10, 10),
         "3x3"),
    Case("vision.homography_corner_error", lambda m: m.homography_corner_error(np.full((3, 3), NAN), EYE,
                                                                               10, 10), "finite"),
    Case("vision.homography_corner_error", lambda m: m.homography_corner_error(EYE, EYE.tolist(), 10, 10),
         "NumPy array"),
    Case("vision.homography_corner_error", lambda m: m.homography_corner_error(EYE, EYE, True, 10), "an int"),
    Case("vision.homography_corner_error", lambda m: m.homography_corner_error(EYE, EYE, 10.5, 10), "an int"),
    Case("vision.homography_corner_error", lambda m: m.homography_corner_error(EYE, EYE, 10, 0),
         "at least 1"),
    Case("vision.homography_corner_error", lambda m: m.homography_corner_error(np.zeros((3, 3)), EYE, 10, 10),
         "to infinity"),
    Case("vision.disparity_error", lambda m: m.disparity_error([[1.0]], np.ones((1, 1))), "2-D NumPy array"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 4, 1)), np.ones((4, 4))),
         "2-D NumPy array"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 4), np.int16), np.ones((4, 4))),
         "divide by 16.0"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 5)), np.ones((4, 4))),
         "ground truth's shape"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 4)), np.full((4, 4), NAN)),
         "at least one finite value"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 4)), np.full((4, 4), "a")),
         "dtype"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 4)), np.ones((4, 4)), True),
         "finite number"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 4)), np.ones((4, 4)), -1.0),
         "above 0"),
    Case("vision.disparity_error", lambda m: m.disparity_error(np.ones((4, 4)), np.ones((4, 4)), INF),
         "finite number"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(3), "a path"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "clip.mp4"), ".avi"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "no" / "clip.avi"),
         "existing folder"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "c.avi", n_frames=1),
         "n_frames"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "c.avi", n_frames=True),
         "n_frames: expected an int"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(
        TMP / "c.avi", n_frames=4, size=(64, 64), empty_frames=True), "empty_frames: expected an int"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(
        TMP / "c.avi", n_frames=5, empty_frames=5), "empty_frames"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(
        TMP / "c.avi", n_frames=4, size=(64, 64), fps=True), "fps: expected a finite number"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "c.avi", fps=INF),
         "fps: expected a finite number"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "c.avi", fps=0.5),
         "fps: expected a finite number of at least 1"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "c.avi", size=[96, 64]),
         "size"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "c.avi", radius=2.5),
         "radius"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(TMP / "c.avi",
                                                                               background=GREY), "grey"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(
        TMP / "c.avi", background=RGBA), "4 channels"),
    Case("vision.write_moving_disc_video", lambda m: m.write_moving_disc_video(
        TMP / "c.avi", background=RGB.astype(np.float32)), "uint8"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGB.astype(np.float32)), "uint8"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGBA), "(H, W, 3)"),
    Case("vision.detect_faces", lambda m: m.detect_faces([[0]]), "NumPy array"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGB, scale_factor=1.0), "above 1"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGB, scale_factor=True), "finite number"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGB, scale_factor=INF), "finite number"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGB, min_size=10), "at least 24"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGB, min_size=True), "an int"),
    Case("vision.detect_faces", lambda m: m.detect_faces(RGB, min_size=100, max_size=50), "max_size"),
    # -- datasets -------------------------------------------------------------------------------
    Case("datasets.image_folder_root", lambda m: m.image_folder_root(verify="no"), "True or False"),
    Case("datasets.image_folder_root", lambda m: m.image_folder_root(data_dir=3), "a path"),
    Case("datasets.image_folder_root", lambda m: m.image_folder_root(data_dir=TMP / "nope"),
         "existing folder"),
    Case("datasets.read_rgb", lambda m: m.read_rgb(42), "a path"),
    Case("datasets.read_rgb", lambda m: m.read_rgb(""), "a path"),
    Case("datasets.read_rgb", lambda m: m.read_rgb(TMP / "missing.jpg"), "readable image"),
    Case("datasets.read_rgb", lambda m: m.read_rgb(TMP / "not_an_image.jpg"), "readable image"),
    Case("datasets.to_tensor", lambda m: m.to_tensor(GREY), "grey"),
    Case("datasets.to_tensor", lambda m: m.to_tensor(RGBA), "4 channels"),
    Case("datasets.to_tensor", lambda m: m.to_tensor(FLOAT01), "uint8"),
    Case("datasets.to_tensor", lambda m: m.to_tensor(torch.zeros(4, 5, 3)), "NumPy array"),
    Case("datasets.to_tensor", lambda m: m.to_tensor(np.zeros((0, 5, 3), np.uint8)), "non-empty"),
    Case("datasets.Resize", lambda m: m.Resize(True), "an int"),
    Case("datasets.Resize", lambda m: m.Resize(0), "at least 1"),
    Case("datasets.Resize", lambda m: m.Resize(2.5), "an int"),
    Case("datasets.Resize", lambda m: m.Resize("32"), "an int"),
    Case("datasets.Resize", lambda m: m.Resize(32)([1, 2]), "NumPy array"),
    Case("datasets.Resize", lambda m: m.Resize(32)(np.zeros((0, 5, 3), np.uint8)), "non-empty"),
    Case("datasets.Resize", lambda m: m.Resize(32)(np.zeros((5, 5, 3), np.int64)), "uint8"),
    Case("datasets.Resize", lambda m: m.Resize(32)(np.zeros((5, 5, 3), bool)), "uint8"),
    Case("datasets.Resize", lambda m: m.Resize(32)(FLOAT01), "uint8"),
    Case("datasets.Resize", lambda m: m.Resize(32)(GREY), "grey"),
    Case("datasets.Augment", lambda m: m.Augment(True), "an int"),
    Case("datasets.Augment", lambda m: m.Augment(0), "at least 1"),
    Case("datasets.Augment", lambda m: m.Augment(32, max_degrees=True), "finite number"),
    Case("datasets.Augment", lambda m: m.Augment(32, max_degrees=INF), "finite number"),
    Case("datasets.Augment", lambda m: m.Augment(32, max_degrees=-1), "max_degrees"),
    Case("datasets.Augment", lambda m: m.Augment(32, blur_sigma=NAN), "finite number"),
    Case("datasets.Augment", lambda m: m.Augment(32, noise_std=-0.1), "noise_std"),
    Case("datasets.Augment", lambda m: m.Augment(32, noise_std=INF), "finite number"),
    Case("datasets.Augment", lambda m: m.Augment(32, as_uint8=1), "True or False"),
    Case("datasets.Augment", lambda m: m.Augment(32)(FLOAT01), "uint8"),
    Case("datasets.Augment", lambda m: m.Augment(32)(GREY), "grey"),
    Case("datasets.Augment", lambda m: m.Augment(32)(RGBA), "4 channels"),
    Case("datasets.Augment", lambda m: m.Augment(32)([1, 2, 3]), "NumPy array"),
    Case("datasets.Augment", lambda m: m.Augment(32)(np.zeros((0, 4, 3), np.uint8)), "non-empty"),
    Case("datasets.ImageFolder", lambda m: m.ImageFolder(3), "a path"),
    Case("datasets.ImageFolder", lambda m: m.ImageFolder(TMP / "nope"), "one sub-folder per class"),
    Case("datasets.ImageFolder", lambda m: m.ImageFolder(TMP / "no_images"), "found none"),
    Case("datasets.ImageFolder", lambda m: m.ImageFolder(TMP / "folder", transform="resize"), "callable"),
    Case("datasets.ImageFolder", lambda m: m.ImageFolder(TMP / "folder")[True], "an int"),
    Case("datasets.ImageFolder", lambda m: m.ImageFolder(TMP / "folder")[0.0], "an int"),
    Case("datasets.ImageFolder", lambda m: m.ImageFolder(TMP / "folder")[5], "index"),
    Case("datasets.ImageStream", lambda m: m.ImageStream([]), "non-empty"),
    Case("datasets.ImageStream", lambda m: m.ImageStream("abc"), "(path, label)"),
    Case("datasets.ImageStream", lambda m: m.ImageStream([("a.jpg",)]), "(path, label)"),
    Case("datasets.ImageStream", lambda m: m.ImageStream([("a.jpg", "cat")]), "(path, label)"),
    Case("datasets.ImageStream", lambda m: m.ImageStream([(3, 0)]), "(path, label)"),
    Case("datasets.ImageStream", lambda m: m.ImageStream([("a.jpg", 0)], transform=3), "callable"),
    Case("datasets.ImageStream", lambda m: m.ImageStream([("a.jpg", 0)], shard="yes"), "True or False"),
    Case("datasets.pad_collate", lambda m: m.pad_collate([]), "non-empty"),
    Case("datasets.pad_collate", lambda m: m.pad_collate("ab"), "batch"),
    Case("datasets.pad_collate", lambda m: m.pad_collate([(torch.ones(4, 6), 0)]), "batch item"),
    Case("datasets.pad_collate",
         lambda m: m.pad_collate([(torch.ones(3, 4, 6), 0), (torch.ones(1, 4, 6), 0)]),
         "same number of channels"),
    Case("datasets.pad_collate", lambda m: m.pad_collate([(torch.ones(3, 4, 6), 1.5)]), "label"),
    Case("datasets.pad_collate", lambda m: m.pad_collate([(torch.ones(3, 4, 6), "cat")]), "label"),
    Case("datasets.pad_collate", lambda m: m.pad_collate([(torch.ones(3, 4, 6), True)]), "label"),
    Case("datasets.pad_collate", lambda m: m.pad_collate([(torch.ones(3, 4, 6, dtype=torch.uint8), 0),
                                                          (torch.full((3, 4, 6), 0.5), 1)]), "same dtype"),
    Case("datasets.single_thread_worker", lambda m: m.single_thread_worker("0"), "an int"),
    Case("datasets.single_thread_worker", lambda m: m.single_thread_worker(True), "an int"),
    Case("datasets.single_thread_worker", lambda m: m.single_thread_worker(-1), "at least 0"),
    Case("datasets.count_items", lambda m: m.count_items(3), "iterable"),
    Case("datasets.count_items", lambda m: m.count_items([5]), "batch"),
    Case("datasets.count_items", lambda m: m.count_items([torch.tensor(1.0)]), "batch"),
    Case("datasets.time_steps", lambda m: m.time_steps(3, lambda b: None), "iterable"),
    Case("datasets.time_steps", lambda m: m.time_steps([], "x"), "callable"),
    Case("datasets.time_steps", lambda m: m.time_steps([], lambda b: None, max_steps=True), "an int"),
    Case("datasets.time_steps", lambda m: m.time_steps([], lambda b: None, max_steps=0), "at least 1"),
    Case("datasets.time_steps", lambda m: m.time_steps([], lambda b: None, max_steps=2.0), "an int"),
    # -- pretrained -----------------------------------------------------------------------------
    Case("pretrained.same_padding", lambda m: m.same_padding(True, 3, 2), "an int"),
    Case("pretrained.same_padding", lambda m: m.same_padding(224.0, 3, 2), "an int"),
    Case("pretrained.same_padding", lambda m: m.same_padding(224, 0, 1), "at least 1"),
    Case("pretrained.same_padding", lambda m: m.same_padding(224, 3, 0), "at least 1"),
    Case("pretrained.Conv2dSame", lambda m: m.Conv2dSame(3, 8, True), "an int"),
    Case("pretrained.Conv2dSame", lambda m: m.Conv2dSame(3, 8, 3, stride=0), "at least 1"),
    Case("pretrained.Conv2dSame", lambda m: m.Conv2dSame(3, 8, 3, groups=2), "divisible by groups"),
    Case("pretrained.Conv2dSame", lambda m: m.Conv2dSame(3, 8, 3)(torch.zeros(1, 4, 8, 8)), "3 channels"),
    Case("pretrained.Conv2dSame", lambda m: m.Conv2dSame(3, 8, 3)(torch.zeros(8, 8)), "dimension"),
    Case("pretrained.MBConvBlock", lambda m: m.MBConvBlock(16, 16, 3, 1, 0), "at least 1"),
    Case("pretrained.MBConvBlock", lambda m: m.MBConvBlock(16, 16, True, 1, 6), "an int"),
    Case("pretrained.MBConvBlock", lambda m: m.MBConvBlock(16, 16.0, 3, 1, 6), "an int"),
    Case("pretrained.EfficientNetLite0", lambda m: m.EfficientNetLite0(num_classes=True), "an int"),
    Case("pretrained.EfficientNetLite0", lambda m: m.EfficientNetLite0(num_classes=0), "at least 1"),
    Case("pretrained.EfficientNetLite0", lambda m: m.EfficientNetLite0(dropout=1.5), "from 0 to 1"),
    Case("pretrained.EfficientNetLite0", lambda m: m.EfficientNetLite0(dropout=True), "finite number"),
    Case("pretrained.EfficientNetLite0", lambda m: _net()(np.zeros((1, 3, 32, 32), np.float32)),
         "torch.Tensor"),
    Case("pretrained.EfficientNetLite0", lambda m: _net()(torch.zeros(3, 32, 32)), "(N, 3, H, W)"),
    Case("pretrained.EfficientNetLite0", lambda m: _net()(torch.zeros(1, 32, 32, 3)), "(N, 3, H, W)"),
    Case("pretrained.EfficientNetLite0", lambda m: _net()(torch.zeros(1, 3, 32, 32, dtype=torch.float64)),
         "dtype"),
    Case("pretrained.EfficientNetLite0",
         lambda m: _net().features(torch.zeros(1, 3, 32, 32, dtype=torch.uint8)), "dtype"),
    Case("pretrained.load_state_dict", lambda m: m.load_state_dict(3), "a path"),
    Case("pretrained.load_state_dict", lambda m: m.load_state_dict(TMP / "missing.pth"), "existing file"),
    Case("pretrained.verify_weights", lambda m: m.verify_weights(3), "a path"),
    Case("pretrained.verify_weights", lambda m: m.verify_weights(TMP / "missing.pth"), "existing file"),
    Case("pretrained.verify_weights", lambda m: m.verify_weights(TMP), "existing file"),
    Case("pretrained.verify_weights", lambda m: m.verify_weights(expected="abc"), "64 hex digits"),
    Case("pretrained.verify_weights", lambda m: m.verify_weights(expected=None), "64 hex digits"),
    Case("pretrained.load_efficientnet_lite0", lambda m: m.load_efficientnet_lite0("tpu"), "device"),
    Case("pretrained.load_efficientnet_lite0", lambda m: m.load_efficientnet_lite0(3), "torch.device"),
    Case("pretrained.load_efficientnet_lite0", lambda m: m.load_efficientnet_lite0("cpu", weights=3),
         "a path"),
    Case("pretrained.load_efficientnet_lite0", lambda m: m.load_efficientnet_lite0(
        "cpu", weights=TMP / "missing.pth"), "existing file"),
    Case("pretrained.resize_and_crop", lambda m: m.resize_and_crop(GREY), "grey"),
    Case("pretrained.resize_and_crop", lambda m: m.resize_and_crop(RGBA), "4 channels"),
    Case("pretrained.resize_and_crop", lambda m: m.resize_and_crop(FLOAT01), "uint8"),
    Case("pretrained.resize_and_crop", lambda m: m.resize_and_crop([[0]]), "NumPy array"),
    Case("pretrained.resize_and_crop", lambda m: m.resize_and_crop(np.zeros((0, 10, 3), np.uint8)),
         "non-empty"),
    Case("pretrained.preprocess", lambda m: m.preprocess(FLOAT01), "uint8"),
    Case("pretrained.preprocess", lambda m: m.preprocess(torch.zeros(224, 224, 3)), "NumPy array"),
    Case("pretrained.preprocess", lambda m: m.preprocess(GREY), "grey"),
    Case("pretrained.top_k", lambda m: m.top_k(np.zeros(1000)), "torch.Tensor"),
    Case("pretrained.top_k", lambda m: m.top_k(torch.zeros(2, 1000)), "for a batch"),
    Case("pretrained.top_k", lambda m: m.top_k(torch.zeros(10)), "(1000,)"),
    Case("pretrained.top_k", lambda m: m.top_k(torch.zeros(1000), k=0), "from 1 to 1000"),
    Case("pretrained.top_k", lambda m: m.top_k(torch.zeros(1000), k=True), "from 1 to 1000"),
    Case("pretrained.top_k", lambda m: m.top_k(torch.zeros(1000), k=1001), "from 1 to 1000"),
    Case("pretrained.top_k", lambda m: m.top_k(torch.full((1000,), NAN)), "finite"),
    # -- pretrained_keras -----------------------------------------------------------------------
    Case("pretrained_keras.conv_kernel_to_keras", lambda m: m.conv_kernel_to_keras(np.zeros((2, 3, 5, 5))),
         "torch.Tensor"),
    Case("pretrained_keras.conv_kernel_to_keras", lambda m: m.conv_kernel_to_keras(torch.zeros(3, 3)),
         "4 dimension"),
    Case("pretrained_keras.conv_kernel_to_keras",
         lambda m: m.conv_kernel_to_keras(torch.zeros(2, 3, 5, 5), depthwise=True), "depthwise"),
    Case("pretrained_keras.conv_kernel_to_keras", lambda m: m.conv_kernel_to_keras(torch.zeros(2, 1, 5, 5),
                                                                                   depthwise="yes"),
         "True or False"),
    Case("pretrained_keras.efficientnet_lite0_keras", lambda m: m.efficientnet_lite0_keras(3), "mapping"),
    Case("pretrained_keras.efficientnet_lite0_keras", lambda m: m.efficientnet_lite0_keras(
        {"_fc.weight": torch.zeros(1000, 1280)}), "296 tensors"),
    Case("pretrained_keras.efficientnet_lite0_keras", lambda m: m.efficientnet_lite0_keras(
        _state_dict_of_wrong_shapes()), "wrong shape"),
    Case("pretrained_keras.efficientnet_lite0_keras", lambda m: m.efficientnet_lite0_keras(
        {k: v.numpy() for k, v in _net().state_dict().items()}), "torch.Tensor"),
    Case("pretrained_keras.to_channels_last", lambda m: m.to_channels_last(torch.zeros(2, 4, 5, 3)),
         "(N, 3, H, W)"),
    Case("pretrained_keras.to_channels_last", lambda m: m.to_channels_last(torch.zeros(3, 4, 5)),
         "(N, 3, H, W)"),
    Case("pretrained_keras.to_channels_last", lambda m: m.to_channels_last(np.zeros((2, 3, 4, 5))),
         "torch.Tensor"),
    # -- onnx_tools -----------------------------------------------------------------------------
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(lambda t: t, torch.zeros(1, 4), TMP),
         "torch.nn.Module"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), np.zeros((1, 4)), TMP), "torch.Tensor"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), torch.zeros(1, 4), TMP / "nope"),
         "existing folder"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), torch.zeros(1, 4), 3), "a path"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), torch.zeros(1, 4), TMP, "model.pt"),
         ".onnx"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), torch.zeros(1, 4), TMP, 3), ".onnx"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), torch.zeros(1, 4), TMP, input_name=3),
         "input_name"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), torch.zeros(1, 4), TMP, input_name="x",
                                                           output_name="x"), "different"),
    Case("onnx_tools.export_onnx", lambda m: m.export_onnx(_tiny(), torch.zeros(1, 3), TMP),
         "model(example)"),
    Case("onnx_tools.onnx_summary", lambda m: m.onnx_summary(3), "a path"),
    Case("onnx_tools.onnx_summary", lambda m: m.onnx_summary(TMP / "missing.onnx"), "existing .onnx file"),
    Case("onnx_tools.onnx_summary", lambda m: m.onnx_summary(TMP / "weights.pt"), "existing .onnx file"),
    Case("onnx_tools.onnx_summary", lambda m: m.onnx_summary(TMP / "garbage.onnx"), "garbage.onnx"),
    # -- tensor_pictures ------------------------------------------------------------------------
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast(np.ones((3, 2)), np.ones(4)),
         "do not broadcast"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast(np.ones((10, 10)), np.ones(10)),
         "at most 64"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast(np.ones((2, 2, 2)), np.ones(2)),
         "1-D or 2-D"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast(None, [1]), "1-D or 2-D"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast(["a", "b"], [1, 2]), "numbers"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast([[1, 2], [3]], [1]), "1-D or 2-D"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast([], [1]), "at least one"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast([1, 2], [1, 2], ax=3), "ax"),
    Case("tensor_pictures.plot_broadcast", lambda m: m.plot_broadcast([1, 2], [1, 2], ax=[3, 3]), "ax"),
    # -- digits ---------------------------------------------------------------------------------
    Case("digits.load_digits_split", lambda m: m.load_digits_split(1.5), "between 0 and 1"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(20), "a float"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(True), "a float"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(NAN), "between 0 and 1"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(0.001), "one per digit"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(seed=-1), "seed: expected an int"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(seed=True), "seed: expected an int"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(seed=2**40), "from 0 to 4294967295"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(framework="jax"), "one of"),
    Case("digits.load_digits_split", lambda m: m.load_digits_split(framework=["torch"]), "one of"),
    # -- data -----------------------------------------------------------------------------------
    Case("data.sha256", lambda m: m.sha256(3), "a path"),
    Case("data.sha256", lambda m: m.sha256(TMP / "missing"), "existing file"),
    Case("data.sha256", lambda m: m.sha256(TMP), "existing file"),
    Case("data.read_manifest", lambda m: m.read_manifest(3), "a path"),
    Case("data.read_manifest", lambda m: m.read_manifest(TMP), "got a folder"),
    Case("data.read_manifest", lambda m: m.read_manifest(TMP / "binary.bin"), "UnicodeDecodeError"),
    Case("data.verify_all", lambda m: m.verify_all(3), "a path"),
    Case("data.verify_all", lambda m: m.verify_all(TMP / "nope"), "existing folder"),
    Case("data.verify_all", lambda m: m.verify_all(TMP / "empty_dir"), "MANIFEST.sha256"),
    Case("data.data_path", lambda m: m.data_path("nope.txt"), "is not in data/MANIFEST.sha256"),
    Case("data.data_path", lambda m: m.data_path("corpus/lesson.txt"), "corpus/lessons.txt"),
    Case("data.data_path", lambda m: m.data_path(3), "a file name"),
    Case("data.data_path", lambda m: m.data_path(""), "a file name"),
    Case("data.data_path", lambda m: m.data_path("corpus/lessons.txt", verify="yes"), "True or False"),
    Case("data.write_manifest", lambda m: m.write_manifest(3), "a path"),
    Case("data.write_manifest", lambda m: m.write_manifest(TMP / "nope"), "existing folder"),
    # -- seed -----------------------------------------------------------------------------------
    Case("seed.seed_everything", lambda m: m.seed_everything(True), "seed: expected an int"),
    Case("seed.seed_everything", lambda m: m.seed_everything(-1), "seed: expected an int"),
    Case("seed.seed_everything", lambda m: m.seed_everything(2**32), "seed: expected an int"),
    Case("seed.seed_everything", lambda m: m.seed_everything(1.5), "seed: expected an int"),
    Case("seed.seed_everything", lambda m: m.seed_everything("0"), "seed: expected an int"),
    # -- devices --------------------------------------------------------------------------------
    Case("devices.device_of", lambda m: m.device_of("cpu"), "torch.nn.Module"),
    Case("devices.as_device", lambda m: m.as_device(3), "torch.device"),
    Case("devices.as_device", lambda m: m.as_device(["cpu"]), "torch.device"),
    Case("devices.as_device", lambda m: m.as_device("gpu"), "a name such as"),
    Case("devices.as_device", lambda m: m.as_device(""), "a name such as"),
    Case("devices.as_device", lambda m: m.as_device("cpu:7"), "no index but 0"),  # torch accepts it
    Case("devices.as_device", lambda m: m.as_device("cuda:-1"), "a name such as"),
    Case("devices.as_device", lambda m: m.as_device("meta"), "not present"),
    Case("devices.as_device", lambda m: m.as_device("cuda:99"), "cuda:99"),
    Case("devices.synchronize", lambda m: m.synchronize(3), "torch.device"),
    Case("devices.synchronize", lambda m: m.synchronize("gpu"), "a name such as"),
    # -- frameworks -----------------------------------------------------------------------------
    Case("frameworks.versions", lambda m: m.versions("torch"), "a tuple of import names"),
    Case("frameworks.versions", lambda m: m.versions(("torch", 3)), "a tuple of import names"),
    Case("frameworks.versions", lambda m: m.versions(None), "a tuple of import names"),
    Case("frameworks.versions", lambda m: m.versions({"torch"}), "a tuple of import names"),
    # -- codeview -------------------------------------------------------------------------------
    Case("codeview.source_of", lambda m: m.source_of(3), "function"),
    Case("codeview.source_of", lambda m: m.source_of(len), "source"),
    Case("codeview.source_of", lambda m: m.source_of(functools.partial(print)), "source"),
    Case("codeview.side_by_side_html", lambda m: m.side_by_side_html({}), "columns"),
    Case("codeview.side_by_side_html", lambda m: m.side_by_side_html([_sample]), "columns"),
    Case("codeview.side_by_side_html", lambda m: m.side_by_side_html({"A": 3}), "columns['A']"),
    Case("codeview.side_by_side_html", lambda m: m.side_by_side_html({1: "x = 1"}), "columns key"),
    Case("codeview.side_by_side_html", lambda m: m.side_by_side_html({"A": "x"}, font_size=11), "font_size"),
    Case("codeview.side_by_side_html", lambda m: m.side_by_side_html({"A": "x"}, font_size="1px'><b>"),
         "font_size"),
    Case("codeview.side_by_side", lambda m: m.side_by_side({}), "columns"),
    Case("codeview.side_by_side", lambda m: m.side_by_side({"A": "x"}, font_size="big"), "font_size"),
    # -- autograd_tools -------------------------------------------------------------------------
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree([1, 2]), "torch.Tensor"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(torch.ones(2)), "requires_grad"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(torch.ones(2, requires_grad=True)), "leaf"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(_graph()[0], {"x": [1, 2]}), "names"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(_graph()[0], [_graph()[1]]), "names"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(_graph()[0], False), "names"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(*(lambda g: (g[0], {"c": g[0]}))(_graph())),
         "leaf"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(_graph()[0], max_depth=0), "at least 1"),
    Case("autograd_tools.graph_tree", lambda m: m.graph_tree(_graph()[0], max_depth=True), "an int"),
    Case("autograd_tools.graph_nodes", lambda m: m.graph_nodes([1]), "torch.Tensor"),
    Case("autograd_tools.graph_nodes", lambda m: m.graph_nodes(torch.ones(2)), "requires_grad"),
    Case("autograd_tools.graph_nodes", lambda m: m.graph_nodes(torch.ones(2, requires_grad=True)), "leaf"),
]

COVERED_ELSEWHERE = {
    "vision.DisparityError": "the record disparity_error returns; learners do not build it",
    "datasets.StepTimes": "the record time_steps returns; tested in test_datasets.py",
    "datasets.worker_cpu_seconds": "no arguments; tested in test_datasets.py",
    "pretrained.WeightsChecksumError": "the exception verify_weights raises; tested in test_pretrained.py",
    "pretrained.weights_path": "no arguments; tested in test_pretrained.py",
    "pretrained.imagenet_classes": "no arguments; tested in test_pretrained.py",
    "onnx_tools.OnnxSummary": "the record onnx_summary returns; learners do not build it",
    "digits.DigitsSplit": "the record load_digits_split returns; learners do not build it",
    "data.DataIntegrityError": "the exception for a changed shipped file; tested in test_data.py",
    "data.FileCheck": "the record verify_all returns; learners do not build it",
    "devices.DeviceInfo": "the record list_devices returns; learners do not build it",
    "devices.best_device": "no arguments; tested in test_devices.py",
    "devices.list_devices": "no arguments; tested in test_devices.py",
    "frameworks.import_tensorflow": "no arguments; tested in test_errors_seed_frameworks.py",
}
