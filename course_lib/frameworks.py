"""Import the frameworks quietly and report their versions."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any


class _HideJax(importlib.abc.MetaPathFinder):
    """Makes ``import jax`` fail while TensorFlow imports. TensorFlow's TFLite helpers import JAX
    whenever it is installed, which costs about 100 MiB in every lesson that uses TensorFlow;
    lesson 12 imports JAX itself, in the cell that needs it."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in ("jax", "jaxlib"):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while TensorFlow imports)")
        return None


def load_triton_first() -> bool:
    """Import Triton (PyTorch's CUDA build ships it: the default wheel on Python 3.12 and 3.13) before
    TensorFlow; loaded after it, its LLVM clashes with TensorFlow's and the process dies. True if loaded."""
    if "triton" in sys.modules:
        return True
    if "tensorflow" in sys.modules or importlib.util.find_spec("triton") is None:
        return False
    try:
        importlib.import_module("triton")
    except ImportError:  # a broken Triton is PyTorch's business; TensorFlow does not need it
        return False
    return True


def import_tensorflow() -> ModuleType:
    """Import TensorFlow with its C++ start-up log silenced (set before the first import), and
    without the JAX that TensorFlow would otherwise load beside it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN prints a notice on import and makes float results differ in the last bits
    # between runs with different thread counts; the course keeps results repeatable.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    load_triton_first()
    hide = _HideJax() if "tensorflow" not in sys.modules and "jax" not in sys.modules else None
    if hide is not None:
        sys.meta_path.insert(0, hide)
    try:
        tf = importlib.import_module("tensorflow")
    finally:
        if hide is not None:
            sys.meta_path.remove(hide)
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
        if name == "cv2":  # what Colab and other hosted runtimes install instead of the headless build
            candidates += ["opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless"]
        found = None
        for dist in candidates:
            try:
                found = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
        result[name] = found
    return result
