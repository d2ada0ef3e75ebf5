"""Bad input for course_lib's training, timing and tooling modules.

training, twolayer, timing, benchmarks, load, memory, records, live, tfevents, trees,
distributed and gpt. No case trains for real, times for long or starts a process: every call
must be refused by an argument check first.
"""

import atexit
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from bad_inputs import Case

NAN, INF = float("nan"), float("inf")
LONG = torch.long
_TMP: list[Path] = []


def _tmp() -> Path:
    """A scratch folder, made once per run."""
    if not _TMP:
        _TMP.append(Path(tempfile.mkdtemp(prefix="bad_inputs_tt_")))
        atexit.register(shutil.rmtree, _TMP[0], ignore_errors=True)
    return _TMP[0]


def _enter(cm):
    with cm:
        pass


# -- training ---------------------------------------------------------------------------------

def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3))


def _xy(n=8):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def _fit(m, **change):
    model = change.pop("model", None) or _net()
    if "optimizer" not in change:
        change["optimizer"] = torch.optim.SGD(model.parameters(), lr=0.1)
    kwargs = {"train": _xy(), "epochs": 1, "progress": False, **change}
    return m.fit(model, **kwargs)


def _other_optimizer():
    return torch.optim.SGD(_net().parameters(), lr=0.1)


def _frozen():
    net = _net()
    net.requires_grad_(False)
    return net


def _sum_loss(logits, y):
    return F.cross_entropy(logits, y, reduction="none")


TRAINING = [
    Case("training.History", lambda m: m.History(train_loss=3), "train_loss: expected a list"),
    Case("training.History", lambda m: m.History(val_loss="0.5"), "val_loss: expected a list"),
    Case("training.History", lambda m: m.History(step_loss=[0.5]), "step_loss: expected a list of (step"),
    Case("training.make_loader", lambda m: m.make_loader(np.zeros((4, 4)), torch.zeros(4)),
         "x: expected a torch.Tensor"),
    Case("training.make_loader", lambda m: m.make_loader(torch.zeros(4, 4), [0, 1, 2, 3]),
         "y: expected a torch.Tensor"),
    Case("training.make_loader", lambda m: m.make_loader(torch.zeros(4, 4), torch.zeros(5)),
         "same number of rows"),
    Case("training.make_loader", lambda m: m.make_loader(torch.zeros(()), torch.zeros(())),
         "same number of rows"),
    Case("training.make_loader", lambda m: m.make_loader(*_xy(), batch_size=True),
         "batch_size: expected an int"),
    Case("training.make_loader", lambda m: m.make_loader(*_xy(), batch_size=0),
         "batch_size: expected an int"),
    Case("training.make_loader", lambda m: m.make_loader(*_xy(), batch_size=2.0),
         "batch_size: expected an int"),
    Case("training.make_loader", lambda m: m.make_loader(*_xy(), shuffle="yes"),
         "shuffle: expected True or False"),
    Case("training.make_loader", lambda m: m.make_loader(*_xy(), seed="0"), "seed: expected an int"),
    Case("training.make_loader", lambda m: m.make_loader(*_xy(), seed=True), "seed: expected an int"),
    Case("training.make_loader", lambda m: m.make_loader(torch.full((4, 4), NAN), torch.zeros(4)),
         "x: expected finite values"),
    Case("training.accuracy", lambda m: m.accuracy(np.zeros((4, 3)), torch.zeros(4, dtype=LONG)),
         "logits: expected a torch.Tensor"),
    Case("training.accuracy", lambda m: m.accuracy(torch.zeros(4), torch.zeros(4, dtype=LONG)),
         "logits: expected a torch.Tensor with 2 dimension"),
    Case("training.accuracy", lambda m: m.accuracy(torch.zeros(4, 3), torch.zeros(2, dtype=LONG)),
         "y: expected a 1-D tensor of labels of shape (4,)"),
    Case("training.accuracy", lambda m: m.accuracy(torch.zeros(4, 3), torch.zeros(4)), "dtype int"),
    Case("training.accuracy", lambda m: m.accuracy(torch.zeros(2, 3), torch.tensor([0, 5])),
         "y: expected values from 0 to 2"),
    Case("training.accuracy", lambda m: m.accuracy(torch.full((2, 3), NAN), torch.tensor([0, 1])),
         "logits: expected finite values"),
    Case("training.accuracy", lambda m: m.accuracy(torch.zeros(0, 3), torch.zeros(0, dtype=LONG)),
         "logits: expected at least one row"),
    Case("training.evaluate", lambda m: m.evaluate(lambda x: x, _xy()), "model: expected a torch.nn.Module"),
    Case("training.evaluate", lambda m: m.evaluate(_net(), [1, 2]), "data: expected a DataLoader or a pair"),
    Case("training.evaluate", lambda m: m.evaluate(_net(), _xy(), loss_fn="mse"),
         "loss_fn: expected a function"),
    Case("training.evaluate", lambda m: m.evaluate(_net(), _xy(), batch_size=True),
         "batch_size: expected an int"),
    Case("training.evaluate", lambda m: m.evaluate(_net(), _xy(), loss_fn=_sum_loss), "returning a scalar"),
    Case("training.evaluate", lambda m: m.evaluate(nn.Linear(5, 3), _xy()), "from the library below"),
    Case("training.evaluate", lambda m: m.evaluate(_net(), (torch.randn(4, 4), torch.tensor([0, 1, 2, 7]))),
         "from the library below"),
    Case("training.evaluate", lambda m: m.evaluate(_net(), (torch.full((4, 4), NAN), _xy(4)[1])),
         "data x: expected finite values"),
    Case("training.fit", lambda m: _fit(m, optimizer=torch.optim.SGD(_net().parameters(), lr=0.1)),
         "holds none of the model's"),
    Case("training.fit", lambda m: _fit(m, model=_frozen(), optimizer=_other_optimizer()),
         "no trainable parameters"),
    Case("training.fit", lambda m: _fit(m, optimizer=None), "optimizer: expected a torch.optim.Optimizer"),
    Case("training.fit", lambda m: _fit(m, epochs=True), "epochs: expected an int"),
    Case("training.fit", lambda m: _fit(m, epochs=0), "epochs: expected an int"),
    Case("training.fit", lambda m: _fit(m, epochs=2.0), "epochs: expected an int"),
    Case("training.fit", lambda m: _fit(m, log_every=True), "log_every: expected an int"),
    Case("training.fit", lambda m: _fit(m, progress="yes"), "progress: expected True or False"),
    Case("training.fit", lambda m: _fit(m, loss_fn=3), "loss_fn: expected a function"),
    Case("training.fit", lambda m: _fit(m, loss_fn=_sum_loss), "returning a scalar"),
    Case("training.fit", lambda m: _fit(m, live="plot"), "live: expected None or a LivePlot"),
    Case("training.fit", lambda m: _fit(m, train=(torch.full((8, 4), NAN), _xy()[1])),
         "train x: expected finite values"),
    Case("training.fit", lambda m: _fit(m, train=[1, 2, 3]), "train: expected a DataLoader or a pair"),
    Case("training.fit", lambda m: _fit(m, val=(torch.ones(3, 4), torch.ones(4))), "same number of rows"),
    Case("training.fit", lambda m: _fit(m, seed="a"), "seed: expected an int"),
    Case("training.fit", lambda m: _fit(m, batch_size=0), "batch_size: expected an int"),
    Case("training.fit", lambda m: _fit(m, train=(_xy()[0].double(), _xy()[1])), "from the library below"),
    Case("training.fit", lambda m: _fit(m, model="net", optimizer=torch.optim.SGD(_net().parameters(), 0.1)),
         "model: expected a torch.nn.Module"),
]

