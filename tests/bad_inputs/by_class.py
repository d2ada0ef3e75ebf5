"""The sweep by class: bad values derived from each parameter's annotation, not written per call.

Every public function or class of course_lib with a parameter of a swept kind (int, float, bool,
a path, a tensor; and every dataclass field) has one valid call in ``EXAMPLES``. From it the
sweep makes, for each such parameter in turn, the bad calls its kind invites and requires a
CourseInputError that names the parameter:

- int: ``True`` and ``2.5``;      float: NaN, infinity and the string ``"1"``;
- bool: the string ``"no"`` and ``2``;
- a path: one that does not exist (where the function reads it), and a file where a folder is
  meant (``dir``, ``root``, ``folder`` in the name) or a folder where a file is meant;
- a tensor: the other kind of dtype (integers for a float tensor, floats for an integer one),
  and NaN in a float tensor;
- a dataclass field: a value of the wrong type (a str for a number, a number for a str).

A value the function may legitimately take is listed in ``ACCEPTED`` with the reason. A new
public name with a parameter of these kinds and no example fails ``test_bad_inputs.py``, so
the next function of a kind is covered without anyone remembering to write its cases.
"""

from __future__ import annotations

import atexit
import dataclasses
import importlib
import inspect
import pkgutil
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import nn

import course_lib
from bad_inputs import Case

