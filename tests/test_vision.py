"""course_lib.vision: image/tensor conversions, homography and disparity errors, the synthetic video."""

import cv2
import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.vision import (
    DisparityError,
    bgr_to_rgb,
    detect_faces,
    disparity_error,
    homography_corner_error,
    image_to_tensor,
    rgb_to_bgr,
    tensor_to_image,
    write_moving_disc_video,
)


@pytest.fixture
def bgr() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(6, 5, 3), dtype=np.uint8)


# -- channel order ------------------------------------------------------------------------------
def test_bgr_to_rgb_matches_cvtcolor_and_copies(bgr):
    rgb = bgr_to_rgb(bgr)
    assert np.array_equal(rgb, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    assert rgb.flags["C_CONTIGUOUS"] and not np.shares_memory(rgb, bgr)
    assert np.array_equal(rgb[..., 0], bgr[..., 2])


def test_rgb_to_bgr_undoes_bgr_to_rgb(bgr):
    assert np.array_equal(rgb_to_bgr(bgr_to_rgb(bgr)), bgr)
    assert np.array_equal(rgb_to_bgr(bgr), cv2.cvtColor(bgr, cv2.COLOR_RGB2BGR))


@pytest.mark.parametrize("fn", [bgr_to_rgb, rgb_to_bgr])
@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8),
                                 [[1, 2, 3]], torch.zeros(4, 4, 3)])
def test_channel_swaps_refuse_non_colour_images(fn, bad):
    with pytest.raises(CourseInputError, match=r"image: expected .*\(H, W, 3\).*got"):
        fn(bad)


# -- image <-> tensor ---------------------------------------------------------------------------
def test_image_to_tensor_layout_and_scale(bgr):
    x = image_to_tensor(bgr)
    assert x.shape == (1, 3, 6, 5) and x.dtype == torch.float32
    assert float(x[0, 2, 1, 4]) == pytest.approx(bgr[1, 4, 2] / 255.0)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


def test_image_to_tensor_grey_and_normalised(bgr):
    grey = bgr[:, :, 0]
    assert image_to_tensor(grey).shape == (1, 1, 6, 5)
    x = image_to_tensor(bgr, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    expected = (bgr.astype(np.float32) / 255 - 0.5) / 0.25
    assert np.allclose(x[0].permute(1, 2, 0).numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((4, 4, 3), np.float32), "dtype uint8"),
    (np.zeros((2, 4, 4, 3), np.uint8), r"shape \(H, W\) or \(H, W, C\)"),
    (np.zeros((4, 4, 2), np.uint8), "1, 3 or 4 channels"),
    (np.zeros((0, 4, 3), np.uint8), "non-empty"),
    (torch.zeros(4, 4, 3, dtype=torch.uint8), "NumPy array"),
])
def test_image_to_tensor_refuses_bad_images(bad, message):
    with pytest.raises(CourseInputError, match=message):
        image_to_tensor(bad)


def test_image_to_tensor_refuses_bad_mean_std(bgr):
    with pytest.raises(CourseInputError, match="both or neither"):
        image_to_tensor(bgr, mean=(0.5, 0.5, 0.5))
    with pytest.raises(CourseInputError, match="a tuple of 3 numbers"):
        image_to_tensor(bgr, mean=(0.5,), std=(0.5,))
    with pytest.raises(CourseInputError, match="above 0"):
        image_to_tensor(bgr, mean=(0, 0, 0), std=(1, 0, 1))
    with pytest.raises(CourseInputError, match="finite number"):
        image_to_tensor(bgr, mean=(float("nan"), 0, 0), std=(1, 1, 1))


def test_image_to_tensor_refuses_a_mean_and_std_on_the_0_255_scale(bgr):
    # the image is divided by 255 first: 0-255 statistics used to give a silently wrong tensor
    with pytest.raises(CourseInputError, match=r"\[0, 1\] scale"):
        image_to_tensor(bgr, mean=(123.7, 116.3, 103.5), std=(58.4, 57.1, 57.4))


def test_colour_checks_call_an_rgba_image_rgba_not_grey():
    with pytest.raises(CourseInputError, match="4 channels are colour plus alpha") as info:
        bgr_to_rgb(np.zeros((4, 4, 4), np.uint8))
    assert "grey" not in str(info.value)
    with pytest.raises(CourseInputError, match="grey image"):
        rgb_to_bgr(np.zeros((4, 4), np.uint8))


def test_tensor_to_image_round_trips_exactly(bgr):
    assert np.array_equal(tensor_to_image(image_to_tensor(bgr)), bgr)
    assert np.array_equal(tensor_to_image(image_to_tensor(bgr)[0]), bgr)
    grey = bgr[:, :, 1]
    assert np.array_equal(tensor_to_image(image_to_tensor(grey)), grey)