# -- twolayer -----------------------------------------------------------------------------------


def _small_problem(m):
    return m.two_layer_problem(n=4, d_in=5, h=3, d_out=2)


TWOLAYER = [
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(seed=True), "seed: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(seed=-1), "seed: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(seed=1.5), "seed: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(n=True), "n: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(n=0), "n: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(h="100"), "h: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(d_out=100_001),
         "d_out: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(d_in=2.0), "d_in: expected an int"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(dtype=np.int32),
         "dtype: expected np.float32 or np.float64"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(dtype=None),
         "dtype: expected np.float32 or np.float64"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(dtype="nonsense"),
         "dtype: expected np.float32 or np.float64"),
    Case("twolayer.two_layer_problem", lambda m: m.two_layer_problem(n=100_000, d_in=100_000),
         "numbers in all"),
    Case("twolayer.numpy_loss", lambda m: m.numpy_loss([[1.0]], *_small_problem(m)[1:]),
         "x: expected a NumPy array"),
    Case("twolayer.numpy_loss", lambda m: m.numpy_loss(_small_problem(m).x[0], *_small_problem(m)[1:]),
         "x: expected a NumPy array with 2 dimension"),
    Case("twolayer.numpy_loss", lambda m: m.numpy_loss(*_small_problem(m)[:2], _small_problem(m).w2,
                                                       _small_problem(m).w1), "shapes: expected x (n, d_in)"),
    Case("twolayer.numpy_loss", lambda m: m.numpy_loss(*_small_problem(m)[:2], np.full((5, 3), np.nan),
                                                       _small_problem(m).w2), "w1: expected finite values"),
    Case("twolayer.numpy_loss", lambda m: m.numpy_loss(*_small_problem(m)[:3],
                                                       _small_problem(m).w2.astype(object)), "w2: expected"),
    Case("twolayer.numpy_loss", lambda m: m.numpy_loss(_small_problem(m).x, np.zeros(4), _small_problem(m).w1,
                                                       _small_problem(m).w2),
         "y: expected a NumPy array with 2 dimension"),
    Case("twolayer.TwoLayerProblem", lambda m: m.numpy_loss(*m.TwoLayerProblem(*[[[1.0]]] * 4)),
         "x: expected a NumPy array"),
    Case("twolayer.TwoLayerProblem", lambda m: m.numpy_loss(*m.TwoLayerProblem(*_small_problem(m)[::-1])),
         "shapes: expected"),
]

# -- timing -------------------------------------------------------------------------------------


def _timing(m, **change):
    kwargs = {"label": "x", "device": "cpu", "threads": 1, "times": [0.1, 0.2]}
    kwargs.update(change)
    return m.Timing(**kwargs)


def _one_arg(x):
    return x


TIMING = [
    Case("timing.Timing", lambda m: _timing(m, times=[]), "times: expected a non-empty list"),
    Case("timing.Timing", lambda m: _timing(m, times=[-1.0]), "times: expected a finite number"),
    Case("timing.Timing", lambda m: _timing(m, times=[NAN]), "times: expected a finite number"),
    Case("timing.Timing", lambda m: _timing(m, threads=True), "threads: expected an int"),
    Case("timing.Timing", lambda m: _timing(m, flops=-1.0), "flops: expected a finite number"),
    Case("timing.Timing", lambda m: _timing(m, label=3), "label: expected a str"),
    Case("timing.format_seconds", lambda m: m.format_seconds(-1.0), "seconds: expected a finite number"),
    Case("timing.format_seconds", lambda m: m.format_seconds(NAN), "seconds: expected a finite number"),
    Case("timing.format_seconds", lambda m: m.format_seconds(True), "seconds: expected a finite number"),
    Case("timing.format_seconds", lambda m: m.format_seconds("1 s"), "seconds: expected a finite number"),
    Case("timing.format_seconds", lambda m: m.format_seconds(None), "seconds: expected a finite number"),
    Case("timing.matmul_flops", lambda m: m.matmul_flops(True), "n: expected an int"),
    Case("timing.matmul_flops", lambda m: m.matmul_flops(0), "n: expected an int"),
    Case("timing.matmul_flops", lambda m: m.matmul_flops(2.5), "n: expected an int"),
    Case("timing.matmul_flops", lambda m: m.matmul_flops(4, m=True), "m: expected an int"),
    Case("timing.matmul_flops", lambda m: m.matmul_flops(4, k=-1), "k: expected an int"),
    Case("timing.benchmark", lambda m: m.benchmark(3), "fn: expected a function"),
    Case("timing.benchmark", lambda m: m.benchmark(_one_arg),
         "fn: expected a function that takes no arguments"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, warmup=True), "warmup: expected an int"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, warmup=-1), "warmup: expected an int"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, min_run_time=0),
         "min_run_time: expected a finite"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, min_run_time=True),
         "min_run_time: expected a finite"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, min_run_time=INF),
         "min_run_time: expected a finite"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, threads=0), "threads: expected an int"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, threads=True), "threads: expected an int"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, threads=4096), "threads: expected an int"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, flops=-5.0),
         "flops: expected a finite number"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, flops=True),
         "flops: expected a finite number"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, flops=INF),
         "flops: expected a finite number"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, label=3), "label: expected a str"),
    Case("timing.benchmark", lambda m: m.benchmark(lambda: None, device="tpu"), "device"),
]

# -- benchmarks ---------------------------------------------------------------------------------


def _point(m, **change):
    kwargs = dict(op="matmul", library="torch", device="cpu", threads=2, size=100, seconds=0.002,
                  flops=2e6, bytes=120_000.0)
    kwargs.update(change)
    return m.Point(**kwargs)


def _bm_record(m, **point):
    rec = m.make_record([_point(m)])
    rec["points"][0].update(point)
    return rec


ROW = {"id": "02.matmul", "library": "torch", "device": "cpu", "threads": 1, "n": 512, "median_s": 0.01}

