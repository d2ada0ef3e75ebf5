"""Checks for lesson 05 (PyTorch modules, losses, optimizers and the training loop).

05.count_parameters is a table for the engine in core; train_step, predict and resume need
behaviour probes (a training step, the mode of the forward pass, an interrupted run), so they
keep hand-written graders on one Mistake list, and call the answer through the stock probes.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast
from unittest import mock

import numpy as np
import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler
from torch.utils.data import DataLoader

from course_lib.exercises.core import (
    STATE_HINTS,
    Case,
    Exercise,
    Mistake,
    Probes,
    Returns,
    Table,
    as_number,
    exercise,
    probed_call,
    register,
    require,
)
from course_lib.solutions import lesson05 as solutions
from course_lib.training import make_loader, save_checkpoint, train_epoch

ModuleT = TypeVar("ModuleT", bound=nn.Module)
_GRAD_OFF = STATE_HINTS["grad"][1]


def _seeded(seed: int, build: Callable[[], ModuleT]) -> ModuleT:
    """``build()`` with its weights drawn from ``seed``, leaving the global RNG as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build()


def _small_net(seed: int, dropout: float = 0.0) -> nn.Sequential:
    """The lesson's net, Linear(64, 32), ReLU, Linear(32, 10), with dropout after the ReLU if asked."""
    drop = [nn.Dropout(dropout)] if dropout else []
    return _seeded(seed, lambda: nn.Sequential(nn.Linear(64, 32), nn.ReLU(), *drop, nn.Linear(32, 10)))


def _batch(seed: int, n: int = 16, features: int = 64, classes: int = 10
           ) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, features, generator=g), torch.randint(0, classes, (n,), generator=g)


def _also(answer: Callable[..., Any], before: Callable[..., Any] = lambda *args: None,
          after: Callable[..., Any] = lambda *args: None) -> Callable[..., Any]:
    """A wrong answer: ``answer``, with ``before(*args)`` run first and ``after(*args)`` last (a side
    effect on the arguments or the session that the exercise forbids)."""

    def wrong(*args: Any) -> Any:
        before(*args)
        result = answer(*args)
        after(*args)
        return result

    return wrong


# -- 05.count_parameters: a table of models, judged against sum(p.numel()) over trainable ones
class _Custom(nn.Module):
    """Not a Sequential: nested layers, a bare nn.Parameter and a buffer."""

    mean: torch.Tensor  # the buffer registered in __init__

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 7), nn.Tanh())
        self.head = nn.Linear(7, 3)
        self.scale = nn.Parameter(torch.ones(3))
        self.register_buffer("mean", torch.zeros(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x - self.mean)) * self.scale


