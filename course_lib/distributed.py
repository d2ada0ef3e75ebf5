"""Data-parallel training on several local processes with torch.distributed (gloo), always cleaned up.

:func:`spawn_workers` starts ``world_size`` fresh Python processes with
``torch.multiprocessing``'s ``spawn`` start method. Each joins one gloo process group and calls
a worker function that lives in an importable module (such as :func:`ddp_worker` below).
Every child is stopped when the run ends, whether it succeeded, raised or ran past its
timeout. The ranks meet (the *rendezvous*) through a file in the run's private folder; gloo
then connects them over the loopback interface. Results come back as pickle files written to
that folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import faulthandler
import functools
import inspect
import json
import multiprocessing
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import torch
import torch.multiprocessing as mp
from torch import nn
from torch.multiprocessing.spawn import ProcessContext, ProcessException, ProcessRaisedException

from course_lib.devices import as_device
from course_lib.errors import CourseInputError, expect, expect_callable, expect_int, expect_number

Worker = Callable[[int, int, dict], Any]
_F = TypeVar("_F", bound=Callable[..., Any])
MAX_NUMBERS = 50_000_000  # make_problem: x and y together


class WorkerError(RuntimeError):
    """A worker process failed; the message names its rank and holds the end of its error."""


def _expect_target(target: Worker) -> None:
    expect_callable(target, "target")
    try:
        inspect.signature(target).bind(0, 1, {})
    except TypeError:
        raise CourseInputError(f"target: expected a function taking (rank, world_size, config), got "
                               f"{getattr(target, '__qualname__', target)!r}.") from None
    except ValueError:  # no signature to read: let the workers try
        pass
    module = getattr(target, "__module__", None)
    name = getattr(target, "__qualname__", "")
    if module in (None, "__main__") or "<" in name:
        raise CourseInputError(
            f"target: expected a function defined at the top of an importable module (the new "
            f"processes import it), got {name or target!r} from module {module!r}; move it into a "
            f".py file such as course_lib/distributed.py.")
    try:
        pickle.dumps(target)  # spawn sends it to every process this way
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise CourseInputError(f"target: expected a function that pickle can send to the new processes, "
                               f"got {name or target!r}: {exc}.") from None


def _expect_launch(target: Worker, world_size: int, config: dict | None, timeout: float,
                  threads_per_worker: int) -> dict:
    """The config to send (``{}`` for None), once every argument of spawn_workers is sound."""
    _expect_target(target)
    expect_int(world_size, "world_size", low=1, high=16)
    expect_number(timeout, "timeout", low=0, low_open=True)
    expect_int(threads_per_worker, "threads_per_worker", low=1, high=256)
    config = {} if config is None else config
    expect(isinstance(config, dict), "config", "a dict (or None)", config)
    expect(all(isinstance(k, str) for k in config), "config", "a dict with str keys", config)
    try:
        json.dumps(config)
    except (TypeError, ValueError) as exc:
        raise CourseInputError(f"config: expected a dict of JSON values (numbers, strings, lists), "
                               f"got one that JSON cannot hold: {exc}.") from exc
    check_config = getattr(target, "check_config", None)
    if callable(check_config):  # a worker of this module: refuse its bad settings before any process
        check_config(config)
    return config


_TRACKER: Any = resource_tracker._resource_tracker  # private: no public way to ask or stop it


def _tracker_running() -> bool:
    return _TRACKER._fd is not None


@contextlib.contextmanager
def _no_process_left() -> Iterator[list[ProcessContext]]:
    """On leaving, kill every process of the contexts put in the yielded list (or, when starting
    failed half-way, the processes it had started), reap them and delete torch's error files.
    Starting a process with ``spawn`` also starts multiprocessing's resource tracker, a helper
    process that lives as long as its parent: stop it too, unless it ran before."""
    tracker_was_running, before = _tracker_running(), set(multiprocessing.active_children())
    started: list[ProcessContext] = []
    try:
        yield started
    finally:
        processes = [p for c in started for p in c.processes] if started \
            else list(set(multiprocessing.active_children()) - before)
        for p in processes:
            if p.is_alive():
                p.kill()
        for p in processes:
            p.join(timeout=10)
        for name in (f for c in started for f in c.error_files):
            Path(name).unlink(missing_ok=True)
        if not tracker_was_running:
            _TRACKER._stop()


def _failure(exc: ProcessException, error_files: list[str], folder: str, world_size: int) -> WorkerError:
    """The error of the rank whose worker failed first: the others often fail only because it left.

    A rank that died without a Python traceback (a signal such as SIGABRT from C++ code, or
    ``os._exit``) is shown with the end of what it wrote to its error output."""
    marks = [(int(Path(folder, f"rank{r}.failed").read_text()), r) for r in range(world_size)
             if Path(folder, f"rank{r}.failed").exists()]
    rank, text = exc.error_index, exc.msg
    if isinstance(exc, ProcessRaisedException) and marks and Path(error_files[min(marks)[1]]).exists():
        rank = min(marks)[1]
        with open(error_files[rank], "rb") as f:  # the traceback torch saved for that rank
            text = pickle.load(f)
    tail = "\n".join(text.strip().splitlines()[-12:])
    if not isinstance(exc, ProcessRaisedException):
        said = _error_output(folder, rank)
        tail += f"\nits last error output:\n{said}" if said else "\n(it wrote no error output)"
    return WorkerError(f"worker rank {rank} of {world_size} failed:\n{tail}")


def _error_output(folder: str, rank: int, lines: int = 16) -> str:
    """The last lines a rank wrote to its error output (see _join_and_run), or '' if none;
    blank lines and faulthandler's list of extension modules are left out."""
    path = Path(folder, f"rank{rank}.stderr")
    if not path.exists():
        return ""
    kept = [line for line in path.read_text(errors="replace").splitlines()
            if line.strip() and not line.startswith("Extension modules:")]
    return "\n".join(kept[-lines:])