BENCHMARKS = [
    Case("benchmarks.Point", lambda m: _point(m, op="conv"), "op: expected one of"),
    Case("benchmarks.Point", lambda m: _point(m, seconds=0.0), "seconds: expected a finite number above 0"),
    Case("benchmarks.Point", lambda m: _point(m, seconds="0.1"), "seconds: expected a finite number"),
    Case("benchmarks.Point", lambda m: _point(m, threads=True), "threads: expected an int"),
    Case("benchmarks.Point", lambda m: _point(m, size=0), "size: expected an int"),
    Case("benchmarks.Point", lambda m: _point(m, precision="fp16"), "precision: expected one of"),
    Case("benchmarks.Point", lambda m: _point(m, other_share=2.0), "other_share: expected a finite number"),
    Case("benchmarks.Point", lambda m: _point(m, bytes=0.0), "bytes: expected a finite number above 0"),
    Case("benchmarks.op_cost", lambda m: m.op_cost("conv", 10), "op: expected one of"),
    Case("benchmarks.op_cost", lambda m: m.op_cost("add", True), "n: expected an int"),
    Case("benchmarks.op_cost", lambda m: m.op_cost("add", 0), "n: expected an int"),
    Case("benchmarks.op_cost", lambda m: m.op_cost("add", 2.0), "n: expected an int"),
    Case("benchmarks.op_cost", lambda m: m.op_cost("add", 10, True), "bytes_per_element: expected an int"),
    Case("benchmarks.op_cost", lambda m: m.op_cost("add", 10, 0), "bytes_per_element: expected an int"),
    Case("benchmarks.measure", lambda m: m.measure("conv", 16), "op: expected one of"),
    Case("benchmarks.measure", lambda m: m.measure("add", 16, library="jax"), "library: expected one of"),
    Case("benchmarks.measure", lambda m: m.measure("add", "64"), "n: expected an int"),
    Case("benchmarks.measure", lambda m: m.measure("add", True), "n: expected an int"),
    Case("benchmarks.measure", lambda m: m.measure("add", 40_000), "n: expected an int"),
    Case("benchmarks.measure", lambda m: m.measure("add", 16, threads=True), "threads: expected an int"),
    Case("benchmarks.measure", lambda m: m.measure("add", 16, threads=0), "threads: expected an int"),
    Case("benchmarks.measure", lambda m: m.measure("add", 16, precision="fp16"),
         "precision: expected one of"),
    Case("benchmarks.measure", lambda m: m.measure("add", 16, device="tpu"), "device"),
    Case("benchmarks.measure", lambda m: m.measure("copy_h2d", 16), "needs a GPU"),
    Case("benchmarks.measure", lambda m: m.measure("add", 4, pinned="no"), "pinned: expected True or False"),
    Case("benchmarks.measure", lambda m: m.measure("add", 4, min_run_time=True),
         "min_run_time: expected a finite"),
    Case("benchmarks.measure", lambda m: m.measure("add", 4, min_run_time=INF),
         "min_run_time: expected a finite"),
    Case("benchmarks.sweep", lambda m: m.sweep("add", []), "sizes: expected a non-empty list"),
    Case("benchmarks.sweep", lambda m: m.sweep("add", 64), "sizes: expected a non-empty list"),
    Case("benchmarks.sweep", lambda m: m.sweep("add", "64"), "sizes: expected a non-empty list"),
    Case("benchmarks.sweep", lambda m: m.sweep("add", [16, True]), "sizes[1]: expected an int"),
    Case("benchmarks.sweep", lambda m: m.sweep("add", [16, -1]), "sizes[1]: expected an int"),
    Case("benchmarks.sweep", lambda m: m.sweep("conv", [16]), "op: expected one of"),
    Case("benchmarks.sweep", lambda m: m.sweep("add", [4], library="jax"), "library: expected one of"),
    Case("benchmarks.points_from_results", lambda m: m.points_from_results({"results": []}),
         "results: expected a list"),
    Case("benchmarks.points_from_results", lambda m: m.points_from_results([{"id": "07.inference"}]),
         "results[0]: expected results with id"),
    Case("benchmarks.points_from_results", lambda m: m.points_from_results([{"id": "02.matmul", "n": 4}]),
         "results[0]: missing"),
    Case("benchmarks.points_from_results", lambda m: m.points_from_results([{**ROW, "n": "abc"}]),
         "n: expected an int"),
    Case("benchmarks.points_from_results", lambda m: m.points_from_results([{**ROW, "median_s": -1}]),
         "median_s: expected a finite number above 0"),
    Case("benchmarks.table", lambda m: m.table(["not a point"]), "points: expected a list of Point"),
    Case("benchmarks.table", lambda m: m.table(None), "points: expected a list of Point"),
    Case("benchmarks.table", lambda m: m.table(_point(m)), "points: expected a list of Point"),
    Case("benchmarks.best", lambda m: m.best(None), "points: expected a list of Point"),
    Case("benchmarks.best", lambda m: m.best([_point(m)], op="conv"), "op: expected one of"),
    Case("benchmarks.best", lambda m: m.best([_point(m)], series=3), "series: expected None or a str"),
    Case("benchmarks.best", lambda m: m.best([_point(m)], series="numpy cpu 1 thread"), "no 'matmul' points"),
    Case("benchmarks.plot_gflops", lambda m: m.plot_gflops(None), "points: expected a list of Point"),
    Case("benchmarks.plot_gflops", lambda m: m.plot_gflops([_point(m)], op="conv"), "op: expected one of"),
    Case("benchmarks.plot_gflops", lambda m: m.plot_gflops([_point(m)], ax="x"),
         "ax: expected None or a matplotlib"),
    Case("benchmarks.plot_gflops", lambda m: m.plot_gflops([_point(m)], title=3),
         "title: expected None or a str"),
    Case("benchmarks.plot_gflops", lambda m: m.plot_gflops([_point(m)], op="add"),
         "at least one 'add' point"),
    Case("benchmarks.make_record", lambda m: m.make_record([]), "points: expected a non-empty list of Point"),
    Case("benchmarks.make_record", lambda m: m.make_record(None),
         "points: expected a non-empty list of Point"),
    Case("benchmarks.make_record", lambda m: m.make_record([_point(m)], note=3), "note: expected a str"),
    Case("benchmarks.make_record", lambda m: m.make_record([_point(m)], when="2026-01-01"),
         "when: expected None or a timezone-aware datetime"),
    Case("benchmarks.make_record", lambda m: m.make_record([_point(m)], when=dt.datetime(2026, 1, 1)),
         "when: expected None or a timezone-aware datetime"),
    Case("benchmarks.points_from_record", lambda m: m.points_from_record({}), "record: expected a dict"),
    Case("benchmarks.points_from_record", lambda m: m.points_from_record([1, 2]), "record: expected a dict"),
    Case("benchmarks.points_from_record", lambda m: m.points_from_record({"format": 99, "points": []}),
         "record: expected a dict"),
    Case("benchmarks.points_from_record", lambda m: m.points_from_record(_bm_record(m, colour="red")),
         "unexpected fields"),
    Case("benchmarks.points_from_record", lambda m: m.points_from_record(_bm_record(m, seconds="x")),
         "seconds: expected a finite number"),
    Case("benchmarks.write_record", lambda m: m.write_record(_bm_record(m), "../escape", data_dir=_tmp()),
         "name: expected a file stem"),
    Case("benchmarks.write_record", lambda m: m.write_record(_bm_record(m), "", data_dir=_tmp()),
         "name: expected a file stem"),
    Case("benchmarks.write_record", lambda m: m.write_record(_bm_record(m), 3, data_dir=_tmp()),
         "name: expected a file stem"),
    Case("benchmarks.write_record", lambda m: m.write_record(_bm_record(m), "a" * 300, data_dir=_tmp()),
         "name: expected a file stem"),
    Case("benchmarks.write_record", lambda m: m.write_record(_bm_record(m), "bad_inputs_check", data_dir=3),
         "data_dir: expected a path"),
    Case("benchmarks.write_record", lambda m: m.write_record(_bm_record(m), "bad_inputs_check", data_dir=""),
         "data_dir: expected a path"),
    Case("benchmarks.write_record", lambda m: m.write_record({}, "ok", data_dir=_tmp()),
         "record: expected a dict"),
    Case("benchmarks.load_records", lambda m: m.load_records(3), "data_dir: expected a path"),
    Case("benchmarks.load_records", lambda m: m.load_records(""), "data_dir: expected a path"),
    Case("benchmarks.load_records", lambda m: m.load_records(_tmp() / "no such folder"),
         "data_dir: expected an existing folder"),
]

