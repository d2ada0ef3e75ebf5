"""course_lib.opencv_apps: overlapping views, panorama errors, camera paths, Q matrices, depth errors."""

import cv2
import numpy as np
import pytest

from course_lib.errors import CourseInputError
from course_lib.opencv_apps import (
    DepthError,
    MotionError,
    PanoramaError,
    camera_path,
    centre_path,
    depth_error,
    motion_error,
    overlapping_views,
    panorama_error,
    stereo_q_matrix,
)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A smooth, textured 160 x 240 colour image (random blobs, blurred)."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    return cv2.GaussianBlur(cv2.resize(small, (240, 160), interpolation=cv2.INTER_CUBIC), (5, 5), 0)


# -- overlapping_views --------------------------------------------------------------------------
def test_plain_views_are_crops_at_the_homographys_offset(photo):
    views, hs = overlapping_views(photo, n_views=3, overlap=0.5, height_fraction=0.75, margin_fraction=0.0)
    assert len(views) == len(hs) == 3
    vh, vw = views[0].shape[:2]
    assert all(v.shape == (vh, vw, 3) and v.dtype == np.uint8 for v in views)
    for view, h in zip(views, hs, strict=True):
        x, y = h[0, 2], h[1, 2]
        assert np.allclose(h[:2, :2], np.eye(2)) and x == int(x) and y == int(y)
        assert np.array_equal(view, photo[int(y):int(y) + vh, int(x):int(x) + vw])
    step = hs[1][0, 2] - hs[0][0, 2]
    assert (vw - step) / vw == pytest.approx(0.5, abs=0.02)  # neighbours share half their width
    assert hs[-1][0, 2] + vw == pytest.approx(photo.shape[1], abs=1)  # the last view reaches the edge


def test_a_turned_view_samples_the_photo_where_its_homography_says(photo):
    views, hs = overlapping_views(photo, n_views=2, overlap=0.4, angles_deg=(0, 6), scales=(1, 1.1))
    h = hs[1]
    assert np.degrees(np.arctan2(h[0, 1], h[0, 0])) == pytest.approx(6)
    assert np.hypot(h[0, 0], h[0, 1]) == pytest.approx(1 / 1.1)
    back = cv2.warpPerspective(views[1], h, (photo.shape[1], photo.shape[0]))
    inside = cv2.warpPerspective(np.full(views[1].shape[:2], 255, np.uint8), h,
                                 (photo.shape[1], photo.shape[0]))
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)) == 255
    assert np.abs(back.astype(int) - photo.astype(int))[inside].mean() < 6  # only resampling blur


def test_grey_images_give_grey_views(photo):
    views, _ = overlapping_views(cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY))
    assert all(v.ndim == 2 for v in views)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_views": 1}, "n_views"),
    ({"overlap": 1.0}, "overlap"),
    ({"angles_deg": (0, 1)}, "a list of 3 numbers"),
    ({"scales": (1, 1, 0)}, r"scales\[2\]"),
    ({"angles_deg": (0, 0, 25), "height_fraction": 1.0}, "fit inside"),
])
def test_overlapping_views_refuses_bad_layouts(photo, kwargs, match):
    with pytest.raises(CourseInputError, match=match):
        overlapping_views(photo, **kwargs)


# -- panorama_error -----------------------------------------------------------------------------
def test_a_perfect_panorama_has_no_error(photo):
    result = panorama_error(photo, photo)
    assert isinstance(result, PanoramaError)
    assert result.mean_abs == 0 and result.median_abs == 0 and 0.9 < result.coverage <= 1
    assert "0.0 grey levels" in str(result)