def test_tensor_to_image_clips_and_rounds():
    x = torch.tensor([[[[-0.5, 0.5 / 255, 1.6 / 255, 2.0]]]])
    assert tensor_to_image(x).tolist() == [[0, 0, 2, 255]]


@pytest.mark.parametrize("bad, message", [
    (np.zeros((1, 3, 4, 4), np.float32), "torch.Tensor"),
    (torch.zeros(4, 4), r"shape \(1, C, H, W\)"),
    (torch.zeros(2, 3, 4, 4), "exactly one image"),
    (torch.zeros(1, 5, 4, 3), "1, 3 or 4 channels"),
    (torch.zeros(1, 3, 4, 4, dtype=torch.uint8), "floating-point"),
])
def test_tensor_to_image_refuses_bad_tensors(bad, message):
    with pytest.raises(CourseInputError, match=message):
        tensor_to_image(bad)


@pytest.mark.parametrize("shape", [(4, 5, 3), (1, 4, 6, 3), (3, 5, 1)])
def test_tensor_to_image_refuses_a_channels_last_tensor(shape):
    # (H, W, C) with H in (1, 3, 4) used to be read as (C, H, W) and come back transposed
    with pytest.raises(CourseInputError, match="channels-last"):
        tensor_to_image(torch.rand(shape))


def test_tensor_to_image_refuses_nan_and_0_255_values():
    with pytest.raises(CourseInputError, match="finite"):
        tensor_to_image(torch.full((3, 4, 4), float("nan")))
    with pytest.raises(CourseInputError, match="divide by 255"):
        tensor_to_image(torch.rand(3, 4, 4) * 255)


# -- homography error ---------------------------------------------------------------------------
def test_homography_corner_error_is_zero_for_equal_and_measures_a_shift():
    h = np.array([[0.9, 0.05, 10.0], [-0.02, 1.1, 5.0], [1e-4, 2e-4, 1.0]])
    assert homography_corner_error(h, h * 3.0, 100, 80) == pytest.approx(0.0, abs=1e-9)
    shifted = np.array([[1.0, 0, 3.0], [0, 1.0, 4.0], [0, 0, 1.0]]) @ h
    assert homography_corner_error(shifted, h, 100, 80) == pytest.approx(5.0)


def test_homography_corner_error_refuses_bad_input():
    with pytest.raises(CourseInputError, match="h_est: expected a 3x3 NumPy array"):
        homography_corner_error(np.eye(2), np.eye(3), 10, 10)
    with pytest.raises(CourseInputError, match="width: expected an int of at least 1"):
        homography_corner_error(np.eye(3), np.eye(3), 0, 10)
    with pytest.raises(CourseInputError, match="height: expected an int"):
        homography_corner_error(np.eye(3), np.eye(3), 10, True)


def test_homography_corner_error_refuses_nan_and_corners_at_infinity():
    # a NaN homography (cv2.findHomography on degenerate points) used to give a number: 8.54 px
    h_nan = np.full((3, 3), np.nan)
    with pytest.raises(CourseInputError, match="h_est: expected finite values"):
        homography_corner_error(h_nan, np.eye(3), 100, 80)
    with pytest.raises(CourseInputError, match="to infinity"):
        homography_corner_error(np.eye(3), np.zeros((3, 3)), 100, 80)


# -- disparity error ----------------------------------------------------------------------------
def test_disparity_error_skips_unknown_and_unmatched_pixels():
    truth = np.array([[10.0, 20.0], [np.inf, 30.0]])
    disp = np.array([[11.0, 20.0], [5.0, -1.0]], dtype=np.float32)
    err = disparity_error(disp, truth, threshold=0.5)
    assert isinstance(err, DisparityError)
    assert err.mean_abs == pytest.approx(0.5) and err.median_abs == pytest.approx(0.5)
    assert err.bad_fraction == pytest.approx(0.5) and err.coverage == pytest.approx(2 / 3)
    assert "px" in str(err)


def test_disparity_error_with_nothing_matched_reports_zero_coverage():
    err = disparity_error(np.full((2, 2), -1.0), np.ones((2, 2)))
    assert err.coverage == 0.0 and np.isnan(err.mean_abs)


def test_disparity_error_refuses_bad_input():
    truth = np.ones((4, 4))
    with pytest.raises(CourseInputError, match="divide by 16.0"):
        disparity_error(np.ones((4, 4), np.int16), truth)
    with pytest.raises(CourseInputError, match=r"the ground truth's shape \(4, 4\)"):
        disparity_error(np.ones((4, 5)), truth)
    with pytest.raises(CourseInputError, match="2-D NumPy array"):
        disparity_error(np.ones((4, 4, 1)), truth)
    with pytest.raises(CourseInputError, match="at least one finite value"):
        disparity_error(np.ones((4, 4)), np.full((4, 4), np.nan))
    with pytest.raises(CourseInputError, match="threshold: expected a finite number"):
        disparity_error(np.ones((4, 4)), truth, threshold=True)