# -- load ---------------------------------------------------------------------------------------


def _report(m, **change):
    kwargs = dict(wall_s=2.0, cores=4, own_cpu_s=1.0, other_cpu_s=0.6, steal_s=0.2)
    kwargs.update(change)
    return m.LoadReport(**kwargs)


LOAD = [
    Case("load.LoadReport", lambda m: _report(m, cores=0), "cores: expected an int"),
    Case("load.LoadReport", lambda m: _report(m, cores=True), "cores: expected an int"),
    Case("load.LoadReport", lambda m: _report(m, wall_s=-1.0), "wall_s: expected a finite number"),
    Case("load.LoadReport", lambda m: _report(m, other_cpu_s=NAN), "other_cpu_s: expected a finite number"),
    Case("load.LoadReport", lambda m: _report(m, threshold=1.5), "threshold: expected"),
    Case("load.LoadMonitor", lambda m: m.LoadMonitor(0), "threshold: expected"),
    Case("load.LoadMonitor", lambda m: m.LoadMonitor(1), "threshold: expected"),
    Case("load.LoadMonitor", lambda m: m.LoadMonitor(True), "threshold: expected"),
    Case("load.LoadMonitor", lambda m: m.LoadMonitor("0.1"), "threshold: expected"),
    Case("load.LoadMonitor", lambda m: m.LoadMonitor(NAN), "threshold: expected"),
    Case("load.LoadMonitor", lambda m: m.LoadMonitor().__exit__(None, None, None), "with LoadMonitor()"),
    Case("load.sample_load", lambda m: m.sample_load(0), "seconds: expected a finite number"),
    Case("load.sample_load", lambda m: m.sample_load(-1), "seconds: expected a finite number"),
    Case("load.sample_load", lambda m: m.sample_load(61), "seconds: expected a finite number"),
    Case("load.sample_load", lambda m: m.sample_load(True), "seconds: expected a finite number"),
    Case("load.sample_load", lambda m: m.sample_load(NAN), "seconds: expected a finite number"),
    Case("load.sample_load", lambda m: m.sample_load(0.01, threshold=2), "threshold: expected"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(0)),
         "processes: expected an int"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(True)),
         "processes: expected an int"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(257)),
         "processes: expected an int"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(2.0)),
         "processes: expected an int"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(1, seconds=0)),
         "seconds: expected a finite number"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(1, seconds=301)),
         "seconds: expected a finite number"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(1, seconds=NAN)),
         "seconds: expected a finite number"),
    Case("load.other_programs_busy", lambda m: _enter(m.other_programs_busy(1, seconds=True)),
         "seconds: expected a finite number"),
]

# -- memory -------------------------------------------------------------------------------------

MEMORY = [
    Case("memory.pss_bytes", lambda m: m.pss_bytes(True), "pid: expected None or a process id"),
    Case("memory.pss_bytes", lambda m: m.pss_bytes(0), "pid: expected None or a process id"),
    Case("memory.pss_bytes", lambda m: m.pss_bytes(-3), "pid: expected None or a process id"),
    Case("memory.pss_bytes", lambda m: m.pss_bytes(1.5), "pid: expected None or a process id"),
    Case("memory.pss_bytes", lambda m: m.pss_bytes("1"), "pid: expected None or a process id"),
    Case("memory.pss_bytes", lambda m: m.pss_bytes(2**40), "pid: expected None or a process id"),
    Case("memory.pss_bytes", lambda m: m.pss_bytes(children="no"), "children: expected True or False"),
    Case("memory.pss_mib", lambda m: m.pss_mib(True), "pid: expected None or a process id"),
    Case("memory.pss_mib", lambda m: m.pss_mib(-1), "pid: expected None or a process id"),
    Case("memory.pss_mib", lambda m: m.pss_mib(children=1), "children: expected True or False"),
]

# -- records ------------------------------------------------------------------------------------


def _record(m, **change):
    rec = {"recorded": "2026-12-01T23:00:00+00:00", "machine": m.machine_info(),
           "quiet": {"measured": "test", "threshold": 0.1, "other_share": 0.01, "ok": True},
           "results": [{"id": "x.a", "n": 1, "value": 2.0, "unit": "s"},
                       {"id": "x.a", "n": 2, "value": 3.0, "unit": "s"}]}
    for key, value in change.items():
        part, _, field = key.partition("__")
        if field:
            rec[part][field] = value
        else:
            rec[part] = value
    return rec


def _records_dir(m) -> Path:
    folder = _tmp() / "records"
    folder.mkdir(exist_ok=True)
    (folder / "demo.json").write_text(json.dumps(_record(m)))
    (folder / "broken.json").write_text("{not json")
    return folder


def _claims_file(text: str) -> Path:
    path = _tmp() / "claims.toml"
    path.write_text(text)
    return path