TMP = Path(tempfile.mkdtemp(prefix="course_by_class_"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
A_FILE = TMP / "a_file.txt"
A_FILE.write_text("not a folder", encoding="utf-8")
A_FOLDER = TMP / "a_folder"
A_FOLDER.mkdir()
MISSING = TMP / "does_not_exist"

Call = tuple[tuple[Any, ...], dict[str, Any]]


def _c(*args: Any, **kwargs: Any) -> Call:
    return args, kwargs


def _tiny_gpt(m: ModuleType) -> Any:
    return m.GPT(m.GPTConfig(vocab_size=8, context=8, d_model=8, n_heads=2, n_layers=1))


_LITE0: list[Any] = []


def _lite0(m: ModuleType) -> Any:
    """The pretrained network's architecture with random weights, built once."""
    if not _LITE0:
        _LITE0.append(m.EfficientNetLite0(10))
    return _LITE0[0]


def _ident(rank: int, world_size: int, config: dict) -> dict:  # a worker that is never started
    return {}


# One valid call per public name: module -> (args, kwargs). Cheap when the arguments are good.
EXAMPLES: dict[str, Callable[[ModuleType], Call]] = {
    "autograd_tools.graph_tree": lambda m: _c((torch.ones(2, requires_grad=True) * 2).sum(), max_depth=5),
    "autograd_tools.graph_nodes": lambda m: _c((torch.ones(2, requires_grad=True) * 2).sum()),
    "benchmarks.Point": lambda m: _c("matmul", "torch", "cpu", 1, 8, 1e-3, 1e3, 1e3),
    "benchmarks.op_cost": lambda m: _c("matmul", 8, bytes_per_element=4),
    "benchmarks.measure": lambda m: _c("matmul", 8, threads=1, min_run_time=0.01, pinned=False),
    "benchmarks.sweep": lambda m: _c("matmul", [8], threads=1, min_run_time=0.01),
    "benchmarks.load_records": lambda m: _c(A_FOLDER),
    "benchmarks.measure_interleaved": lambda m: _c([{"op": "matmul", "n": 8, "threads": 1}], rounds=1,
                                                   min_run_time=0.01),
    "data.expect_data_dir": lambda m: _c(),
    "data.FileCheck": lambda m: _c("x.png", "ok"),
    "data.manifest_entries": lambda m: _c(TMP / "MANIFEST.sha256"),
    "data.sha256": lambda m: _c(A_FILE),
    "data.read_manifest": lambda m: _c(),
    "data.data_path": lambda m: _c("manifest.sha256", verify=False),
    "datasets.image_folder_root": lambda m: _c(verify=False),
    "datasets.read_rgb": lambda m: _c(m.image_folder_root(verify=False)),
    "datasets.Resize": lambda m: _c(32),
    "datasets.Augment": lambda m: _c(32, max_degrees=5.0, blur_sigma=0.5, noise_std=0.01, as_uint8=False),
    "datasets.ImageFolder": lambda m: _c(m.image_folder_root(verify=False)),
    "datasets.ImageStream": lambda m: _c([(A_FILE, 0)], shard=False),
    "datasets.single_thread_worker": lambda m: _c(0),
    "datasets.StepTimes": lambda m: _c([0.1], [0.2]),
    "datasets.time_steps": lambda m: _c([1, 2], lambda batch: None, max_steps=2),
    "devices.DeviceInfo": lambda m: _c("cpu", "cpu", "the CPU"),
    "digits.DigitsSplit": lambda m: _c(np.zeros((2, 64)), np.zeros(2, int), np.zeros((1, 64)),
                                       np.zeros(1, int),
                                       "numpy"),
    "digits.load_digits_split": lambda m: _c(0.2, 0, framework="numpy"),
    "distributed.spawn_workers": lambda m: _c(_ident, 1, {}, 5.0, 1),
    "distributed.make_problem": lambda m: _c(0, 4, 2, 2),
    "distributed.make_model": lambda m: _c(0, 2, 2, 2),
    "distributed.shard_indices": lambda m: _c(8, 0, 2),
    "gpt.GPTConfig": lambda m: _c(8, context=8, d_model=8, n_heads=2, n_layers=1, mlp_ratio=2),
    "gpt.batches": lambda m: _c(torch.arange(32) % 8, 2, 4, torch.Generator().manual_seed(0)),
    "gpt.mean_loss": lambda m: _c(_tiny_gpt(m), torch.arange(32) % 8, 8, max_windows=2),
    "gpt.unigram_loss": lambda m: _c(torch.arange(32) % 8, torch.arange(16) % 8, 8),
    "gpt.generate": lambda m: _c(_tiny_gpt(m), [1, 2], 2, temperature=1.0, top_k=3, greedy=False,
                                 use_cache=True),
    "gpt.sampling_probs": lambda m: _c(torch.randn(2, 8), temperature=1.0, top_k=3),
    "gpt.forward_flops": lambda m: _c(m.GPTConfig(8, context=8, d_model=8, n_heads=2, n_layers=1), 8),
    "live.visdom_answers": lambda m: _c(1, timeout=0.1),
    "load.LoadReport": lambda m: _c(1.0, 2, 0.5, 0.1, 0.0, threshold=0.1),
    "load.LoadMonitor": lambda m: _c(0.1),
    "load.sample_load": lambda m: _c(0.05, 0.1),
    "memory.pss_bytes": lambda m: _c(children=False),
    "memory.pss_mib": lambda m: _c(children=False),
    "onnx_tools.export_onnx": lambda m: _c(nn.Linear(2, 2), torch.zeros(1, 2), A_FOLDER),
    "onnx_tools.onnx_summary": lambda m: _c(A_FILE),
    "onnx_tools.OnnxSummary": lambda m: _c(13, "pytorch", 2, {"Gemm": 2}, n_weights=4, size_mb=0.1),
    "opencv_apps.DepthError": lambda m: _c(0.01, 0.9, 0.05, 0.8),
    "opencv_apps.MotionError": lambda m: _c(0.5, 1.0, 2.0),
    "opencv_apps.PanoramaError": lambda m: _c(1.0, 0.5, 0.9),
    "opencv_apps.overlapping_views": lambda m: _c(np.zeros((64, 96, 3), np.uint8), n_views=2,
                                                  overlap=0.4, height_fraction=0.8),
    "opencv_apps.stereo_q_matrix": lambda m: _c(100.0, 0.1, 32.0, 24.0, doffs_px=0.0),
    "opencv_apps.depth_error": lambda m: _c(np.ones((4, 4)), np.ones((4, 4)), 100.0, 0.1,
                                            doffs_px=0.0, tolerance=0.05),
    "pretrained.same_padding": lambda m: _c(8, 3, 1),
    "pretrained.Conv2dSame": lambda m: _c(2, 2, 3, stride=1, groups=1),
    "pretrained.MBConvBlock": lambda m: _c(4, 4, 3, 1, 1),
    "pretrained.EfficientNetLite0": lambda m: _c(10, dropout=0.2),
    "pretrained.UpperLayers": lambda m: _c(_lite0(m), 5),
    "pretrained.fine_tune_param_groups": lambda m: _c(_lite0(m), 5, 1e-3, 1e-2),
    "pretrained.first_block_of_stage": lambda m: _c(5),
    "pretrained.preprocess": lambda m: _c(np.zeros((40, 30, 3), np.uint8), size=32),
    "pretrained.top_k": lambda m: _c(torch.randn(1000), k=3),
    "pretrained_keras.conv_kernel_to_keras": lambda m: _c(torch.zeros(2, 2, 3, 3), depthwise=False),
    "pretrained_keras.to_channels_last": lambda m: _c(torch.zeros(1, 3, 4, 4)),
    "profiling.Span": lambda m: _c("data", 0.0, 1e-3),
    "profiling.read_spans": lambda m: _c({"traceEvents": []}, ("data", "step")),
    "records.names": lambda m: _c(A_FOLDER),
    "seed.seed_everything": lambda m: _c(0),
    "settings.tensorboard_public_url": lambda m: _c(6006),
    "settings.visdom_env_url": lambda m: _c("course", 8097),
    "settings.visdom_public_url": lambda m: _c(8097),
    "tfevents.event_files": lambda m: _c(A_FOLDER),
    "tfevents.read_scalars": lambda m: _c(A_FOLDER),
    "tfevents.smooth": lambda m: _c([1.0, 2.0, 3.0], 0.6),
    "tfevents.plot_scalars": lambda m: _c({"loss": [(0, 1.0), (1, 0.5)]}, smoothing=0.6),
    "timing.Timing": lambda m: _c("x", "cpu", 1, [1e-3, 2e-3], flops=1e6),
    "timing.compare": lambda m: _c({"x": lambda: None}, rounds=1, min_run_time=0.01, warmup=1, threads=1),
    "timing.format_seconds": lambda m: _c(1e-3),
    "timing.matmul_flops": lambda m: _c(8, 8, 8),
    "timing.benchmark": lambda m: _c(lambda: None, warmup=1, min_run_time=0.01, threads=1, flops=1.0),
    "training.make_loader": lambda m: _c(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), 2,
                                         shuffle=False, seed=0),
    "training.History": lambda m: _c([(0, 1.0)], [1.0], [1.0], [0.5]),
    "training.accuracy": lambda m: _c(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)),
    "trees.random_tree": lambda m: _c(3, 5, np.random.default_rng(0)),
    "trees.TreeNet": lambda m: _c(5, 4),
    "trees.expect_tree": lambda m: _c(((1, 2), 3), vocab_size=5),
    "twolayer.two_layer_problem": lambda m: _c(0, 4, 3, 2, 2),
    "vision.tensor_to_image": lambda m: _c(torch.zeros(3, 4, 4)),
    "vision.homography_corner_error": lambda m: _c(np.eye(3), np.eye(3), 8, 8),
    "vision.DisparityError": lambda m: _c(1.0, 0.5, 0.1, 2.0, 0.9),
    "vision.disparity_error": lambda m: _c(np.ones((4, 4)), np.ones((4, 4)), threshold=2.0),
    "vision.write_moving_disc_video": lambda m: _c(TMP / "disc.avi", 4, (64, 48), 10.0, radius=4),
    "vision.detect_faces": lambda m: _c(np.zeros((64, 64, 3), np.uint8), 1.2, 30, 60),
}