class _Tempered(nn.Module):
    """A linear layer and a learnable temperature: a 0-d nn.Parameter, which has no first axis."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(6, 4)
        self.temperature = nn.Parameter(torch.tensor(1.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) / self.temperature


def _count_cases(rng: np.random.Generator) -> list[Case]:
    """Models in an order that lets a known mistake be named before it breaks (the 0-d one last)."""
    frozen = _small_net(0)
    for p in frozen[0].parameters():
        p.requires_grad_(False)
    shared = _seeded(3, lambda: nn.Linear(16, 16))
    models = [
        ("the lesson's net (Linear(64, 32), ReLU, Linear(32, 10))", _small_net(0)),
        ("a conv net (Conv2d(3, 8, 3), BatchNorm2d(8), ReLU, pooling, Linear(8, 4, bias=False))",
         _seeded(1, lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                          nn.Linear(8, 4, bias=False)))),
        ("the lesson's net with its first layer frozen", frozen),
        ("a net that uses the same Linear(16, 16) twice (shared weights)",
         nn.Sequential(shared, nn.ReLU(), shared)),
        ("a net without parameters (ReLU, Flatten)", nn.Sequential(nn.ReLU(), nn.Flatten())),
        ("a custom nn.Module (nested layers, an nn.Parameter of its own, a buffer)",
         _seeded(2, _Custom)),
        ("a custom nn.Module with a 0-d nn.Parameter (a learnable temperature)", _seeded(4, _Tempered)),
    ]
    return [Case(f"count_parameters({name})", (model,)) for name, model in models]


def _trainable(model: nn.Module) -> list[nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


_TENSORS = ("that is the number of parameter tensors (weights, biases): count the numbers inside "
            "them with p.numel().")
_AN_INT = ("return the count as an int: sum p.numel() over the parameters gives one (use .item() on "
           "a tensor, and no float() or division).")
_READ_ONLY = ("counting only reads the model: your function changed it (its train/eval mode, its "
              "weights or which parameters require grad); leave it as it was.")

exercise("05.count_parameters", "Count a model's trainable parameters", solutions.count_parameters, Table(
    cases=_count_cases,
    returns=Returns("int", type_hint=_AN_INT),
    probes=Probes(mutation_hint=_READ_ONLY),
    mistakes=(
        Mistake(lambda model: len(_trainable(model)), _TENSORS),
        Mistake(lambda model: len(list(model.parameters())), _TENSORS),
        Mistake(lambda model: sum(p.numel() for p in model.parameters()),
                "count only the parameters the optimizer will train: those with requires_grad."),
        Mistake(lambda model: sum(p.numel() for n, p in model.named_parameters()
                                  if n.endswith("weight") and p.requires_grad),
                "you counted the weights only: the biases (and any other nn.Parameter) are "
                "parameters too."),
        Mistake(lambda model: sum(len(p) for p in _trainable(model)),
                "len(p) or p.shape[0] is only the first axis (and a 0-d parameter has none): "
                "p.numel() multiplies all of them."),
        Mistake(lambda model: sum(p.shape[0] * (p.shape[1] if p.ndim > 1 else 1) for p in _trainable(model)),
                "p.shape[0] * p.shape[1] counts two axes only; a conv weight has four (out, in, kh, "
                "kw) and a 0-d parameter none: p.numel() multiplies them all."),
        Mistake(lambda model: sum(v.numel() for v in model.state_dict().values()),
                "state_dict() also holds buffers (here BatchNorm's running statistics, or a "
                "registered buffer), which are saved but not trained: count model.parameters()."),
        Mistake(lambda model: sum(p.numel() for m in model.modules() for p in _trainable(m)),
                "model.modules() lists the model itself and every layer inside it, so m.parameters() "
                "counts nested parameters more than once: sum over model.parameters() once."),
        Mistake(lambda model: sum(p.numel() for layer in cast(nn.Sequential, model)  # as if a list
                                  for p in _trainable(layer)),
                "a layer used twice (shared weights) is trained once: model.parameters() lists each "
                "parameter once; summing layer by layer counts it twice (and a custom module is not "
                "a list of layers)."),
        Mistake(lambda model: sum(p.numel() for p in model.parameters() if p.grad is not None),
                "your count is 0 for models with trainable parameters: p.grad stays None until a "
                "backward pass, so test p.requires_grad, not p.grad."),
        Mistake(lambda model: float(solutions.count_parameters(model)), _AN_INT),
        Mistake(_also(solutions.count_parameters, before=lambda model: model.eval()), _READ_ONLY),
    ),
    fallback="sum p.numel() over model.parameters(), keeping those with p.requires_grad.",
    success=("the right count of trainable numbers, as an int, for 7 models: a linear net, a conv net "
             "with BatchNorm, a partly frozen net, one with shared weights, one without parameters and "
             "two custom modules (a buffer, a 0-d parameter); each model left as it was."),
))


# -- 05.train_step: a behaviour grader (the optimizer's hooks see when it steps, with what) ---
def _train_runs() -> list[tuple[str, nn.Module, Callable[[Any], torch.optim.Optimizer], int, int,
                                tuple[int, ...]]]:
    """(description, model, optimizer factory, features, classes, batch sizes of its steps)."""
    tanh_net = _seeded(5, lambda: nn.Sequential(nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 5)))
    return [
        ("the lesson's net, SGD(lr=0.1, momentum=0.9)", _small_net(1),
         lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9), 64, 10, (16, 7, 33)),
        ("a Linear(20, 16), Tanh, Linear(16, 5) net, Adam(lr=0.01)", tanh_net,
         lambda params: torch.optim.Adam(params, lr=0.01), 20, 5, (12, 1, 5)),
    ]


def _close(a: list[torch.Tensor | None], b: list[torch.Tensor]) -> bool:
    return all(p is not None and torch.allclose(p, q, rtol=1e-4, atol=1e-6)
               for p, q in zip(a, b, strict=True))


_PILED = "gradients piled up from the previous step: call optimizer.zero_grad() before loss.backward()."
_NO_GRADS_YET = ("optimizer.step() ran before loss.backward(): there were no gradients yet when it ran. "
                 "Call loss.backward() first.")
_WIPED = ("when optimizer.step() ran there were no gradients: the order is optimizer.zero_grad(), "
          "loss.backward(), optimizer.step() (zero_grad between backward and step wipes them).")
_WHICH_LOSS = ("the loss is nn.functional.cross_entropy(model(x), y), with the model as it was when "
               "train_step was called.")
_NEVER_STEPPED = ("the weights changed, but the optimizer passed in never stepped: update them with "
                  "optimizer.step(), not with a new optimizer (its settings and state would be lost) or "
                  "a hand-written update.")
_NO_STEP = "the weights did not change: call optimizer.step() after loss.backward()."
_AFTER = ("that is the loss after the update: return the loss you called backward on, computed before "
          "optimizer.step().")
_SOFTMAX = ("cross_entropy takes the raw scores (logits) and applies log-softmax itself: don't apply "
            "softmax first.")
_ITEM = "return loss.item(): a plain number, detached from the graph."
_TWICE = "optimizer.step() ran more than once in one call: once per train_step."
_OWN_UPDATE = ("optimizer.step() saw the right gradients, yet the weights differ: change them only "
               "through optimizer.step().")
_OTHER_GRADS = ("optimizer.step() saw other gradients than those of nn.functional.cross_entropy(model(x), "
                "y): zero them, then call loss.backward() once on that loss.")
_EVAL_MODE = ("train_step left the model in eval mode, so dropout and BatchNorm would behave as at test "
              "time for the rest of training: a training step does not change the model's mode.")
_BATCH_IN_PLACE = ("your function changed the batch x (or y) in place, so the data set itself changes "
                   "from epoch to epoch: compute on a new tensor (x - m, not x -= m).")
# x and y are the inputs the probes watch; the model and optimizer are changed by design
_STEP_PROBES = Probes(mutation_hint=_BATCH_IN_PLACE)


def _weights_hint(seen: dict[str, Any], unchanged: bool, model: nn.Module,
                  previous_grads: list[torch.Tensor] | None, ref_grads: list[torch.Tensor]) -> str:
    """Why the weights after a step are not those of one step of the optimizer passed in."""
    grads = seen["grads"]  # what optimizer.step() saw (None if it never ran)
    no_grads = grads is None or all(g is None or not g.any() for g in grads)
    if seen["steps"] == 0:
        return _NO_STEP if unchanged else _NEVER_STEPPED
    if seen["steps"] > 1:
        return _TWICE
    if no_grads and any(p.grad is not None and p.grad.any() for p in model.parameters()):
        return _NO_GRADS_YET
    if no_grads:
        return _WIPED
    if previous_grads is not None and _close(grads, [a + b for a, b in zip(previous_grads, ref_grads,
                                                                           strict=True)]):
        return _PILED
    return _OWN_UPDATE if _close(grads, ref_grads) else _OTHER_GRADS


def _grade_train_step(fn: Callable[..., Any]) -> str:
    for run, model, make_optimizer, features, classes, sizes in _train_runs():
        reference = copy.deepcopy(model)
        opt, ref_opt = make_optimizer(model.parameters()), make_optimizer(reference.parameters())
        seen: dict[str, Any] = {}

        def before_step(optimizer: Any, args: Any, kwargs: Any, seen: dict[str, Any] = seen,
                        model: nn.Module = model) -> None:
            seen["steps"] += 1  # and the gradients optimizer.step() is about to use
            seen["grads"] = [None if p.grad is None else p.grad.detach().clone()
                             for p in model.parameters()]

        opt.register_step_pre_hook(before_step)
        previous_grads: list[torch.Tensor] | None = None
        for step, n in enumerate(sizes, 1):
            x, y = _batch(100 * step + n, n, features, classes)
            with torch.no_grad():
                soft_loss = nn.functional.cross_entropy(torch.softmax(reference(x), dim=1), y).item()
            before = [p.detach().clone() for p in model.parameters()]
            seen.update(steps=0, grads=None)
            where = f"step {step} of {run}, a batch of {n}"
            got = probed_call(lambda x, y, model=model, opt=opt: fn(model, opt, x, y),
                              Case(f"train_step(model, optimizer, x, y) at {where}", (x, y)),
                              ["x", "y"], _STEP_PROBES)
            expected = solutions.train_step(reference, ref_opt, x, y)
            # every parameter has one: the reference train_step has just run backward()
            ref_grads = [p.grad.detach().clone() for p in reference.parameters() if p.grad is not None]
            with torch.no_grad():
                after_loss = nn.functional.cross_entropy(reference(x), y).item()
            require(isinstance(got, float), f"train_step's return value at {where}",
                    "a Python float (the loss)", type(got).__name__, _ITEM)
            require(all(m.training for m in model.modules()), f"the model's mode after {where}",
                    "training mode, as it was", "eval mode", _EVAL_MODE)
            if abs(got - expected) > 1e-4:
                hint = (_AFTER if abs(got - after_loss) < 1e-4 else
                        _SOFTMAX if abs(got - soft_loss) < 1e-4 else _WHICH_LOSS)
                require(False, f"loss at {where}", round(expected, 5), round(got, 5), hint)
            if not all(torch.allclose(p, q, rtol=1e-5, atol=1e-6)
                       for p, q in zip(model.parameters(), reference.parameters(), strict=True)):
                unchanged = all(torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))
                require(False, f"weights after {where}", "those of one step of the optimizer passed in",
                        "different weights", _weights_hint(seen, unchanged, model, previous_grads, ref_grads))
            previous_grads = ref_grads
    return ("losses and weights match a reference loop over six steps, with two models, batches of 1 "
            "to 33 rows and two optimizers (SGD with momentum, Adam); the batch, the model's mode and "
            "autograd's grad mode are left as they were.")


def _step(model: nn.Module, optimizer: Any, x: torch.Tensor, y: torch.Tensor, *, order: str = "zbs",
          softmax: bool = False) -> torch.Tensor:
    """A training step whose calls of zero_grad (z), backward (b) and step (s) come in ``order``."""
    loss = nn.functional.cross_entropy(torch.softmax(model(x), dim=1) if softmax else model(x), y)
    for call in order:
        {"z": optimizer.zero_grad, "b": loss.backward, "s": optimizer.step}[call]()
    return loss


register(Exercise(
    id="05.train_step",
    title="One training step",
    grader=_grade_train_step,
    solution=solutions.train_step,
    wrong=(
        Mistake(lambda m, o, x, y: _step(m, o, x, y, order="bs").item(), _PILED),
        Mistake(lambda m, o, x, y: _step(m, o, x, y, order="zsb").item(), _NO_GRADS_YET),
        Mistake(lambda m, o, x, y: _step(m, o, x, y, order="bzs").item(), _WIPED),
        Mistake(lambda m, o, x, y: solutions.train_step(m, o, x, y) * 2, _WHICH_LOSS),
        Mistake(lambda m, o, x, y: solutions.train_step(m, torch.optim.SGD(m.parameters(), lr=0.1), x, y),
                _NEVER_STEPPED),
        Mistake(lambda m, o, x, y: _step(m, o, x, y, order="zb").item(), _NO_STEP),
        Mistake(_also(lambda m, o, x, y: nn.functional.cross_entropy(m(x), y).item(),
                      before=solutions.train_step), _AFTER),
        Mistake(lambda m, o, x, y: _step(m, o, x, y, softmax=True).item(), _SOFTMAX),
        Mistake(lambda m, o, x, y: _step(m, o, x, y), _ITEM),
        Mistake(lambda m, o, x, y: _step(m, o, x, y, order="zbss").item(), _TWICE),
        # "no more graph needed" after the step, but set_grad_enabled lasts for the session
        Mistake(_also(solutions.train_step, after=lambda *args: torch.set_grad_enabled(False)), _GRAD_OFF),
        Mistake(_also(solutions.train_step, after=lambda m, o, x, y: m.eval()), _EVAL_MODE),
        Mistake(_also(solutions.train_step, before=lambda m, o, x, y: x.sub_(x.mean(dim=0))),
                _BATCH_IN_PLACE),
    ),
))


# -- 05.predict: a behaviour grader (a hook sees the mode and grad mode of each forward pass)
def _bn_net() -> nn.Sequential:
    def build() -> nn.Sequential:
        bn = nn.BatchNorm1d(16)  # draws nothing, so the Linear layers' weights are as before
        net = nn.Sequential(nn.Linear(20, 16), bn, nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 5))
        # running statistics unlike any one batch's, so eval mode shows
        bn.running_mean, bn.running_var = torch.randn(16), torch.rand(16) + 0.5
        return net

    return _seeded(3, build)


def _predict_cases() -> list[tuple[str, nn.Module, torch.Tensor]]:
    return [
        ("a net with BatchNorm and dropout, 5 rows, 5 classes", _bn_net(), _batch(8, 5, 20, 5)[0]),
        ("a net with dropout, 64 rows, 10 classes", _small_net(2, dropout=0.5), _batch(7, n=64)[0]),
        ("a net with dropout, 1 row", _small_net(4, dropout=0.5), _batch(9, n=1)[0]),
        ("a net with BatchNorm and dropout, 300 rows, 5 classes", _bn_net(), _batch(10, 300, 20, 5)[0]),
    ]


_PAIR = "torch.max returns (values, indices): keep the indices, or use argmax(dim=1)."
_SCORES = ("those are scores (or probabilities), one per class in each row: the class is the index of "
           "the largest, argmax(dim=1).")
_ONE_ROW = ("with one row, argmax() without dim or .squeeze() gives a 0-d tensor: argmax(dim=1) keeps "
            "one class per row, shape (1,).")
_PER_ROW = "one class per row: argmax over dim=1, the class scores, gives shape (N,)."
_INTEGERS = "argmax gives integer class indices: keep them as integers, don't convert to float."
_TRAIN_MODE = ("the model was in training mode during your forward pass: dropout drops random units (and "
               "BatchNorm uses the batch's own statistics). Call model.eval() first.")
_DIM0 = ("argmax over dim=0 picks, for each class, the row that scores highest: take dim=1, over the "
         "classes of each row.")
_RECORDING = ("autograd was recording during your forward pass: wrap it in `with torch.no_grad():` so no "
              "graph is recorded.")
_FROZE = ("your function switched requires_grad off on the model's parameters, which lasts after the "
          "call: the next training step would train nothing. Wrap the forward pass in "
          "`with torch.no_grad():` instead.")
_CHANGED = ("predicting only reads the model, yet your function changed its weights or BatchNorm's "
            "running statistics (a forward pass in training mode updates them): call model.eval() "
            "before the forward pass.")
_X_IN_PLACE = "your function changed the batch x in place: leave the caller's data as it was."
# rng off: a forward pass in training mode draws dropout masks, and that mistake has its own hint;
# the model is not watched by the stock probe, since predict puts it in eval mode by design
_PREDICT_PROBES = Probes(rng=False, mutation_hint=_X_IN_PLACE)


def _grade_predict(fn: Callable[[nn.Module, torch.Tensor], Any]) -> str:
    cases = _predict_cases()
    for name, model, x in cases:
        model.train()
        with torch.no_grad():
            scores = copy.deepcopy(model).eval()(x)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        seen: list[tuple[bool, bool]] = []  # (autograd on, some layer in training mode) per forward
        first = next(m for m in model.modules() if isinstance(m, nn.Linear))
        first.register_forward_pre_hook(lambda module, args, model=model, seen=seen: seen.append(
            (torch.is_grad_enabled(), any(m.training for m in model.modules()))))
        expected = scores.argmax(dim=1)
        what = f"predict(model, x) for {name}"
        with torch.random.fork_rng():
            torch.manual_seed(0)
            got = probed_call(lambda x, model=model: fn(model, x), Case(what, (x,)), ["x"], _PREDICT_PROBES)
        require(not (isinstance(got, tuple) and len(got) == 2), what, "a tensor of class indices",
                "a pair", _PAIR)
        require(isinstance(got, torch.Tensor), what, "a tensor of class indices",
                type(got).__name__, "return a torch tensor, not a NumPy array: model(x).argmax(dim=1)."
                if isinstance(got, np.ndarray) else "return model(x).argmax(dim=1).")
        n, c = scores.shape
        if got.shape != expected.shape:
            hint = (_SCORES if tuple(got.shape) == (n, c) else
                    _ONE_ROW if got.ndim == 0 and n == 1 else _PER_ROW)
            require(False, f"shape of {what}", tuple(expected.shape), tuple(got.shape), hint)
        require(not got.is_floating_point() and not got.is_complex() and got.dtype != torch.bool,
                f"dtype of {what}", "integers (torch.int64)", got.dtype, _INTEGERS)
        if not torch.equal(got.long(), expected):
            hint = (_TRAIN_MODE if any(training for _, training in seen) else
                    "your function did not run the model: compute model(x), then argmax(dim=1)."
                    if not seen else
                    _DIM0 if torch.equal(got.long(), scores.argmax(dim=0)) else
                    "the class of a row is the index of its largest score: model(x).argmax(dim=1).")
            require(False, what, "the predictions of the model in eval mode",
                    f"{int((got.long() != expected).sum())} of {n} rows different", hint)
        now = model.state_dict()
        require(all(torch.equal(now[k], v) for k, v in state.items()), f"the model after {what}",
                "its weights and statistics unchanged", "changed", _CHANGED)
        require(all(p.requires_grad for p in model.parameters()), f"requires_grad after {what}",
                "True for every parameter, as before", "False", _FROZE)
        require(bool(seen) and not any(grad for grad, _ in seen), f"autograd during {what}",
                "switched off", "on", _RECORDING)
    return ("eval-mode predictions, one integer class per row, computed without recording a graph, for "
            "four models (dropout, BatchNorm) and batches of 1, 5, 64 and 300 rows; the weights, "
            "requires_grad and autograd's grad mode are left as they were.")


def _predict_by(*, eval_mode: bool = True, no_grad: bool = True, finish: Callable[[torch.Tensor], Any]
                = lambda s: s.argmax(dim=1)) -> Callable[[nn.Module, torch.Tensor], Any]:
    """A learner's predict: with or without model.eval() and torch.no_grad(), and its last step."""

    def predict(model: nn.Module, x: torch.Tensor) -> Any:
        if eval_mode:
            model.eval()
        with torch.set_grad_enabled(not no_grad):
            return finish(model(x))

    return predict


