"""Import the frameworks quietly and report their versions."""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def import_tensorflow() -> ModuleType:
    """Import TensorFlow with its C++ start-up log silenced (set before the first import)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN prints a notice on import and makes float results differ in the last bits
    # between runs with different thread counts; the course keeps results repeatable.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    tf = importlib.import_module("tensorflow")
    tf.get_logger().setLevel(logging.ERROR)  # in a Jupyter kernel TF resets it to INFO on import
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # pragma: no cover - absl ships with TensorFlow
        pass
    return tf


PACKAGES = ("torch", "tensorflow", "keras", "cv2", "numpy", "sklearn", "skimage",
            "matplotlib", "visdom", "jupyterlab", "nbval", "tornado")


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """The installed version of each package (``None`` when it is missing), without importing it."""
    from importlib import metadata

    from course_lib.errors import expect

    expect(isinstance(packages, (tuple, list)) and all(isinstance(n, str) and n.strip() for n in packages),
           "packages", "a tuple of import names such as ('torch', 'cv2')", packages)
    dist_names = {"cv2": "opencv-python-headless", "sklearn": "scikit-learn",
                  "skimage": "scikit-image", "tensorflow": "tensorflow-cpu"}
    result: dict[str, str | None] = {}
    for name in packages:
        candidates = [dist_names.get(name, name)]
        if name == "tensorflow":
            candidates.append("tensorflow")
        found = None
        for dist in candidates:
            try:
                found = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
        result[name] = found
    return result
