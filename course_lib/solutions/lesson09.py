"""Reference solutions for lesson 09 (OpenCV meets deep learning)."""

import cv2
import numpy as np


def blob_from_crop(crop_bgr: np.ndarray) -> np.ndarray:
    # (x - 127) / 128 is (x - mean) * scalefactor with mean 127 and scalefactor 1/128;
    # swapRB turns OpenCV's BGR into the RGB the network was trained on.
    return cv2.dnn.blobFromImage(crop_bgr, scalefactor=1 / 128, size=(224, 224),
                                 mean=(127, 127, 127), swapRB=True, crop=False)


def top1_agreement(logits_a: np.ndarray, logits_b: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits_a, axis=1) == np.argmax(logits_b, axis=1)))


def crop_with_margin(image: np.ndarray, box: tuple[int, int, int, int],
                     margin: float) -> np.ndarray:
    x, y, w, h = box
    mx, my = round(margin * w), round(margin * h)
    height, width = image.shape[:2]
    x0, y0 = max(0, x - mx), max(0, y - my)
    x1, y1 = min(width, x + w + mx), min(height, y + h + my)
    return image[y0:y1, x0:x1]