RECORDS = [
    Case("records.machine_info", lambda m: m.machine_info(3), "device: expected a device name"),
    Case("records.machine_info", lambda m: m.machine_info(""), "device: expected a device name"),
    Case("records.machine_info", lambda m: m.machine_info(None), "device: expected a device name"),
    Case("records.validate", lambda m: m.validate([1]), "record: expected a JSON object"),
    Case("records.validate", lambda m: m.validate({"recorded": "x"}), "record: missing machine"),
    Case("records.validate", lambda m: m.validate(_record(m, machine=3)), "machine: expected a JSON object"),
    Case("records.validate", lambda m: m.validate(_record(m, quiet="measured threshold ok")),
         "quiet: expected a JSON object"),
    Case("records.validate", lambda m: m.validate(_record(m, results=[])), "non-empty"),
    Case("records.validate", lambda m: m.validate(_record(m, results=[{"id": "x"}])),
         "needs an 'id' and a 'unit'"),
    Case("records.validate", lambda m: m.validate(_record(m, quiet__other_share=0.5)), "quiet.ok is true"),
    Case("records.validate", lambda m: m.validate(_record(m, quiet__threshold="0.1")),
         "quiet.threshold: expected a finite number"),
    Case("records.validate", lambda m: m.validate(_record(m, quiet__ok="yes")),
         "quiet.ok: expected True or False"),
    Case("records.validate", lambda m: m.validate(_record(m, machine__logical_cores="2")),
         "machine.logical_cores: expected an int"),
    Case("records.validate", lambda m: m.validate(_record(m, recorded=20261201)), "recorded: expected"),
    Case("records.validate", lambda m: m.validate(_record(m), where=3), "where: expected a str"),
    Case("records.names", lambda m: m.names(3), "directory: expected a path"),
    Case("records.names", lambda m: m.names(""), "directory: expected a path"),
    Case("records.names", lambda m: m.names(_tmp() / "no such folder"),
         "directory: expected an existing folder"),
    Case("records.load", lambda m: m.load(3), "name: expected a record name"),
    Case("records.load", lambda m: m.load("../etc/passwd"), "name: expected a record name"),
    Case("records.load", lambda m: m.load(""), "name: expected a record name"),
    Case("records.load", lambda m: m.load("nope", _records_dir(m)), "no record 'nope'"),
    Case("records.load", lambda m: m.load("demo", 3), "directory: expected a path"),
    Case("records.load", lambda m: m.load("broken", _records_dir(m)), "JSONDecodeError"),
    Case("records.find", lambda m: m.find([1], "x.a"), "record: expected a JSON object"),
    Case("records.find", lambda m: m.find(_record(m), 2), "id: expected a str"),
    Case("records.find", lambda m: m.find(_record(m), "x.b"), "has no result 'x.b'"),
    Case("records.find", lambda m: m.find(_record(m), "x.a", size=1), "has a field 'size'"),
    Case("records.find", lambda m: m.find({"results": "x"}, "x.a"), "record: missing"),
    Case("records.one", lambda m: m.one(_record(m), "x.a"), "found 2"),
    Case("records.one", lambda m: m.one(_record(m), "x.a", n=3), "found 0"),
    Case("records.one", lambda m: m.one(_record(m), "x.b"), "has no result 'x.b'"),
    Case("records.one", lambda m: m.one(_record(m), "x.a", thread=1), "has a field 'thread'"),
    Case("records.one", lambda m: m.one(_record(m), None), "id: expected a str"),
    Case("records.describe", lambda m: m.describe([1]), "record: expected a JSON object"),
    Case("records.describe", lambda m: m.describe({}), "record: missing"),
    Case("records.describe", lambda m: m.describe(_record(m, quiet=3)), "quiet: expected a JSON object"),
    Case("records.show", lambda m: m.show(3), "name: expected a record name"),
    Case("records.show", lambda m: m.show("demo", 3, directory=_records_dir(m)),
         "id: expected None or a str"),
    Case("records.show", lambda m: m.show("demo", "x.b", directory=_records_dir(m)), "has no result 'x.b'"),
    Case("records.show", lambda m: m.show("demo", "x.a", columns="n", directory=_records_dir(m)),
         "columns: expected None or a tuple of column names"),
    Case("records.show", lambda m: m.show("demo", "x.a", columns=("nope",), directory=_records_dir(m)),
         "columns: no result"),
    Case("records.show", lambda m: m.show("demo", directory=3), "directory: expected a path"),
    Case("records.load_claims", lambda m: m.load_claims(3), "path: expected a path"),
    Case("records.load_claims", lambda m: m.load_claims(_tmp() / "none.toml"),
         "path: expected an existing file"),
    Case("records.load_claims", lambda m: m.load_claims(_claims_file("[[claim]\nid = ")), "TOMLDecodeError"),
    Case("records.load_claims", lambda m: m.load_claims(_claims_file("[[claim]]\nid = 'a'\n")), "missing"),
    Case("records.claim_holds", lambda m: m.claim_holds([1], _record(m)), "claim: expected a dict"),
    Case("records.claim_holds", lambda m: m.claim_holds({}, _record(m)), "claim: expected a dict"),
    Case("records.claim_holds", lambda m: m.claim_holds({"check": "1 +"}, _record(m)), "SyntaxError"),
    Case("records.claim_holds", lambda m: m.claim_holds({"check": "open('/etc/passwd')"}, _record(m)),
         "NameError"),
    Case("records.claim_holds", lambda m: m.claim_holds({"check": "True"}, [1]),
         "record: expected a JSON object"),
    Case("records.claim_holds", lambda m: m.claim_holds({"check": "one('x.b')"}, _record(m)),
         "has no result 'x.b'"),
]

# -- live ---------------------------------------------------------------------------------------


def _plot(m):
    return m.LivePlot("x", use_visdom=False, show=False)


LIVE = [
    Case("live.visdom_answers", lambda m: m.visdom_answers(0), "port: expected an int between 1 and 65535"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(70000),
         "port: expected an int between 1 and 65535"),
    Case("live.visdom_answers", lambda m: m.visdom_answers("8097"),
         "port: expected an int between 1 and 65535"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(True),
         "port: expected an int between 1 and 65535"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(8097, host=3), "host: expected a host name"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(8097, host=""), "host: expected a host name"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(8097, timeout=0),
         "timeout: expected a finite number"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(8097, timeout=-1),
         "timeout: expected a finite number"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(8097, timeout=True),
         "timeout: expected a finite number"),
    Case("live.visdom_answers", lambda m: m.visdom_answers(8097, base_url="visdom"),
         "base_url: expected '' or a path starting with '/'"),
    Case("live.window_id", lambda m: m.window_id(3), "title: expected a str"),
    Case("live.window_id", lambda m: m.window_id(None), "title: expected a str"),
    Case("live.LivePlot", lambda m: m.LivePlot(3), "title: expected a str"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", xlabel=3, use_visdom=False, show=False),
         "xlabel: expected a str"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", ylabel=None, use_visdom=False, show=False),
         "ylabel: expected a str"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", use_visdom="no", show=False),
         "use_visdom: expected True or False"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", port=True, use_visdom=False, show=False),
         "port: expected an int between 1 and 65535"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", env="a/b", use_visdom=False, show=False),
         "env: expected a Visdom environment name"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", redraw_every=-1, use_visdom=False, show=False),
         "redraw_every: expected a finite number"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", redraw_every=True, use_visdom=False, show=False),
         "redraw_every: expected a finite number"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", redraw_every=NAN, use_visdom=False, show=False),
         "redraw_every: expected a finite number"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", use_visdom=False, show="yes"),
         "show: expected None, True or False"),
    Case("live.LivePlot", lambda m: m.LivePlot("x", use_visdom=False, show=False, announce=1),
         "announce: expected None, True or False"),
    Case("live.LivePlot", lambda m: _plot(m).log("1", train=0.5), "step: expected a finite number"),
    Case("live.LivePlot", lambda m: _plot(m).log(True, train=0.5), "step: expected a finite number"),
    Case("live.LivePlot", lambda m: _plot(m).log(NAN, train=0.5), "step: expected a finite number"),
    Case("live.LivePlot", lambda m: _plot(m).log(1), "at least one named value"),
    Case("live.LivePlot", lambda m: _plot(m).log(1, train="0.5"), "train: expected a number"),
    Case("live.LivePlot", lambda m: _plot(m).log(1, train=True), "train: expected a number"),
    Case("live.LivePlot", lambda m: _plot(m).log(1, train=torch.ones(3)), "train: expected a number"),
    Case("live.LivePlot", lambda m: _plot(m).last("val"), "series: expected one of"),
    Case("live.LivePlot", lambda m: _plot(m).last(3), "series: expected one of"),
]

# -- tfevents -----------------------------------------------------------------------------------


def _a_file() -> Path:
    path = _tmp() / "a_file.txt"
    path.write_text("not a folder")
    return path


def _empty_dir() -> Path:
    path = _tmp() / "empty_logs"
    path.mkdir(exist_ok=True)
    return path