# Names with a swept parameter and no example here, and why.
NO_EXAMPLE: dict[str, str] = {
    "benchmarks.write_record": "writes into the data folder; its bad input is in training_timing.py",
    "data.verify_all": "reads the whole data folder; bad folders are in vision_data.py",
    "data.write_manifest": "rewrites a manifest; bad folders are in vision_data.py",
    "distributed.ddp_worker": "runs inside a started process group; tested in test_distributed.py",
    "distributed.mismatched_worker": "runs inside a started process group; tested in test_distributed.py",
    "errors.expect_int": "the validators themselves; settings_errors.py",
    "errors.expect_number": "the validators themselves; settings_errors.py",
    "errors.expect_array": "the validators themselves; settings_errors.py",
    "errors.expect_tensor": "the validators themselves; settings_errors.py",
    "hosted.install": "installs packages; hosted_setup.py and test_hosted.py",
    "live.LivePlot": "opens a plot; bad input in training_timing.py",
    "load.other_programs_busy": "starts busy processes; test_load.py",
    "pretrained.verify_weights": "hashes the 19 MB weights; bad paths in vision_data.py",
    "pretrained.load_state_dict": "reads the 19 MB weights; bad paths in vision_data.py",
    "pretrained.load_efficientnet_lite0": "builds the pretrained network; vision_data.py",
    "records.load": "reads a named record; test_records.py",
    "records.show": "prints a named record; test_records.py",
    "records.load_claims": "reads the claims file; test_records.py",
    "training.evaluate": "takes a model and batches; training_timing.py",
    "training.fit": "trains; training_timing.py",
    "training.train_epoch": "trains; training_checkpoints.py",
    "training.save_checkpoint": "needs a model and optimizer, writes a file; training_checkpoints.py",
    "training.load_checkpoint": "needs a saved checkpoint; training_checkpoints.py",
    "opencv_apps.panorama_error": "needs a stitched panorama; opencv_apps.py",
    "opencv_apps.camera_path": "renders a video path; opencv_apps.py",
}