register(Exercise(
    id="05.predict",
    title="Predict classes in eval mode without gradients",
    grader=_grade_predict,
    solution=solutions.predict,
    wrong=(
        Mistake(_predict_by(eval_mode=False), _TRAIN_MODE),
        Mistake(_predict_by(no_grad=False), _RECORDING),
        Mistake(_predict_by(finish=lambda s: s.argmax(dim=0)), _DIM0),
        Mistake(_predict_by(finish=lambda s: s.argmax()), _PER_ROW),
        Mistake(_predict_by(finish=lambda s: torch.softmax(s, dim=1)), _SCORES),
        Mistake(_predict_by(finish=lambda s: torch.max(s, 1)), _PAIR),
        Mistake(_predict_by(finish=lambda s: s.argmax(dim=1).squeeze()), _ONE_ROW),
        Mistake(_predict_by(finish=lambda s: s.argmax(dim=1).float()), _INTEGERS),
        # the next two switch autograd off in ways that outlast the call, instead of torch.no_grad()
        Mistake(_also(solutions.predict, before=lambda m, x: torch.set_grad_enabled(False)), _GRAD_OFF),
        Mistake(_also(_predict_by(no_grad=False), before=lambda m, x: m.requires_grad_(False)), _FROZE),
        Mistake(_also(solutions.predict, before=lambda m, x: x.sub_(x.mean(dim=0, keepdim=True))),
                _X_IN_PLACE),
    ),
))