# -- synthetic video ----------------------------------------------------------------------------
def test_write_moving_disc_video_round_trips(tmp_path):
    path = tmp_path / "clip.avi"
    truth = write_moving_disc_video(path, n_frames=12, size=(96, 64), fps=10.0, radius=5,
                                    empty_frames=2)
    assert truth.shape == (12, 2) and np.isnan(truth[:2]).all() and np.isfinite(truth[2:]).all()
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert len(frames) == 12 and frames[0].shape == (64, 96, 3)
    x, y = truth[5].astype(int)
    disc_colour = np.array([40, 220, 250])  # BGR yellow
    assert np.abs(frames[5][y, x].astype(int) - disc_colour).max() < 40
    assert np.abs(frames[0][y, x].astype(int) - disc_colour).max() > 80


def test_write_moving_disc_video_refuses_bad_arguments(tmp_path):
    with pytest.raises(CourseInputError, match=r"ending in \.avi"):
        write_moving_disc_video(tmp_path / "clip.mp4")
    with pytest.raises(CourseInputError, match="existing folder"):
        write_moving_disc_video(tmp_path / "missing" / "clip.avi")
    with pytest.raises(CourseInputError, match="n_frames"):
        write_moving_disc_video(tmp_path / "clip.avi", n_frames=1)
    with pytest.raises(CourseInputError, match="empty_frames"):
        write_moving_disc_video(tmp_path / "clip.avi", n_frames=5, empty_frames=5)
    with pytest.raises(CourseInputError, match="background"):
        write_moving_disc_video(tmp_path / "clip.avi", background=np.zeros((10, 10), np.uint8))
    with pytest.raises(CourseInputError, match="empty_frames: expected an int"):
        write_moving_disc_video(tmp_path / "clip.avi", n_frames=5, empty_frames=True)
    with pytest.raises(CourseInputError, match="fps: expected a finite number"):
        write_moving_disc_video(tmp_path / "clip.avi", fps=float("inf"))  # OpenCV used to hang
    assert not (tmp_path / "clip.avi").exists()


# -- face detection -----------------------------------------------------------------------------
def test_detect_faces_finds_the_astronaut_and_nothing_in_noise():
    from skimage import data

    boxes = detect_faces(data.astronaut())
    assert len(boxes) == 1
    x, y, w, h = boxes[0]
    assert 150 < x < 200 and 50 < y < 100 and 80 < w == h < 120  # her face, by eye: x~175, y~70
    assert detect_faces(np.full((200, 200, 3), 128, np.uint8)) == []


def test_detect_faces_refuses_bad_input():
    with pytest.raises(CourseInputError, match="image_rgb: expected a uint8 image"):
        detect_faces(np.zeros((100, 100, 3), np.float32))
    with pytest.raises(CourseInputError, match="scale_factor"):
        detect_faces(np.zeros((100, 100, 3), np.uint8), scale_factor=1.0)
    with pytest.raises(CourseInputError, match="min_size"):
        detect_faces(np.zeros((100, 100, 3), np.uint8), min_size=10)


# -- the images lessons 08 and 09 use ship inside the wheels --------------------------------------
SHIPPED_SKIMAGE_FILES = ("astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png",
                         "hubble_deep_field.jpg", "ihc.png", "moon.png", "retina.jpg", "rocket.jpg",
                         "motorcycle_left.png", "motorcycle_right.png", "motorcycle_disp.npz",
                         "lfw_subset.npy", "lbpcascade_frontalface_opencv.xml")


def test_lesson_images_ship_in_the_wheels_and_need_no_download():
    from pathlib import Path

    from skimage import data
    from sklearn.datasets import load_sample_image

    folder = Path(data.data_dir)
    missing = [name for name in SHIPPED_SKIMAGE_FILES if not (folder / name).is_file()]
    assert not missing, f"scikit-image would download these with pooch: {missing}"
    assert load_sample_image("china.jpg").shape == (427, 640, 3)
    assert load_sample_image("flower.jpg").shape == (427, 640, 3)


def test_box_iou_of_known_boxes():
    from course_lib.vision import box_iou

    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert box_iou((175, 70, 93, 93), (174, 66, 96, 96)) > 0.9


@pytest.mark.parametrize("bad", [(0, 0, 0, 5), (0, 0, 5), (0, 0, True, 5), (0, float("nan"), 5, 5), "box"])
def test_box_iou_refuses_bad_boxes(bad):
    from course_lib.vision import box_iou

    with pytest.raises(CourseInputError, match="box"):
        box_iou(bad, (0, 0, 1, 1))