TFEVENTS = [
    Case("tfevents.fresh_run_dir", lambda m: m.fresh_run_dir(3), "name: expected a plain folder name"),
    Case("tfevents.fresh_run_dir", lambda m: m.fresh_run_dir(""), "name: expected a plain folder name"),
    Case("tfevents.fresh_run_dir", lambda m: m.fresh_run_dir("a/b"), "name: expected a plain folder name"),
    Case("tfevents.fresh_run_dir", lambda m: m.fresh_run_dir(".."), "name: expected a plain folder name"),
    Case("tfevents.fresh_run_dir", lambda m: m.fresh_run_dir(" x"), "name: expected a plain folder name"),
    Case("tfevents.event_files", lambda m: m.event_files(42), "logdir: expected a path"),
    Case("tfevents.event_files", lambda m: m.event_files(""), "logdir: expected a path"),
    Case("tfevents.event_files", lambda m: m.event_files(None), "logdir: expected a path"),
    Case("tfevents.event_files", lambda m: m.event_files(_tmp() / "nope"),
         "logdir: expected an existing folder"),
    Case("tfevents.event_files", lambda m: m.event_files(_a_file()), "logdir: expected an existing folder"),
    Case("tfevents.read_scalars", lambda m: m.read_scalars(42), "logdir: expected a path"),
    Case("tfevents.read_scalars", lambda m: m.read_scalars(""), "logdir: expected a path"),
    Case("tfevents.read_scalars", lambda m: m.read_scalars(_tmp() / "nope"),
         "logdir: expected an existing folder"),
    Case("tfevents.read_scalars", lambda m: m.read_scalars(_empty_dir()), "found none"),
]

# -- trees --------------------------------------------------------------------------------------


def _deep(levels=2000):
    tree = 0
    for _ in range(levels):
        tree = (tree, 0)
    return tree


def _rng():
    return np.random.default_rng(0)


TREES = [
    Case("trees.expect_tree", lambda m: m.expect_tree((0, 1, 2)), "pair (left, right)"),
    Case("trees.expect_tree", lambda m: m.expect_tree((0, "a")), "tree: expected an int leaf"),
    Case("trees.expect_tree", lambda m: m.expect_tree([0, 1]), "tree: expected an int leaf"),
    Case("trees.expect_tree", lambda m: m.expect_tree(-1), "leaf ids >= 0"),
    Case("trees.expect_tree", lambda m: m.expect_tree((0, True)), "tree: expected an int leaf"),
    Case("trees.expect_tree", lambda m: m.expect_tree((0, 7), vocab_size=5), "leaf 7"),
    Case("trees.expect_tree", lambda m: m.expect_tree(0, vocab_size=True),
         "vocab_size: expected None or an int"),
    Case("trees.expect_tree", lambda m: m.expect_tree(0, vocab_size="5"),
         "vocab_size: expected None or an int"),
    Case("trees.expect_tree", lambda m: m.expect_tree(0, vocab_size=0),
         "vocab_size: expected None or an int"),
    Case("trees.expect_tree", lambda m: m.expect_tree(_deep()), "levels"),
    Case("trees.count_leaves", lambda m: m.count_leaves("a"), "tree: expected an int leaf"),
    Case("trees.count_leaves", lambda m: m.count_leaves([0, 1]), "tree: expected an int leaf"),
    Case("trees.count_leaves", lambda m: m.count_leaves((0,)), "pair (left, right)"),
    Case("trees.count_leaves", lambda m: m.count_leaves(_deep()), "levels"),
    Case("trees.random_tree", lambda m: m.random_tree(True, 5, _rng()), "n_leaves: expected an int"),
    Case("trees.random_tree", lambda m: m.random_tree(0, 5, _rng()), "n_leaves: expected an int"),
    Case("trees.random_tree", lambda m: m.random_tree(2.0, 5, _rng()), "n_leaves: expected an int"),
    Case("trees.random_tree", lambda m: m.random_tree(1_000_000, 5, _rng()), "n_leaves: expected an int"),
    Case("trees.random_tree", lambda m: m.random_tree(3, True, _rng()), "vocab_size: expected an int"),
    Case("trees.random_tree", lambda m: m.random_tree(3, 0, _rng()), "vocab_size: expected an int"),
    Case("trees.random_tree", lambda m: m.random_tree(3, 5, 0), "rng: expected a numpy.random.Generator"),
    Case("trees.linearize", lambda m: m.linearize((0,)), "pair (left, right)"),
    Case("trees.linearize", lambda m: m.linearize("a"), "tree: expected an int leaf"),
    Case("trees.linearize", lambda m: m.linearize(1.5), "tree: expected an int leaf"),
    Case("trees.linearize", lambda m: m.linearize(_deep()), "levels"),
    Case("trees.TreeNet", lambda m: m.TreeNet(vocab_size=True), "vocab_size: expected an int"),
    Case("trees.TreeNet", lambda m: m.TreeNet(vocab_size=0), "vocab_size: expected an int"),
    Case("trees.TreeNet", lambda m: m.TreeNet(vocab_size="3"), "vocab_size: expected an int"),
    Case("trees.TreeNet", lambda m: m.TreeNet(3, dim=True), "dim: expected an int"),
    Case("trees.TreeNet", lambda m: m.TreeNet(3, dim=0), "dim: expected an int"),
    Case("trees.TreeNet", lambda m: m.TreeNet(3, 4)((0, 3)), "leaf 3"),
    Case("trees.TreeNet", lambda m: m.TreeNet(3, 4)("a"), "tree: expected an int leaf"),
    Case("trees.TreeNet", lambda m: m.TreeNet(3, 4)(_deep()), "levels"),
]

# -- distributed --------------------------------------------------------------------------------


def _inner_worker(m):
    def worker(rank, world_size, config):
        return rank
    return m.spawn_workers(worker)


class _LockedWorker:
    """A worker object that pickle cannot send to another process (it holds a lock)."""

    def __init__(self):
        import threading

        self.lock = threading.Lock()

    def __call__(self, rank, world_size, config):
        return rank