# -- 05.resume: a behaviour grader that makes its own uninterrupted run and compares the losses
class _ResumeRun(NamedTuple):
    """One training run the check interrupts: its optimizer and schedule, its length and where it stops."""

    name: str
    make_optimizer: Callable[[Any], torch.optim.Optimizer]
    make_scheduler: Callable[[torch.optim.Optimizer, int], LRScheduler]  # (optimizer, total steps)
    epochs: int
    stop_after: int  # the checkpoint is saved after this many finished epochs


_RESUME_RUNS = (
    _ResumeRun("AdamW with a one-cycle schedule, 4 epochs, stopped after 2",
               lambda params: torch.optim.AdamW(params, lr=1e-2, weight_decay=0.01),
               lambda opt, total: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=total),
               4, 2),
    _ResumeRun("SGD with momentum and a cosine schedule, 3 epochs, stopped after 1",
               lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
               lambda opt, total: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total),
               3, 1),
)


class _Trainer(NamedTuple):
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: LRScheduler
    loader: DataLoader


def _resume_trainer(run: _ResumeRun, weights_seed: int) -> _Trainer:
    """A net with dropout, its optimizer and schedule, and a shuffling loader over 80 examples."""
    model = _seeded(weights_seed, lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3),
                                                        nn.Linear(16, 3)))
    x, y = _batch(21, n=80, features=8, classes=3)
    loader = make_loader(x, y, batch_size=16, seed=0)
    optimizer = run.make_optimizer(model.parameters())
    return _Trainer(model, optimizer, run.make_scheduler(optimizer, run.epochs * len(loader)), loader)


