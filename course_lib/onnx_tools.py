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

from course_lib.errors import CourseInputError, expect


def export_onnx(model: nn.Module, example: torch.Tensor, folder: str | Path,
                name: str = "model.onnx", input_name: str = "input",
                output_name: str = "output") -> Path:
    """Export ``model`` traced on ``example`` to ``folder/name`` as one self-contained ONNX file.

    The model is exported in eval mode with a fixed input shape (that of ``example``). The
    weights are stored inside the .onnx file (no separate ``.data`` file). Returns the path.
    """
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    expect(isinstance(example, torch.Tensor), "example", "a torch.Tensor input for the model",
           example)
    expect(isinstance(folder, (str, Path)), "folder", "an existing folder (str or Path)", folder)
    out_dir = Path(folder)
    if not out_dir.is_dir():
        raise CourseInputError(f"folder: expected an existing folder, got {str(folder)!r}.")
    expect(isinstance(name, str) and name.endswith(".onnx") and "/" not in name and "\\" not in name,
           "name", "a file name ending in .onnx, without folders", name)
    path = out_dir / name
    was_training = model.training
    model.eval()
    onnx_logger = logging.getLogger("torch.onnx")
    previous_level = onnx_logger.level
    # The exporter logs one warning per torchvision operator it cannot register because
    # torchvision is not installed (the course cannot use it); no model here needs them.
    onnx_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # torch's own pytree code trips a FutureWarning inside torch.export; not ours to fix.
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.|copyreg")
            warnings.filterwarnings("ignore", message=r".*LeafSpec.*", category=FutureWarning)
            with torch.no_grad():
                torch.onnx.export(model, (example,), str(path), dynamo=True,
                                  external_data=False, optimize=True, verbose=False,
                                  input_names=[input_name], output_names=[output_name])
    finally:
        onnx_logger.setLevel(previous_level)
        model.train(was_training)
    return path


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

    expect(isinstance(path, (str, Path)), "path", "the path of an .onnx file", path)
    p = Path(path)
    if not p.is_file() or p.suffix != ".onnx":
        raise CourseInputError(f"path: expected an existing .onnx file, got {p.name!r}.")
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