def spawn_workers(target: Worker, world_size: int = 2, config: dict | None = None,
                  timeout: float = 60.0, threads_per_worker: int = 1) -> list[Any]:
    """Run ``target(rank, world_size, config)`` in ``world_size`` spawned gloo processes; return results.

    Raises TimeoutError when the run takes longer than ``timeout`` seconds and WorkerError when
    a worker fails; in every outcome, every process it started has been stopped on return.
    """
    config = _expect_launch(target, world_size, config, timeout, threads_per_worker)
    with tempfile.TemporaryDirectory(prefix="course_dist_") as folder, _no_process_left() as started:
        # world_size fresh interpreters; each unpickles the arguments, then calls
        # _join_and_run(rank, *args) with its own rank
        context = mp.start_processes(_join_and_run, nprocs=world_size, join=False, start_method="spawn",
                                     args=(target, world_size, config, folder, threads_per_worker))
        started.append(context)
        deadline = time.monotonic() + timeout
        try:
            # join returns True once every process has ended well, and raises when one failed
            while not context.join(timeout=max(0.0, deadline - time.monotonic()), grace_period=1):
                if time.monotonic() >= deadline:
                    running = [r for r, p in enumerate(context.processes) if p.is_alive()]
                    raise TimeoutError(f"workers {running} of {world_size} were still running after "
                                       f"{timeout:g} s and were stopped (a collective that not every "
                                       f"rank reached, or too small a timeout).")
        except ProcessException as exc:
            raise _failure(exc, context.error_files, folder, world_size) from None
        results = []
        for rank in range(world_size):
            with open(Path(folder, f"rank{rank}.pkl"), "rb") as f:  # written by _join_and_run
                results.append(pickle.load(f))
        return results