def _train_epochs(t: _Trainer, epochs: range) -> list[list[float]]:
    """The batch losses of each epoch in ``epochs`` (the loop of the lesson, from course_lib)."""
    return [train_epoch(t.model, t.loader, t.optimizer, scheduler=t.scheduler) for _ in epochs]


def _same_optimizer_state(got: dict[str, Any], saved: dict[str, Any]) -> bool:
    return got.keys() == saved.keys() and all(
        got[k].keys() == saved[k].keys()
        and all(torch.equal(torch.as_tensor(got[k][n]), torch.as_tensor(saved[k][n])) for n in saved[k])
        for k in saved)


_WEIGHTS = "the weights are not the saved ones: model.load_state_dict(checkpoint['model'])."
_OPTIMIZER = ("the optimizer started afresh, without its momentum (or Adam's running averages and step "
              "count): restore them with optimizer.load_state_dict(checkpoint['optimizer']).")
_SCHEDULE = ("the schedule started over, so the learning rate does too: restore its step with "
             "scheduler.load_state_dict(checkpoint['scheduler']).")
_TORCH_RNG = ("dropout drew other masks than the uninterrupted run: put torch's random state back with "
              "torch.set_rng_state(checkpoint['torch_rng']).")
_GENERATOR = ("the batches came in another order: the DataLoader shuffles with its own generator; put "
              "its state back with generator.set_state(checkpoint['generator_rng']).")
