"""Reference solutions for lesson 08 (OpenCV pipelines)."""

import cv2
import numpy as np


def count_objects(mask: np.ndarray, min_area: float) -> int:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return sum(1 for c in contours if cv2.contourArea(c) >= min_area)


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    ones = np.ones((len(points), 1))
    homogeneous = np.hstack([points, ones]) @ h.T  # each row is (x', y', w')
    return homogeneous[:, :2] / homogeneous[:, 2:3]


def disparity_to_depth(disparity: np.ndarray, focal_px: float, baseline_m: float,
                       doffs_px: float) -> np.ndarray:
    depth = np.full(disparity.shape, np.nan)
    matched = disparity >= 0
    depth[matched] = baseline_m * focal_px / (disparity[matched] + doffs_px)
    return depth


def remove_red_eye(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    out = image.copy()
    eye = out[y:y + h, x:x + w].astype(np.int32)  # int: green + blue can pass 255
    b, g, r = eye[:, :, 0], eye[:, :, 1], eye[:, :, 2]
    red = (r > 150) & (r > g + b)
    eye[red] = ((g + b) // 2)[red][:, None]
    out[y:y + h, x:x + w] = eye.astype(np.uint8)
    return out