def test_panorama_error_undoes_a_known_shift(photo):
    shifted = np.zeros_like(photo)
    shifted[:, :200] = photo[:, 40:]  # the panorama's pixel x shows the photo's x + 40
    h = np.array([[1.0, 0.0, 40.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    aligned = panorama_error(shifted, photo, h)
    assert aligned.mean_abs < 1e-9 and aligned.coverage < 0.85
    assert panorama_error(shifted, photo).mean_abs > 10  # without the homography, it is misplaced


def test_panorama_error_counts_only_masked_pixels(photo):
    noisy = photo.copy()
    noisy[:, 120:] = 255 - noisy[:, 120:]
    mask = np.zeros(photo.shape[:2], bool)
    mask[:, :120] = True
    assert panorama_error(noisy, photo, mask=mask, border=0).mean_abs == 0
    assert panorama_error(noisy, photo, mask=mask, border=0).coverage == pytest.approx(0.5)


def test_panorama_error_refuses_a_homography_that_misses_the_image(photo):
    far = np.array([[1.0, 0.0, 5000.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(CourseInputError, match="no pixel in common"):
        panorama_error(photo, photo, far)


# -- camera_path, centre_path, motion_error -----------------------------------------------------
def test_camera_path_frames_match_their_poses():
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.integers(0, 256, size=(300, 400), dtype=np.uint8), (7, 7), 0)
    frames, poses = camera_path(image, n_frames=9, size=(120, 90), amplitude=(60, 40), max_angle_deg=4)
    assert frames.shape == (9, 90, 120) and frames.dtype == np.uint8 and poses.shape == (9, 3, 3)
    path = centre_path(poses, (120, 90))
    assert np.allclose(path[0], (200, 150)) and np.allclose(path[-1], path[0])  # a closed loop
    for frame, pose in zip(frames, poses, strict=True):
        x, y = 30, 20
        px, py, _ = pose @ np.array([x, y, 1.0])
        assert abs(float(frame[y, x]) - float(cv2.getRectSubPix(image, (1, 1), (px, py))[0, 0])) <= 2


def test_motion_error_measures_steps_and_drift():
    truth = np.stack([np.eye(3)] * 4)
    truth[:, 0, 2] = [0, 10, 20, 30]
    est = truth.copy()
    est[2:, 0, 2] += 1.0  # one step 1 px too long, the rest right
    result = motion_error(est, truth, (50, 40))
    assert isinstance(result, MotionError)
    assert result.mean_step == pytest.approx(1 / 3) and result.max_step == pytest.approx(1)
    assert result.drift == pytest.approx(1) and "drift 1.00 px" in str(result)
    assert motion_error(truth, truth, (50, 40)) == MotionError(0.0, 0.0, 0.0)


def test_camera_path_refuses_a_window_that_leaves_the_image():
    with pytest.raises(CourseInputError, match="inside"):
        camera_path(np.zeros((100, 100), np.uint8), size=(80, 60), amplitude=(30, 0))


# -- stereo_q_matrix and depth_error ------------------------------------------------------------
def test_q_matrix_reprojects_a_known_point():
    f, b, cx, cy, doffs = 1000.0, 0.2, 320.0, 240.0, 30.0
    q = stereo_q_matrix(f, b, cx, cy, doffs)
    disparity = np.full((480, 640), 70.0, np.float32)  # Z = f b / (70 + 30) = 2 m
    points = cv2.reprojectImageTo3D(disparity, q)
    assert points[240, 320] == pytest.approx([0, 0, 2.0], abs=1e-5)
    assert points[240, 420] == pytest.approx([100 * 2.0 / f, 0, 2.0], abs=1e-5)  # X = (x - cx) Z / f
    assert points[140, 320] == pytest.approx([0, -100 * 2.0 / f, 2.0], abs=1e-5)


def test_depth_error_is_relative_and_skips_unknown_pixels():
    d = np.array([[10.0, 20.0], [np.inf, 40.0]])
    f, b, doffs = 100.0, 0.5, 0.0
    true_depth = f * b / d
    depth = true_depth * np.array([[1.0, 1.02], [1.0, 1.10]])
    depth[1, 1] = np.nan  # no depth here
    result = depth_error(depth, d, f, b, doffs, tolerance=0.05)
    assert isinstance(result, DepthError)
    assert result.median_relative == pytest.approx(0.01) and result.within == 1.0
    assert result.coverage == pytest.approx(2 / 3)
    assert "1.00%" in str(result)
    empty = depth_error(np.full((2, 2), np.nan), d, f, b)
    assert empty.coverage == 0.0 and np.isnan(empty.median_relative)


def test_depth_error_refuses_mismatched_shapes():
    with pytest.raises(CourseInputError, match="ground truth's shape"):
        depth_error(np.ones((2, 3)), np.ones((3, 2)), 100.0, 0.1)