_FROM_ZERO = ("restarting at epoch 0 trains the finished epochs twice: return checkpoint['epoch'], the "
              "number of epochs already done.")
_ONE_LATE = ("checkpoint['epoch'] counts the finished epochs, so it is already the index of the next "
             "epoch: return it as it is.")
_UNSAFE = ("you loaded with weights_only=False, which lets the file run code while it is read: keep "
           "weights_only=True (tensors and plain containers only).")
_EPOCH_INT = "return checkpoint['epoch'], the epoch to continue from, as an int."
_ALL = ("restore the model, the optimizer, the scheduler, torch's random state and the generator's "
        "from the checkpoint, and return checkpoint['epoch'].")
# rng off: resume restores torch's random state by design; the objects it is given it changes by
# design too, so only grad mode and the default dtype are watched (and the path is a string)
_RESUME_PROBES = Probes(rng=False, inputs_unchanged=False)


def _resume_hint(checkpoint: dict[str, Any], t: _Trainer) -> str:
    """What the resume left out, found by comparing each state it restored in ``t`` with the
    checkpoint (so called right after the resume, before training goes on)."""
    model = t.model.state_dict()
    if not all(torch.equal(model[k], v) for k, v in checkpoint["model"].items()):
        return _WEIGHTS
    if not _same_optimizer_state(t.optimizer.state_dict()["state"], checkpoint["optimizer"]["state"]):
        return _OPTIMIZER
    if t.scheduler.last_epoch != checkpoint["scheduler"]["last_epoch"]:
        return _SCHEDULE
    if not torch.equal(torch.get_rng_state(), checkpoint["torch_rng"]):
        return _TORCH_RNG
    assert t.loader.generator is not None  # make_loader gives each loader its own generator
    if not torch.equal(t.loader.generator.get_state(), checkpoint["generator_rng"]):
        return _GENERATOR
    return _ALL


