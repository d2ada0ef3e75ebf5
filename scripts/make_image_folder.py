#!/usr/bin/env python3
"""Write data/image_folder/: small JPEG crops of the photos scikit-image ships, one folder per class.

    .venv/bin/python scripts/make_image_folder.py

Each class is one photo (the cat "chelsea", "coffee", "rocket", ...); each image is a crop
of random size (side 112 to 224 pixels, so the images differ in size on purpose) at a
random position, saved as JPEG quality 90. The seed is fixed, so running the script again
writes the same crops (byte-identical with the same OpenCV build). Afterwards it refreshes
data/MANIFEST.sha256. Lesson 06 reads the folder with course_lib.datasets.ImageFolder.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import skimage.data

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib.data import DATA_DIR, write_manifest  # noqa: E402

OUT = DATA_DIR / "image_folder"
PER_CLASS = 32
MIN_SIDE, MAX_SIDE = 112, 224
SEED = 6


def _photos() -> dict[str, np.ndarray]:
    """The colour photos scikit-image ships, as uint8 RGB, one per class."""
    return {
        "astronaut": skimage.data.astronaut(),
        "cat": skimage.data.chelsea(),
        "coffee": skimage.data.coffee(),
        "hubble": skimage.data.hubble_deep_field(),
        "motorcycle": skimage.data.stereo_motorcycle()[0],
        "rocket": skimage.data.rocket(),
    }


def main() -> None:
    rng = np.random.default_rng(SEED)
    if OUT.exists():
        shutil.rmtree(OUT)
    total = 0
    for name, photo in _photos().items():
        folder = OUT / name
        folder.mkdir(parents=True)
        h, w = photo.shape[:2]
        for i in range(PER_CLASS):
            ch = int(rng.integers(MIN_SIDE, min(MAX_SIDE, h) + 1))
            cw = int(rng.integers(MIN_SIDE, min(MAX_SIDE, w) + 1))
            top = int(rng.integers(0, h - ch + 1))
            left = int(rng.integers(0, w - cw + 1))
            crop = photo[top:top + ch, left:left + cw, :3]
            bgr = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2BGR)
            path = folder / f"{i:03d}.jpg"
            if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 90]):
                raise RuntimeError(f"could not write {path}")
            total += path.stat().st_size
    write_manifest()
    count = sum(1 for _ in OUT.rglob("*.jpg"))
    print(f"wrote {count} images in {len(_photos())} classes to data/image_folder "
          f"({total / 1e6:.2f} MB); data/MANIFEST.sha256 refreshed")


if __name__ == "__main__":
    main()
