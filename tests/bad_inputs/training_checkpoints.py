"""Bad input for course_lib.training's epoch, progress and checkpoint calls (train_epoch,
progress_bar, save_checkpoint, load_checkpoint). Every call must be refused by an argument check
before anything is trained or written.
"""

import atexit
import shutil
import tempfile
from pathlib import Path

import torch
from torch import nn

from bad_inputs import Case

TMP = Path(tempfile.mkdtemp(prefix="bad_inputs_ck_"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)


def _parts(m):
    """A small net, its optimizer, a one-cycle schedule and a loader over 8 examples."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 4, generator=g), torch.randint(0, 3, (8,), generator=g)
    loader = m.make_loader(x, y, batch_size=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=4)
    return model, loader, optimizer, scheduler


def _epoch(m, **change):
    model, loader, optimizer, _ = _parts(m)
    kwargs = {"model": model, "loader": loader, "optimizer": optimizer, **change}
    return m.train_epoch(**kwargs)


def _save(m, **change):
    model, loader, optimizer, scheduler = _parts(m)
    kwargs = {"path": TMP / "ck.pt", "model": model, "optimizer": optimizer, "epoch": 1,
              "scheduler": scheduler, "generator": loader.generator, **change}
    return m.save_checkpoint(**kwargs)


def _load(m, **change):
    model, loader, optimizer, scheduler = _parts(m)
    path = m.save_checkpoint(TMP / "saved.pt", model, optimizer, 1, scheduler=scheduler,
                             generator=loader.generator)
    kwargs = {"path": path, "model": model, "optimizer": optimizer, "scheduler": scheduler,
              "generator": loader.generator, **change}
    return m.load_checkpoint(**kwargs)


def _not_a_checkpoint(m):
    torch.save([1, 2, 3], TMP / "list.pt")
    return _load(m, path=TMP / "list.pt")


def _pickled_code(m):
    torch.save({"fn": print}, TMP / "code.pt")  # weights_only=True refuses a function
    return _load(m, path=TMP / "code.pt")


CASES = [
    Case("training.train_epoch", lambda m: _epoch(m, model="net"), "model: expected a torch.nn.Module"),
    Case("training.train_epoch", lambda m: _epoch(m, loader=[(torch.ones(2, 4), torch.zeros(2))]),
         "loader: expected a torch DataLoader"),
    Case("training.train_epoch", lambda m: _epoch(m, optimizer="sgd"), "optimizer: expected a torch.optim"),
    Case("training.train_epoch", lambda m: _epoch(m, scheduler="cosine"), "scheduler: expected None or"),
    Case("training.train_epoch", lambda m: _epoch(m, scheduler=_parts(m)[3]),
         "scheduler: expected a scheduler built on the optimizer"),
    Case("training.train_epoch", lambda m: _epoch(m, max_grad_norm=0.0), "max_grad_norm: expected a finite"),
    Case("training.train_epoch", lambda m: _epoch(m, max_grad_norm=float("inf")),
         "max_grad_norm: expected a finite"),
    Case("training.train_epoch", lambda m: _epoch(m, max_grad_norm=True), "max_grad_norm: expected a finite"),
    Case("training.train_epoch", lambda m: _epoch(m, on_step="print"), "on_step: expected None or a"),
    Case("training.train_epoch", lambda m: _epoch(m, loss_fn=3), "loss_fn: expected a function"),
    Case("training.progress_bar", lambda m: m.progress_bar(5, "epochs"), "iterable: expected something"),
    Case("training.progress_bar", lambda m: m.progress_bar(range(3), None), "desc: expected a str"),
    Case("training.progress_bar", lambda m: m.progress_bar(range(3), "epochs", unit=""), "unit: expected a"),
    Case("training.save_checkpoint", lambda m: _save(m, path=3), "path: expected a path"),
    Case("training.save_checkpoint", lambda m: _save(m, path=TMP / "no such folder" / "ck.pt"),
         "path: expected a file in a folder that exists"),
    Case("training.save_checkpoint", lambda m: _save(m, path=TMP), "path: expected a file in a folder"),
    Case("training.save_checkpoint", lambda m: _save(m, epoch=-1), "epoch: expected an int of at least 0"),
    Case("training.save_checkpoint", lambda m: _save(m, epoch=1.5), "epoch: expected an int"),
    Case("training.save_checkpoint", lambda m: _save(m, generator=_parts(m)[1]),
         "generator: expected None or a torch.Generator"),
    Case("training.save_checkpoint", lambda m: _save(m, scheduler=_parts(m)[3]),
         "scheduler: expected a scheduler built on the optimizer"),
    Case("training.save_checkpoint", lambda m: _save(m, model=None), "model: expected a torch.nn.Module"),
    Case("training.load_checkpoint", lambda m: _load(m, path=TMP / "missing.pt"),
         "path: expected an existing file"),
    Case("training.load_checkpoint", lambda m: _load(m, path=TMP), "path: expected an existing file"),
    Case("training.load_checkpoint", _not_a_checkpoint, "path: expected a checkpoint written by"),
    Case("training.load_checkpoint", _pickled_code, "weights_only=True): UnpicklingError from the library"),
    Case("training.load_checkpoint", lambda m: _load(m, scheduler=None),
         "scheduler: the checkpoint holds scheduler state"),
    Case("training.load_checkpoint", lambda m: _load(m, generator=None),
         "generator: the checkpoint holds generator state"),
    Case("training.load_checkpoint", lambda m: _load(m, generator="loader"), "generator: expected None or"),
]