def _watching_loads(call: Callable[..., Any], *args: Any) -> tuple[Any, list[dict[str, Any]]]:
    """``call(*args)``, and the keyword arguments of each torch.load it made."""
    loaded_with: list[dict[str, Any]] = []
    real_load = torch.load

    def spy(*load_args: Any, **kwargs: Any) -> Any:
        loaded_with.append(kwargs)
        return real_load(*load_args, **kwargs)

    with mock.patch.object(torch, "load", spy):
        return call(*args), loaded_with


def _grade_resume(fn: Callable[..., Any]) -> str:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # nets this small train faster on one thread, far faster on a busy machine
    try:
        return _grade_resume_runs(fn)
    finally:
        torch.set_num_threads(threads)


def _grade_resume_runs(fn: Callable[..., Any]) -> str:
    for run in _RESUME_RUNS:
        with torch.random.fork_rng(), tempfile.TemporaryDirectory() as folder:
            torch.manual_seed(1)
            truth = _train_epochs(_resume_trainer(run, weights_seed=5), range(run.epochs))

            torch.manual_seed(1)  # the same run again, stopped and saved after run.stop_after epochs
            first = _resume_trainer(run, weights_seed=5)
            _train_epochs(first, range(run.stop_after))
            path = save_checkpoint(Path(folder) / "checkpoint.pt", first.model, first.optimizer,
                                   run.stop_after, scheduler=first.scheduler,
                                   generator=first.loader.generator)
            checkpoint = torch.load(path, weights_only=True)

            torch.manual_seed(99)  # a new session: other weights, fresh objects, another random state
            t = _resume_trainer(run, weights_seed=6)
            what = f"resume(path, model, optimizer, scheduler, generator) for {run.name}"

            def answer(path: Path, t: _Trainer = t) -> Any:
                return fn(path, t.model, t.optimizer, t.scheduler, t.loader.generator)

            start, loaded_with = _watching_loads(probed_call, answer, Case(what, (path,)), ["path"],
                                                 _RESUME_PROBES)
            epoch = as_number(start, whole=True)
            require(epoch is not None, f"what resume returned for {run.name}",
                    "the epoch to continue from (an int)", f"{start!r} ({type(start).__name__})", _EPOCH_INT)
            require(all(kw.get("weights_only", True) is not False for kw in loaded_with),
                    f"how resume read the file ({run.name})", "torch.load(path, weights_only=True)",
                    "weights_only=False", _UNSAFE)
            if epoch != run.stop_after:
                require(False, f"the epoch resume returned for {run.name}", run.stop_after, epoch,
                        _FROM_ZERO if epoch == 0 else
                        _ONE_LATE if epoch == run.stop_after + 1 else _EPOCH_INT)
            hint = _resume_hint(checkpoint, t)
            resumed = _train_epochs(t, range(run.stop_after, run.epochs))
            expected = f"the {run.epochs - run.stop_after} epochs of the uninterrupted run, bit for bit"
            require(resumed == truth[run.stop_after:], f"the losses after resuming {run.name}", expected,
                    "other losses from the first resumed step on", hint)
    return ("resumed mid-run, the losses equal an uninterrupted run's bit for bit, for two runs (AdamW "
            "with one-cycle, SGD with momentum and cosine), with dropout and shuffled batches; the file "
            "is read with weights_only=True and autograd's grad mode is left as it was.")


