"""Export a torch model to ONNX (quietly, into a folder you choose) and describe the file it wrote.

The course uses torch's current exporter, ``torch.onnx.export(..., dynamo=True)``: it captures
the model with ``torch.export`` and translates the captured graph with onnxscript. The older
TorchScript-based exporter (``dynamo=False``) still works, but since torch 2.9 it is no longer
the default and raises a DeprecationWarning calling itself legacy.
Both produce files that OpenCV 5's ``cv2.dnn.readNetFromONNX`` runs; lesson 09 shows it.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from course_lib.errors import CourseInputError, describe, expect, expect_fields, expect_path, wrapped


def export_onnx(model: nn.Module, example: torch.Tensor, folder: str | Path,
                name: str = "model.onnx", input_name: str = "input",
                output_name: str = "output") -> Path:
    """Export ``model`` traced on ``example`` to ``folder/name`` as one self-contained ONNX file.

    The model is exported in eval mode with a fixed input shape (that of ``example``). The
    weights are stored inside the .onnx file (no separate ``.data`` file). Returns the path.
    ``model(example)`` runs once first, so that a wrong example gets a short message.
    """
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    expect(isinstance(example, torch.Tensor), "example", "a torch.Tensor input for the model",
           example)
    out_dir = expect_path(folder, "folder", exists="dir")
    expect(isinstance(name, str) and name.endswith(".onnx") and "/" not in name and "\\" not in name,
           "name", "a file name ending in .onnx, without folders", name)
    for arg, value in (("input_name", input_name), ("output_name", output_name)):
        expect(isinstance(value, str) and value != "", arg, "a non-empty str naming the graph's tensor",
               value)
    if input_name == output_name:
        raise CourseInputError(f"input_name, output_name: expected two different names, got {input_name!r} "
                               "for both.")
    path = out_dir / name
    was_training = model.training
    model.eval()
    onnx_logger = logging.getLogger("torch.onnx")
    previous_level = onnx_logger.level
    # The exporter logs one warning per torchvision operator it cannot register because
    # torchvision is not installed (the course cannot use it); no model here needs them.
    onnx_logger.setLevel(logging.ERROR)
    try:
        with torch.no_grad(), wrapped(f"export_onnx: model(example) with example {describe(example)}"):
            model(example)
        with warnings.catch_warnings():
            # torch's own pytree code trips a FutureWarning inside torch.export; not ours to fix.
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.|copyreg")
            warnings.filterwarnings("ignore", message=r".*LeafSpec.*", category=FutureWarning)
            with torch.no_grad():
                torch.onnx.export(model, (example,), str(path), dynamo=True,
                                  external_data=False, optimize=True, verbose=False,
                                  input_names=[input_name], output_names=[output_name])
    except CourseInputError:
        raise
    except Exception as exc:
        raise CourseInputError(f"export_onnx of {type(model).__name__} on example {describe(example)}: "
                               f"{type(exc).__name__} from torch.onnx.export: {_summary_line(exc)}") from exc
    finally:
        onnx_logger.setLevel(previous_level)
        model.train(was_training)
    return path


def _summary_line(exc: BaseException) -> str:
    """The line of an exporter error that names the cause (its "Exception summary"), at most 200 chars."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    cause = next((line for line in lines if line.startswith("<class '")), lines[-1] if lines else "")
    return cause[:200]


@dataclass(frozen=True)
class OnnxSummary:
    """What an ONNX file holds: its operator set, graph size, inputs, outputs and weights."""

    opset: int
    producer: str
    n_nodes: int
    op_counts: dict[str, int] = field(repr=False)
    inputs: dict[str, tuple[int | str, ...]] = field(default_factory=dict)
    outputs: dict[str, tuple[int | str, ...]] = field(default_factory=dict)
    n_weights: int = 0
    size_mb: float = 0.0

    def __post_init__(self) -> None:
        expect_fields(self)

    def __str__(self) -> str:
        common = ", ".join(f"{op} {n}" for op, n in list(self.op_counts.items())[:6])
        return (f"ONNX opset {self.opset} from {self.producer}: {self.n_nodes} nodes "
                f"({common}, ...), {self.n_weights / 1e6:.2f} M weights, {self.size_mb:.1f} MB; "
                f"inputs {self.inputs}, outputs {self.outputs}")


def _shape(value_info: object) -> tuple[int | str, ...]:
    dims = value_info.type.tensor_type.shape.dim  # type: ignore[attr-defined]
    return tuple(d.dim_value if d.HasField("dim_value") else d.dim_param for d in dims)


def onnx_summary(path: str | Path) -> OnnxSummary:
    """Read an .onnx file with the ``onnx`` package and summarise its graph (nothing is run)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    p = expect_path(path, "path")
    if not p.is_file() or p.suffix != ".onnx":
        raise CourseInputError(f"path: expected an existing .onnx file, got {p.name!r}.")
    with wrapped(f"onnx_summary({p.name!r}), which is not a readable ONNX file"):
        model = onnx.load(str(p))
    graph = model.graph
    counts = Counter(node.op_type for node in graph.node)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    initializer_names = {i.name for i in graph.initializer}
    n_weights = sum(int(np.prod(numpy_helper.to_array(t).shape)) for t in graph.initializer)
    return OnnxSummary(
        opset=int(opset),
        producer=f"{model.producer_name} {model.producer_version}".strip(),
        n_nodes=len(graph.node),
        op_counts=dict(counts.most_common()),
        inputs={i.name: _shape(i) for i in graph.input if i.name not in initializer_names},
        outputs={o.name: _shape(o) for o in graph.output},
        n_weights=n_weights,
        size_mb=p.stat().st_size / 1e6,
    )