# (name, parameter, bad kind) -> why the function may take that value.
ACCEPTED: dict[tuple[str, str, str], str] = {
    ("autograd_tools.graph_tree", "tensor", "dtype"): "draws the graph of a tensor of any dtype",
    ("autograd_tools.graph_nodes", "tensor", "dtype"): "lists the graph of a tensor of any dtype",
    ("autograd_tools.graph_tree", "tensor", "nan"): "draws the graph; values are not read",
    ("autograd_tools.graph_nodes", "tensor", "nan"): "lists the graph; values are not read",
    ("pretrained_keras.conv_kernel_to_keras", "weight", "nan"): "a layout change; values are copied",
    ("pretrained_keras.to_channels_last", "x", "nan"): "a layout change; values are copied",
    ("pretrained_keras.conv_kernel_to_keras", "weight", "dtype"): "a layout change of any dtype",
    ("pretrained_keras.to_channels_last", "x", "dtype"): "a layout change of any dtype",
    ("vision.tensor_to_image", "tensor", "dtype"): "a uint8 image tensor is a valid image",
    ("pretrained.top_k", "logits", "dtype"): "integer scores are converted to float for the softmax",
    ("training.accuracy", "logits", "dtype"): "the largest score is found in any dtype",
    ("training.make_loader", "x", "dtype"): "features may be integers (token ids for an embedding)",
    ("training.make_loader", "y", "dtype"): "targets may be floats (a regression)",
    ("data.manifest_entries", "manifest", "missing"): "an absent manifest lists nothing",
    ("onnx_tools.export_onnx", "example", "nan"): "the example input only gives the shapes to trace",
}

SWEPT = ("int", "float", "bool", "path", "tensor")
FOLDER_WORDS = ("dir", "root", "folder")


def _kind(annotation: Any) -> str | None:
    text = str(annotation).replace("'", "")
    if text in ("int", "int | None"):
        return "int"
    if text in ("float", "float | None"):
        return "float"
    if text in ("bool", "bool | None"):
        return "bool"
    if "Path" in text and "Sequence" not in text:
        return "path"
    if text in ("torch.Tensor", "Tensor"):
        return "tensor"
    return None


def public_callables() -> dict[str, Any]:
    """module.name -> object for each public function and class of the lesson-facing modules."""
    out = {}
    for info in pkgutil.iter_modules(course_lib.__path__):
        if info.name in {"exercises", "solutions", "tools"}:
            continue
        module = importlib.import_module(f"course_lib.{info.name}")
        for name, obj in vars(module).items():
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj)) \
                    and obj.__module__ == module.__name__:
                out[f"{info.name}.{name}"] = obj
    return out