def _resume_without(*skip: str) -> Callable[..., int]:
    """The reference resume, leaving out the restores named in ``skip``."""

    def resume(path: Any, model: nn.Module, optimizer: Any, scheduler: Any,
               generator: torch.Generator) -> int:
        checkpoint = torch.load(path, weights_only=True)
        restores = {"model": model.load_state_dict, "optimizer": optimizer.load_state_dict,
                    "scheduler": scheduler.load_state_dict, "torch_rng": torch.set_rng_state,
                    "generator_rng": generator.set_state}
        for key, restore in restores.items():
            if key not in skip:
                restore(checkpoint[key])
        return checkpoint["epoch"]

    return resume


def _resume_unsafe_load(path: Any, model: nn.Module, optimizer: Any, scheduler: Any,
                        generator: torch.Generator) -> int:
    real_load = torch.load
    with mock.patch.object(torch, "load", lambda p, **kw: real_load(p, weights_only=False)):
        return solutions.resume(path, model, optimizer, scheduler, generator)


register(Exercise(
    id="05.resume",
    title="Resume training exactly from a checkpoint",
    grader=_grade_resume,
    solution=solutions.resume,
    wrong=(
        Mistake(_resume_without("optimizer"), _OPTIMIZER),
        Mistake(_resume_without("scheduler"), _SCHEDULE),
        Mistake(_resume_without("torch_rng"), _TORCH_RNG),
        Mistake(_resume_without("generator_rng"), _GENERATOR),
        Mistake(_resume_without("model"), _WEIGHTS),
        Mistake(_also(lambda *args: 0, before=solutions.resume), _FROM_ZERO),
        Mistake(lambda *args: solutions.resume(*args) + 1, _ONE_LATE),
        Mistake(_resume_unsafe_load, _UNSAFE),
        Mistake(lambda *args: float(solutions.resume(*args)), _EPOCH_INT),
        # "loading needs no graph", but set_grad_enabled lasts for the session
        Mistake(_also(solutions.resume, before=lambda *args: torch.set_grad_enabled(False)), _GRAD_OFF),
    ),
))