DISTRIBUTED = [
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(lambda r, w, c: r),
         "target: expected a function"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers("course_lib.distributed.ddp_worker"),
         "target: expected a function"),
    Case("distributed.spawn_workers", lambda m: _inner_worker(m),
         "target: expected a function defined at the top"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(_LockedWorker()),
         "target: expected a function that pickle can send"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.reference_training),
         "target: expected a function taking (rank, world_size, config)"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, world_size=0),
         "world_size: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, world_size=True),
         "world_size: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, world_size=17),
         "world_size: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, world_size=2.0),
         "world_size: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, timeout=-1),
         "timeout: expected a finite"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, timeout=True),
         "timeout: expected a finite"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, timeout=INF),
         "timeout: expected a finite"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, threads_per_worker=True),
         "threads_per_worker: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, threads_per_worker=0),
         "threads_per_worker: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, threads_per_worker=1.5),
         "threads_per_worker: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, config=[1]),
         "config: expected a dict"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, config={"x": object()}),
         "JSON"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, config={1: 2}),
         "config: expected a dict with str keys"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, config={"steps": 0}),
         "steps: expected an int"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, config={"step": 3}),
         "config: unknown key 'step'"),
    Case("distributed.spawn_workers", lambda m: m.spawn_workers(m.ddp_worker, config={"lr": -1}),
         "lr: expected a finite number"),
    Case("distributed.ddp_worker", lambda m: m.ddp_worker(0, 2, {}), "inside spawn_workers"),
    Case("distributed.ddp_worker", lambda m: m.ddp_worker(True, 2, {}), "rank: expected an int"),
    Case("distributed.ddp_worker", lambda m: m.ddp_worker(0, 0, {}), "world_size: expected an int"),
    Case("distributed.ddp_worker", lambda m: m.ddp_worker(0, 2, [1]), "config: expected a dict"),
    Case("distributed.ddp_worker", lambda m: m.ddp_worker(0, 2, {"steps": -1}), "steps: expected an int"),
    Case("distributed.mismatched_worker", lambda m: m.mismatched_worker(0, 2, {}), "inside spawn_workers"),
    Case("distributed.mismatched_worker", lambda m: m.mismatched_worker(2, 2, {}), "rank: expected an int"),
    Case("distributed.mismatched_worker", lambda m: m.mismatched_worker(0, 2, None),
         "config: expected a dict"),
    Case("distributed.make_problem", lambda m: m.make_problem("a"), "seed: expected an int"),
    Case("distributed.make_problem", lambda m: m.make_problem(True), "seed: expected an int"),
    Case("distributed.make_problem", lambda m: m.make_problem(0, 0), "n: expected an int"),
    Case("distributed.make_problem", lambda m: m.make_problem(0, True), "n: expected an int"),
    Case("distributed.make_problem", lambda m: m.make_problem(0, 16, d_in=1.5), "d_in: expected an int"),
    Case("distributed.make_problem", lambda m: m.make_problem(0, 100_000, d_in=100_000), "numbers in all"),
    Case("distributed.make_model", lambda m: m.make_model("a"), "seed: expected an int"),
    Case("distributed.make_model", lambda m: m.make_model(0, d_in=True), "d_in: expected an int"),
    Case("distributed.make_model", lambda m: m.make_model(0, hidden=0), "hidden: expected an int"),
    Case("distributed.make_model", lambda m: m.make_model(0, d_out=-1), "d_out: expected an int"),
    Case("distributed.shard_indices", lambda m: m.shard_indices(12, 3, 3),
         "rank: expected an int from 0 to 2"),
    Case("distributed.shard_indices", lambda m: m.shard_indices(12, True, 3), "rank: expected an int"),
    Case("distributed.shard_indices", lambda m: m.shard_indices(12, 0, True), "world_size: expected an int"),
    Case("distributed.shard_indices", lambda m: m.shard_indices(10, 0, 3),
         "n: expected a multiple of world_size"),
    Case("distributed.shard_indices", lambda m: m.shard_indices(True, 0, 1), "n: expected an int"),
    Case("distributed.reference_training", lambda m: m.reference_training([1, 2]), "config: expected a dict"),
    Case("distributed.reference_training", lambda m: m.reference_training({"steps": 0}),
         "steps: expected an int"),
    Case("distributed.reference_training", lambda m: m.reference_training({"steps": True}),
         "steps: expected an int"),
    Case("distributed.reference_training", lambda m: m.reference_training({"step": 3}),
         "config: unknown key"),
    Case("distributed.reference_training", lambda m: m.reference_training({"lr": -1}),
         "lr: expected a finite number"),
    Case("distributed.reference_training", lambda m: m.reference_training({"lr": NAN}),
         "lr: expected a finite number"),
    Case("distributed.reference_training", lambda m: m.reference_training({"seed": "a"}),
         "seed: expected an int"),
    Case("distributed.reference_training", lambda m: m.reference_training({"n": True}), "n: expected an int"),
    Case("distributed.reference_training", lambda m: m.reference_training({}, device="tpu"),
         "device: expected a name"),
    Case("distributed.reference_training", lambda m: m.reference_training({}, device=0),
         "device: expected a torch.device"),
]

# -- gpt ----------------------------------------------------------------------------------------


def _cfg(m, **kw):
    return m.GPTConfig(**{"vocab_size": 11, "context": 32, "d_model": 16, "n_heads": 2, "n_layers": 1, **kw})


def _gpt(m):
    torch.manual_seed(0)
    return m.GPT(_cfg(m))


def _ids(*shape, high=11):
    return torch.randint(0, high, shape, generator=torch.Generator().manual_seed(0))


def _cache_of(m, model, t=4):
    return model(_ids(1, t))[1]


