"""course_lib.onnx_tools: export a small model, run it with cv2.dnn, summarise the file."""

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from course_lib.errors import CourseInputError
from course_lib.onnx_tools import OnnxSummary, export_onnx, onnx_summary


def _tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = _tiny_model()
    model.train()  # export must switch to eval (BatchNorm uses running stats) and back
    x = torch.randn(1, 3, 16, 16)
    path = export_onnx(model, x, tmp_path_factory.mktemp("onnx"), "tiny.onnx", "image", "logits")
    return model, x, path


def test_export_writes_one_self_contained_file_and_restores_mode(exported):
    model, _, path = exported
    assert path.name == "tiny.onnx" and path.is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.onnx"]
    assert model.training


def test_exported_graph_runs_in_opencv_with_the_same_answer(exported):
    model, x, path = exported
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setInput(x.numpy())
    out = net.forward()
    model.eval()
    with torch.no_grad():
        expected = model(x).numpy()
    model.train()
    assert out.shape == (1, 5)
    assert np.abs(out - expected).max() < 1e-4


def test_export_refuses_bad_arguments(tmp_path):
    model, x = _tiny_model(), torch.randn(1, 3, 8, 8)
    with pytest.raises(CourseInputError, match="model: expected a torch.nn.Module"):
        export_onnx(lambda t: t, x, tmp_path)
    with pytest.raises(CourseInputError, match="example: expected a torch.Tensor"):
        export_onnx(model, x.numpy(), tmp_path)
    with pytest.raises(CourseInputError, match="folder: expected an existing folder"):
        export_onnx(model, x, tmp_path / "missing")
    with pytest.raises(CourseInputError, match="name: expected a file name ending in .onnx"):
        export_onnx(model, x, tmp_path, "model.pt")
    with pytest.raises(CourseInputError, match="folder: expected a path"):
        export_onnx(model, x, 3)
    with pytest.raises(CourseInputError, match="input_name: expected a non-empty str"):
        export_onnx(model, x, tmp_path, input_name=3)  # used to fail deep in the ONNX serialiser
    with pytest.raises(CourseInputError, match="two different names"):
        export_onnx(model, x, tmp_path, input_name="x", output_name="x")  # used to be accepted


def test_export_refuses_an_example_the_model_cannot_take(tmp_path):
    model = _tiny_model()
    model.train()
    with pytest.raises(CourseInputError, match=r"model\(example\) with example Tensor of shape \(1, 4, 8"):
        export_onnx(model, torch.randn(1, 4, 8, 8), tmp_path)
    assert model.training and not any(tmp_path.iterdir())


def test_onnx_summary_describes_the_graph(exported):
    _, _, path = exported
    s = onnx_summary(path)
    assert isinstance(s, OnnxSummary)
    assert s.inputs == {"image": (1, 3, 16, 16)} and s.outputs == {"logits": (1, 5)}
    assert s.opset >= 17 and s.n_nodes == sum(s.op_counts.values())
    assert "Conv" in s.op_counts and ("Gemm" in s.op_counts or "MatMul" in s.op_counts)
    # conv 3*4*9 + 4 bias, linear 4*5 + 5; BatchNorm may be folded into the conv or kept
    assert 3 * 4 * 9 + 4 + 4 * 5 + 5 <= s.n_weights <= 3 * 4 * 9 + 4 + 4 * 5 + 5 + 4 * 4
    assert s.size_mb > 0 and "opset" in str(s)


def test_onnx_summary_refuses_bad_paths(tmp_path):
    with pytest.raises(CourseInputError, match="existing .onnx file"):
        onnx_summary(tmp_path / "missing.onnx")
    other = tmp_path / "weights.pt"
    other.write_bytes(b"x")
    with pytest.raises(CourseInputError, match="existing .onnx file"):
        onnx_summary(other)
    with pytest.raises(CourseInputError, match="path: expected a path"):
        onnx_summary(3)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x01\x12\x00garbage")
    with pytest.raises(CourseInputError, match="not a readable ONNX file"):
        onnx_summary(str(garbage))