def _join_and_run(rank: int, target: Worker, world_size: int, config: dict, folder: str,
                  threads: int) -> None:
    """What each spawned process runs: join the gloo group, call the target, save its result."""
    import torch.distributed as dist

    # C++ code (gloo, or torch itself) reports a fatal error on file descriptor 2 just before it
    # aborts: keep that output in the run's folder so that the error raised in the parent shows it
    error_output = os.open(Path(folder, f"rank{rank}.stderr"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(error_output, 2)
    os.close(error_output)
    faulthandler.enable()  # on a fatal signal, Python's own stack goes there too
    torch.set_num_threads(threads)
    # The ranks meet through a file in the run's private folder rather than a TCP store hosted
    # by rank 0, so no rank depends on another still being alive while it shuts down.
    store = dist.FileStore(str(Path(folder, "store")), world_size)
    dist.init_process_group("gloo", store=store, rank=rank, world_size=world_size,
                            timeout=dt.timedelta(seconds=120))
    try:
        try:
            result = target(rank, world_size, config)
        except Exception:
            # when this rank failed: the first rank to fail is the cause of the others' errors
            Path(folder, f"rank{rank}.failed").write_text(str(time.monotonic_ns()))
            raise
        partial = Path(folder, f"rank{rank}.pkl.partial")
        with open(partial, "wb") as f:
            pickle.dump(result, f)
        os.replace(partial, Path(folder, f"rank{rank}.pkl"))
        # Every rank has finished its collectives before any closes its connections. The ranks
        # say so through the store, not with a gloo barrier: a rank that closed its sockets while
        # another was still finishing the barrier could make that one abort (gloo issue 155).
        store.set(f"finished/{rank}", "1")
        store.wait([f"finished/{r}" for r in range(world_size)], dt.timedelta(seconds=120))
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------- the lesson's problem and workers

def _expect_seed(seed: object) -> int:
    return expect_int(seed, "seed", low=0, high=2**32 - 1)


def _expect_config(config: object) -> tuple[int, int, float, int]:
    """(seed, steps, lr, n) from the lesson's config dict; an unknown key or a bad value is an error."""
    expect(isinstance(config, dict), "config", "a dict such as {'seed': 0, 'n': 16, 'steps': 5, 'lr': 0.05}",
           config)
    assert isinstance(config, dict)
    unknown = sorted(map(str, set(config) - {"seed", "steps", "lr", "n"}))
    if unknown:
        raise CourseInputError(f"config: unknown key {unknown[0]!r}; the keys are 'seed', 'steps', 'lr' "
                               "and 'n'.")
    seed = _expect_seed(config.get("seed", 0))
    steps = expect_int(config.get("steps", 5), "steps", low=1, high=100_000)
    lr = expect_number(config.get("lr", 0.05), "lr", low=0, low_open=True)
    n = expect_int(config.get("n", 16), "n", low=1, high=1_000_000)
    return seed, steps, lr, n


def _as_worker(fn: _F, check_config: Callable[[Any], object] | None = None) -> _F:
    """``fn`` that first checks its arguments and that it runs inside :func:`spawn_workers`.

    ``inspect.getsource`` still shows ``fn`` itself, as the lesson prints it; spawn_workers calls
    ``check_config`` before it starts any process."""
    @functools.wraps(fn)
    def worker(rank: int, world_size: int, config: dict) -> Any:
        import torch.distributed as dist

        expect_int(world_size, "world_size", low=1)
        expect_int(rank, "rank", low=0, high=world_size - 1)
        expect(isinstance(config, dict), "config", "a dict", config)
        if check_config is not None:
            check_config(config)
        if not (dist.is_available() and dist.is_initialized()):
            raise CourseInputError(f"{fn.__name__}: runs inside spawn_workers, in a process that joined a "
                                   f"process group; call spawn_workers({fn.__name__}, world_size=2).")
        return fn(rank, world_size, config)

    worker.check_config = check_config  # type: ignore[attr-defined]
    return cast(_F, worker)


def make_problem(seed: int = 0, n: int = 16, d_in: int = 8,
                 d_out: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """A small regression data set (x, y) that every process can rebuild from the seed."""
    _expect_seed(seed)
    for label, v in (("n", n), ("d_in", d_in), ("d_out", d_out)):
        expect_int(v, label, low=1, high=1_000_000)
    if n * (d_in + d_out) > MAX_NUMBERS:
        raise CourseInputError(f"n, d_in, d_out: expected at most {MAX_NUMBERS:,} numbers in all (x and y), "
                               f"got {n * (d_in + d_out):,}.")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d_in, generator=g)
    y = x @ torch.randn(d_in, d_out, generator=g) + 0.1 * torch.randn(n, d_out, generator=g)
    return x, y


def make_model(seed: int = 0, d_in: int = 8, hidden: int = 16, d_out: int = 2) -> nn.Module:
    """The two-layer network the lesson trains, with weights that depend only on ``seed``."""
    _expect_seed(seed)
    for label, v in (("d_in", d_in), ("hidden", hidden), ("d_out", d_out)):
        expect_int(v, label, low=1, high=100_000)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


def shard_indices(n: int, rank: int, world_size: int) -> list[int]:
    """The rows rank ``rank`` trains on: every ``world_size``-th row, as DistributedSampler deals them."""
    expect_int(world_size, "world_size", low=1)
    expect_int(rank, "rank", low=0, high=world_size - 1)
    expect_int(n, "n", low=world_size)
    expect(n % world_size == 0, "n", f"a multiple of world_size={world_size}", n)
    return list(range(rank, n, world_size))


def _gradients(model: nn.Module) -> list[np.ndarray]:
    return [cast(torch.Tensor, p.grad).detach().cpu().numpy().copy() for p in model.parameters()]


def _parameters(model: nn.Module) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


def reference_training(config: dict, device: str | torch.device = "cpu") -> dict:
    """What one process gets on the whole batch, trained on ``device``: first gradients, losses
    and final parameters (NumPy arrays)."""
    seed, steps, lr, n = _expect_config(config)
    dev = as_device(device)
    x, y = (t.to(dev) for t in make_problem(seed, n))
    model = make_model(seed).to(dev)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses, first_grads = [], None
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        first_grads = _gradients(model) if first_grads is None else first_grads
        optimizer.step()
        losses.append(loss.item())
    return {"grads": first_grads, "losses": losses, "params": _parameters(model)}


def timed_all_reduce(spans: list[tuple[float, float]], bucket):
    """DDP's own averaging all-reduce of one bucket of gradients, noting in ``spans`` when it began and
    when its result arrived, on ``time.perf_counter``'s clock (one clock for every process of a machine).

    ``bucket`` (a dist.GradBucket) and the result (a Future of the averaged gradients) have no type
    annotations: DDP refuses a hook whose annotations are not those classes, and in this module
    (``from __future__ import annotations``) they would be strings."""
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

    start = time.perf_counter()

    def arrived(future: torch.futures.Future[torch.Tensor]) -> torch.Tensor:
        spans.append((start, time.perf_counter()))
        return future.value()

    return allreduce_hook(None, bucket).then(arrived)  # type: ignore[arg-type]


def ddp_worker(rank: int, world_size: int, config: dict) -> dict:
    """One rank of data-parallel training: its shard, DDP-averaged gradients, SGD steps."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    seed, steps, lr = config.get("seed", 0), config.get("steps", 5), config.get("lr", 0.05)
    # 1. The simplest collective: every rank contributes a number, every rank gets the sum.
    total = torch.tensor([float(rank + 1)])
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    # 2. Each rank builds the same data and model, then keeps only its own rows.
    x, y = make_problem(seed, config.get("n", 16))
    rows = shard_indices(len(x), rank, world_size)
    x, y = x[rows], y[rows]
    model = DDP(make_model(seed))  # DDP copies rank 0's weights to all ranks at the start
    all_reduce_spans: list[tuple[float, float]] = []  # when each gradient all-reduce began and ended
    model.register_comm_hook(all_reduce_spans, timed_all_reduce)  # DDP's all-reduce, with a stopwatch
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses, first_grads, step_spans = [], None, []
    for _ in range(steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)  # the mean over this rank's rows only
        loss.backward()  # DDP all-reduces the gradients here and divides by world_size
        first_grads = _gradients(model) if first_grads is None else first_grads
        optimizer.step()
        step_spans.append((start, time.perf_counter()))
        losses.append(loss.item())
    return {"rank": rank, "allreduce_sum": float(total), "rows": rows, "grads": first_grads,
            "local_losses": losses, "params": _parameters(model),
            "step_seconds": [end - begin for begin, end in step_spans],
            "step_spans": step_spans, "all_reduce_spans": all_reduce_spans}


ddp_worker = _as_worker(ddp_worker, _expect_config)  # checks rank, world_size and config first


# ---------------------------------------------------------------- where a DDP step's time goes

_PHASES = (("computing: forward and backward", "tab:blue"),
           ("in the gradient all-reduce: waiting for the other ranks, then exchanging", "tab:red"),
           ("after the all-reduce: the rest of the step, the SGD update", "tab:green"))


def _spans(result: Any, key: str, i: int) -> list[tuple[float, float]]:
    spans = result.get(key) if isinstance(result, dict) else None
    expect(isinstance(spans, list) and all(isinstance(p, list | tuple) and len(p) == 2 and p[0] <= p[1]
                                           for p in spans),
           f"results[{i}]['{key}']", "a list of (start, end) times, as ddp_worker returns", spans)
    assert isinstance(spans, list)
    return [(float(a), float(b)) for a, b in spans]


def _step_parts(steps: list[tuple[float, float]],
                reduces: list[tuple[float, float]]) -> list[list[tuple[float, float, int]]]:
    """For each step, its parts as (start, end, phase): 0 before the all-reduce, 1 in it (from the
    first bucket's start to the last bucket's result), 2 after it."""
    parts = []
    for begin, end in steps:
        inside = [(a, b) for a, b in reduces if begin <= a <= end]
        first = min((a for a, _ in inside), default=end)
        last = min(max((b for _, b in inside), default=end), end)
        parts.append([(begin, first, 0), (first, last, 1), (last, end, 2)])
    return parts


def step_phases(result: dict) -> list[tuple[float, float, float]]:
    """Seconds of each step of one rank's ddp_worker result: (computing before the all-reduce, in
    the all-reduce, computing after it)."""
    parts = _step_parts(_spans(result, "step_spans", 0), _spans(result, "all_reduce_spans", 0))
    phases = []
    for step in parts:
        seconds = [0.0, 0.0, 0.0]
        for a, b, phase in step:
            seconds[phase] += b - a
        phases.append((seconds[0], seconds[1], seconds[2]))
    return phases


def plot_step_timeline(results: list[dict], ax: Any = None) -> Any:
    """A timeline of every rank's training steps from ddp_worker results: when each rank computed and
    when it sat in the gradient all-reduce; return the axes."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    expect(isinstance(results, list) and len(results) > 0, "results",
           "the list spawn_workers(ddp_worker, ...) returned", results)
    spans = [(_spans(r, "step_spans", i), _spans(r, "all_reduce_spans", i)) for i, r in enumerate(results)]
    starts = [steps[0][0] for steps, _ in spans if steps]
    expect(len(starts) == len(results), "results", "results of at least one step on every rank", results)
    origin = min(starts)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.7 + 0.75 * len(results)), dpi=90)
    for row, (steps, reduces) in enumerate(spans):
        for number, parts in enumerate(_step_parts(steps, reduces), start=1):
            for a, b, phase in parts:
                if b > a:
                    ax.broken_barh([(1e3 * (a - origin), 1e3 * (b - a))], (row - 0.35, 0.7),
                                   color=_PHASES[phase][1])
            ax.text(1e3 * (parts[0][0] - origin), row - 0.38, str(number), fontsize=7, va="bottom")
    ax.set_yticks(range(len(results)), [f"rank {r.get('rank', i)}" for i, r in enumerate(results)])
    ax.set_ylim(len(results) - 0.5, -0.75)  # rank 0 on top, room for the step numbers
    ax.set_xlabel("milliseconds since the first step began (small numbers: the step)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(handles=[Patch(color=c, label=label) for label, c in _PHASES], fontsize=7,
              loc="upper center", bbox_to_anchor=(0.5, -0.36 if len(results) < 3 else -0.2))
    return ax


def mismatched_worker(rank: int, world_size: int, config: dict) -> dict:
    """A classic deadlock: rank 0 waits in all_reduce while the other ranks wait to receive from it."""
    import torch.distributed as dist

    t = torch.ones(1)
    if rank == 0:
        dist.all_reduce(t)  # needs every rank to call all_reduce too
    else:
        dist.recv(t, src=0)  # needs rank 0 to call send, which it never does
    return {"rank": rank, "value": float(t)}


mismatched_worker = _as_worker(mismatched_worker)  # checks rank and world_size, and that it runs in a group