GPT = [
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer(""), "text: expected a non-empty str"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer(3), "text: expected a non-empty str"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer("abc").encode(3), "text: expected a str"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer("abc").encode("abz"), "not in the vocabulary"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer("abc").decode([99]),
         "ids: expected token ids from 0 to 2"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer("abc").decode([-1]),
         "ids: expected token ids from 0 to 2"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer("abc").decode([1.5]), "ids: expected token ids"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer("abc").decode("ab"), "ids: expected token ids"),
    Case("gpt.CharTokenizer", lambda m: m.CharTokenizer("abc").decode([True]), "ids: expected token ids"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, vocab_size=0), "vocab_size: expected an int"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, vocab_size=True), "vocab_size: expected an int"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, context=True), "context: expected an int"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, d_model=10, n_heads=3), "n_heads: must divide d_model"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, mlp_ratio=0), "mlp_ratio: expected an int"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, d_model="64"), "d_model: expected an int"),
    Case("gpt.CausalSelfAttention", lambda m: m.CausalSelfAttention({}), "cfg: expected a GPTConfig"),
    Case("gpt.CausalSelfAttention", lambda m: m.CausalSelfAttention(_cfg(m))(torch.zeros(1, 3, 5)),
         "x: expected a torch.Tensor of shape (any, any, 16)"),
    Case("gpt.CausalSelfAttention", lambda m: m.CausalSelfAttention(_cfg(m))(torch.zeros(3, 16)),
         "x: expected a torch.Tensor with 3 dimension"),
    Case("gpt.CausalSelfAttention", lambda m: m.CausalSelfAttention(_cfg(m))(torch.zeros(1, 3, 16), cache=3),
         "cache: expected"),
    Case("gpt.Block", lambda m: m.Block(None), "cfg: expected a GPTConfig"),
    Case("gpt.Block", lambda m: m.Block(_cfg(m))(torch.zeros(1, 3, 5)),
         "x: expected a torch.Tensor of shape"),
    Case("gpt.Block", lambda m: m.Block(_cfg(m))(torch.zeros(1, 3, 16, dtype=LONG)),
         "x: expected a torch.Tensor"),
    Case("gpt.GPT", lambda m: m.GPT(3), "cfg: expected a GPTConfig"),
    Case("gpt.GPT", lambda m: m.GPT(_cfg(m, vocab_size=1_000_000, d_model=1_000_000, n_heads=1)),
         "parameters"),
    Case("gpt.GPT", lambda m: _gpt(m)(_ids(1, 4).float()), "ids: expected"),
    Case("gpt.GPT", lambda m: _gpt(m)(_ids(1, 4).to(torch.uint8)), "torch.long"),  # nn.Embedding refuses it
    Case("gpt.GPT", lambda m: _gpt(m)(_ids(4)), "ids: expected"),
    Case("gpt.GPT", lambda m: _gpt(m)(_ids(1, 4, high=20) + 11), "ids: expected values from 0 to 10"),
    Case("gpt.GPT", lambda m: _gpt(m)(_ids(1, 4), start=-1), "start: expected an int"),
    Case("gpt.GPT", lambda m: _gpt(m)(_ids(1, 4), start=True), "start: expected an int"),
    Case("gpt.GPT", lambda m: _gpt(m)(_ids(1, 40)), "exceed the model's context"),
    Case("gpt.GPT", lambda m: (lambda g: g(_ids(1, 1), _cache_of(m, g) * 2, start=4))(_gpt(m)),
         "cache: expected"),
    Case("gpt.GPT", lambda m: (lambda g: g(_ids(1, 1), _cache_of(m, g), start=6))(_gpt(m)),
         "start: expected 4"),
    Case("gpt.GPT", lambda m: _gpt(m).loss(_ids(2, 4), _ids(2, 5)), "targets: expected"),
    Case("gpt.GPT", lambda m: _gpt(m).loss(_ids(2, 4), _ids(2, 4) + 11),
         "targets: expected values from 0 to 10"),
    Case("gpt.GPT", lambda m: _gpt(m).loss(_ids(2, 4), _ids(2, 4).float()), "targets: expected"),
    Case("gpt.batches", lambda m: m.batches(_ids(4, 50), 2, 8, torch.Generator()), "data: expected"),
    Case("gpt.batches", lambda m: m.batches(_ids(50).float(), 2, 8, torch.Generator()), "dtype int"),
    Case("gpt.batches", lambda m: m.batches(_ids(5), 2, 8, torch.Generator()), "more than 9 token ids"),
    Case("gpt.batches", lambda m: m.batches(_ids(50), True, 8, torch.Generator()),
         "batch_size: expected an int"),
    Case("gpt.batches", lambda m: m.batches(_ids(50), 0, 8, torch.Generator()),
         "batch_size: expected an int"),
    Case("gpt.batches", lambda m: m.batches(_ids(50), 2, True, torch.Generator()),
         "context: expected an int"),
    Case("gpt.batches", lambda m: m.batches(_ids(50), 2, 8, None), "generator: expected a torch.Generator"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(nn.Linear(2, 2), _ids(100), 8), "model: expected a GPT"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(_gpt(m), list(range(100)), 8),
         "data: expected a 1-d tensor of token ids"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(_gpt(m), _ids(100), True), "context: expected an int"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(_gpt(m), _ids(100), 0), "context: expected an int"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(_gpt(m), _ids(100), 40),
         "context: expected an int from 1 to 32"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(_gpt(m), _ids(100), 8, max_windows=0),
         "max_windows: expected an int"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(_gpt(m), _ids(5), 8), "more than 9 tokens"),
    Case("gpt.mean_loss", lambda m: m.mean_loss(_gpt(m), _ids(4, 25), 8), "data: expected"),
    Case("gpt.unigram_loss", lambda m: m.unigram_loss(_ids(20).float(), _ids(5), 11), "train: expected"),
    Case("gpt.unigram_loss", lambda m: m.unigram_loss(_ids(20) + 11, _ids(5), 11),
         "train: expected values from 0"),
    Case("gpt.unigram_loss", lambda m: m.unigram_loss(_ids(20), _ids(5) - 11, 11),
         "held_out: expected values from 0"),
    Case("gpt.unigram_loss", lambda m: m.unigram_loss(_ids(20), _ids(5), True),
         "vocab_size: expected an int"),
    Case("gpt.unigram_loss", lambda m: m.unigram_loss(_ids(20), _ids(5), 0), "vocab_size: expected an int"),
    Case("gpt.unigram_loss", lambda m: m.unigram_loss(_ids(20), _ids(0), 11),
         "held_out: expected at least one"),
    Case("gpt.generate", lambda m: m.generate("model", [1], 3), "model: expected a GPT"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [], 3), "prompt: expected at least one token"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), "abc", 3), "prompt: expected token ids"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [99], 3), "prompt: expected token ids from 0 to 10"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 0), "steps: expected an int"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], True), "steps: expected an int"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 40), "context"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, temperature=0),
         "temperature: expected a finite"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, temperature=INF),
         "temperature: expected a finite"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, temperature=True),
         "temperature: expected a finite"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, top_k=0), "top_k: expected None or an int"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, top_k=True), "top_k: expected None or an int"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, top_k=2.5), "top_k: expected None or an int"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, greedy="yes"),
         "greedy: expected True or False"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, use_cache=1),
         "use_cache: expected True or False"),
    Case("gpt.generate", lambda m: m.generate(_gpt(m), [1], 3, generator="x"),
         "generator: expected None or a torch.Generator"),
    Case("gpt.count_parameters", lambda m: m.count_parameters("x"), "model: expected a torch.nn.Module"),
    Case("gpt.count_parameters", lambda m: m.count_parameters(None), "model: expected a torch.nn.Module"),
    Case("gpt.count_parameters", lambda m: m.count_parameters(nn.Linear),
         "model: expected a torch.nn.Module"),
    Case("gpt.forward_flops", lambda m: m.forward_flops({}, 4), "cfg: expected a GPTConfig"),
    Case("gpt.forward_flops", lambda m: m.forward_flops(_cfg(m), True), "tokens: expected an int"),
    Case("gpt.forward_flops", lambda m: m.forward_flops(_cfg(m), 0), "tokens: expected an int"),
    Case("gpt.forward_flops", lambda m: m.forward_flops(_cfg(m), 33), "tokens: expected an int from 1 to 32"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, n_kv_heads=0), "n_kv_heads: expected an int"),
    Case("gpt.GPTConfig", lambda m: _cfg(m, n_kv_heads=3), "n_kv_heads: must divide n_heads=2"),
    Case("gpt.sampling_probs", lambda m: m.sampling_probs([1.0, 2.0]), "logits: expected a float tensor"),
    Case("gpt.sampling_probs", lambda m: m.sampling_probs(torch.tensor([1, 2])), "logits: expected a float"),
    Case("gpt.sampling_probs", lambda m: m.sampling_probs(torch.zeros(3), temperature=0),
         "temperature: expected a finite"),
    Case("gpt.sampling_probs", lambda m: m.sampling_probs(torch.zeros(3), top_k=0),
         "top_k: expected None or an int of at least 1"),
    Case("gpt.cache_bytes", lambda m: m.cache_bytes("x"), "cache: expected the list of (keys, values)"),
    Case("gpt.cache_bytes", lambda m: m.cache_bytes([(torch.zeros(1),)]),
         "cache: expected the list of (keys, values)"),
    Case("gpt.load_pretrained", lambda m: m.load_pretrained(device=3), "device: expected None, a str"),
]

CASES = TRAINING + TWOLAYER + TIMING + BENCHMARKS + LOAD + MEMORY + RECORDS + LIVE + TFEVENTS + TREES \
    + DISTRIBUTED + GPT

COVERED_ELSEWHERE = {
    "benchmarks.machine_info": "no arguments; tested in test_benchmarks.py",
    "distributed.WorkerError": "the exception spawn_workers raises; tested in test_distributed.py",
    "memory.release_freed_memory": "no arguments; tested in test_memory.py",
    "devices.cpu_name": "no arguments; tested through records.machine_info in test_records.py",
}