def swept_parameters(obj: Any) -> list[tuple[str, str]]:
    """(parameter, kind) for each parameter of ``obj`` whose annotation is a swept kind."""
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return []
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    return [(p.name, k) for p in sig.parameters.values() if (k := _kind(p.annotation)) is not None]


def _bad_values(kind: str, param: str, good: Any, func: str) -> list[tuple[str, Any]]:
    """(label, value) pairs: the bad values of this kind for this parameter."""
    if kind == "int":
        return [("int", True), ("int", 2.5)]
    if kind == "float":
        return [("float", float("nan")), ("float", float("inf")), ("float", "1")]
    if kind == "bool":
        return [("bool", "no"), ("bool", 2)]
    if kind == "path":
        folder = any(w in param.lower() for w in FOLDER_WORDS)
        out = [("path", A_FILE if folder else A_FOLDER)]
        if not func.split(".")[1].startswith(("write", "export")):
            out.append(("missing", MISSING))
        return out
    if kind == "tensor" and isinstance(good, torch.Tensor):
        if good.is_floating_point():
            nan = good.clone()
            if nan.numel():
                nan.view(-1)[0] = float("nan")
            return [("dtype", good.to(torch.int64)), ("nan", nan)]
        return [("dtype", good.to(torch.float32))]
    return []


def _substituted(obj: Any, call: Call, param: str, value: Any) -> Call | None:
    """The example call with ``param`` set to ``value`` (None if the example does not pass it)."""
    args, kwargs = call
    sig = inspect.signature(obj)
    bound = sig.bind_partial(*args, **kwargs)
    bound.arguments[param] = value
    return tuple(bound.args), dict(bound.kwargs)


def _case(name: str, param: str, value: Any) -> Case:
    module_name, attr = name.split(".", 1)

    def call(m: ModuleType) -> Any:
        obj = getattr(m, attr)
        args, kwargs = _substituted(obj, EXAMPLES[name](m), param, value)  # type: ignore[misc]
        return obj(*args, **kwargs)

    call.__qualname__ = f"{param}={value!r}"[:80]
    return Case(name, call, param)


def _dataclass_cases(name: str, obj: Any) -> list[Case]:
    """Each field of a dataclass given a value of the wrong type."""
    cases = []
    for f in dataclasses.fields(obj):
        if not f.init:
            continue
        text = str(f.type).replace("'", "")
        if text.startswith(("int", "float")):
            wrong: Any = "3"
        elif text.startswith("str"):
            wrong = 3
        elif text.startswith("list"):
            wrong = "abc"
        elif text.startswith("bool"):
            wrong = "yes"
        else:
            continue
        if name in EXAMPLES and (name, f.name, "field") not in ACCEPTED:
            cases.append(_case(name, f.name, wrong))
    return cases


def _cases() -> list[Case]:
    import course_lib.errors  # noqa: F401 - the errors module must import before any case runs

    cases: list[Case] = []
    objects = public_callables()
    for name, obj in sorted(objects.items()):
        if name not in EXAMPLES:
            continue
        module = importlib.import_module(f"course_lib.{name.split('.')[0]}")
        call = EXAMPLES[name](module)
        bound = inspect.signature(obj).bind_partial(*call[0], **call[1])
        sig = inspect.signature(obj)
        for param, kind in swept_parameters(obj):
            default = sig.parameters[param].default
            good = bound.arguments.get(param, default)
            for label, value in _bad_values(kind, param, good, name):
                if (name, param, label) not in ACCEPTED:
                    cases.append(_case(name, param, value))
        if dataclasses.is_dataclass(obj):
            cases.extend(_dataclass_cases(name, obj))
    return cases


def missing_examples() -> list[str]:
    """Public names with a swept parameter, or dataclasses, that have neither example nor reason."""
    out = []
    for name, obj in public_callables().items():
        if (swept_parameters(obj) or dataclasses.is_dataclass(obj)) and name not in EXAMPLES \
                and name not in NO_EXAMPLE:
            out.append(name)
    return sorted(out)


CASES = _cases()

COVERED_ELSEWHERE: dict[str, str] = {
    "benchmarks.cpu_bf16_flags": "no arguments; tested in test_benchmarks.py",
}
