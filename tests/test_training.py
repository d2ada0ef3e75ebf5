"""course_lib.training: make_loader, accuracy, evaluate, fit, train_epoch and checkpoints (lesson 05)."""

import copy

import pytest
import torch
from conftest import small_net
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_lib.errors import CourseInputError
from course_lib.live import LivePlot
from course_lib.training import (
    History,
    accuracy,
    evaluate,
    fit,
    load_checkpoint,
    make_loader,
    progress_bar,
    save_checkpoint,
    train_epoch,
)


def test_make_loader_batches_and_shuffles_reproducibly(split):
    loader = make_loader(split.x_train, split.y_train, batch_size=100, seed=3)
    batches = list(loader)
    assert len(batches) == 15 and batches[0][0].shape == (100, 64) and batches[-1][0].shape == (37, 64)
    again = list(make_loader(split.x_train, split.y_train, batch_size=100, seed=3))
    assert torch.equal(batches[0][1], again[0][1])
    assert not torch.equal(batches[0][1], split.y_train[:100])  # shuffled
    ordered = list(make_loader(split.x_train, split.y_train, batch_size=100, shuffle=False))
    assert torch.equal(ordered[0][1], split.y_train[:100])


def test_make_loader_bad_input(split):
    with pytest.raises(CourseInputError, match="same number of rows"):
        make_loader(split.x_train, split.y_val)
    with pytest.raises(CourseInputError, match="batch_size: expected an int of at least 1, got int 0"):
        make_loader(split.x_train, split.y_train, batch_size=0)
    with pytest.raises(CourseInputError, match="x: expected a torch.Tensor, got ndarray"):
        make_loader(split.x_train.numpy(), split.y_train)


def test_accuracy():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0], [0.0, 1.0]])
    assert accuracy(logits, torch.tensor([0, 1, 1, 1])) == 0.75
    with pytest.raises(CourseInputError, match=r"logits: expected a torch.Tensor with 2 dimension\(s\)"):
        accuracy(torch.ones(4), torch.ones(4))
    with pytest.raises(CourseInputError, match=r"y: expected a 1-D tensor of labels of shape \(4,\)"):
        accuracy(logits, torch.tensor([0, 1]))


def test_accuracy_refuses_what_would_give_a_wrong_fraction():
    """Labels outside the classes, NaN scores and no rows used to give a number (or nan) silently."""
    with pytest.raises(CourseInputError, match="y: expected values from 0 to 1"):
        accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 2]))  # was 0.5
    with pytest.raises(CourseInputError, match="logits: expected finite values"):
        accuracy(torch.tensor([[float("nan"), 1.0], [0.0, 3.0]]), torch.tensor([0, 1]))  # was 1.0
    with pytest.raises(CourseInputError, match="logits: expected at least one row"):
        accuracy(torch.ones(0, 2), torch.ones(0, dtype=torch.long))  # was nan


def test_evaluate_matches_a_manual_pass_and_restores_the_mode(split):
    model = small_net()
    model.train()
    loss, acc = evaluate(model, (split.x_val, split.y_val), batch_size=100)
    assert model.training  # put back as it was
    with torch.no_grad():
        logits = model.eval()(split.x_val)
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, split.y_val).item(), rel=1e-5)
    assert acc == pytest.approx(accuracy(logits, split.y_val))
    loader = make_loader(split.x_val, split.y_val, batch_size=64, shuffle=False)
    assert evaluate(model, loader)[1] == pytest.approx(acc)


def test_evaluate_bad_input(split):
    with pytest.raises(CourseInputError, match="model: expected a torch.nn.Module"):
        evaluate(lambda x: x, (split.x_val, split.y_val))
    with pytest.raises(CourseInputError, match="empty data set"):
        evaluate(small_net(), (torch.ones(0, 64), torch.ones(0, dtype=torch.long)))


def test_fit_learns_and_streams_to_a_live_plot(split):
    model = small_net()
    plot = LivePlot("test", use_visdom=False, show=False)
    history = fit(model, (split.x_train, split.y_train), torch.optim.Adam(model.parameters(), 3e-3),
                  epochs=3, val=(split.x_val, split.y_val), live=plot, log_every=2, progress=False)
    assert isinstance(history, History) and history.steps == 3 * 23
    assert len(history.train_loss) == len(history.val_loss) == len(history.val_accuracy) == 3
    assert history.train_loss[-1] < history.train_loss[0] and history.val_accuracy[-1] > 0.8
    assert [s for s, _ in plot.history["train"]] == list(range(2, 70, 2))
    assert [v for _, v in plot.history["val"]] == history.val_loss
    assert history.summary().splitlines()[0].startswith("epoch  1: train loss ")


def test_fit_is_the_lesson_loop(split):
    """Same start, same seed: fit's losses equal the loop written out in lesson 05."""
    model, again = small_net(1), small_net(1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(2):
        for xb, yb in make_loader(split.x_train, split.y_train, batch_size=64, seed=0):
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    # (the loop above re-creates its loader each epoch; fit keeps one, so compare epoch 1)
    history = fit(again, (split.x_train, split.y_train),
                  torch.optim.SGD(again.parameters(), lr=0.1, momentum=0.9), epochs=1,
                  progress=False)
    assert [v for _, v in history.step_loss] == losses[:23]


def test_fit_accepts_a_dataloader_and_shows_progress(split, capsys):
    model = small_net()
    loader = make_loader(split.x_val, split.y_val, batch_size=120)
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.1), epochs=2)
    assert history.steps == 6 and history.val_loss == []
    assert "epochs" in capsys.readouterr().err  # tqdm writes its bar to stderr outside notebooks
    assert History().summary() == "no epochs yet"


@pytest.mark.parametrize("change, match", [
    ({"epochs": 0}, "epochs: expected an int of at least 1, got int 0"),
    ({"epochs": True}, "epochs: expected an int of at least 1, got bool True"),
    ({"optimizer": None}, "optimizer: expected a torch.optim.Optimizer"),
    ({"train": [1, 2, 3]}, "train: expected a DataLoader or a pair"),
    ({"val": (torch.ones(3, 64), torch.ones(4))}, "val: expected x and y with the same number"),
    ({"live": "plot"}, "live: expected None or a LivePlot"),
    ({"log_every": 0}, "log_every: expected an int of at least 1"),
    ({"progress": "no"}, "progress: expected True or False"),
    ({"loss_fn": "mse"}, "loss_fn: expected a function"),
    ({"train": (torch.full((4, 64), float("nan")), torch.zeros(4, dtype=torch.long))},
     "train x: expected finite values"),
    ({"train": (torch.ones(4, 63), torch.zeros(4, dtype=torch.long))},
     "from the library below: (addmm: )?mat1"),
    ({"model": "net"}, "model: expected a torch.nn.Module"),
])
def test_fit_bad_input(split, change, match):
    model = small_net()
    kwargs = {"model": model, "train": (split.x_val, split.y_val),
              "optimizer": torch.optim.SGD(model.parameters(), lr=0.1), "epochs": 1,
              "progress": False}
    kwargs.update(change)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(CourseInputError, match=match):
        fit(**kwargs)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_fit_refuses_an_optimizer_built_on_another_model(split):
    """It used to train nothing and say nothing: the loss stayed at 1.2310 every epoch."""
    model, other = small_net(), small_net()
    with pytest.raises(CourseInputError, match="optimizer: holds none of the model's 4 trainable"):
        fit(model, (split.x_val, split.y_val), torch.optim.SGD(other.parameters(), lr=0.1), epochs=3,
            progress=False)


def test_fit_refuses_a_model_with_nothing_to_train_and_accepts_a_partial_optimizer(split):
    frozen = small_net().requires_grad_(False)
    with pytest.raises(CourseInputError, match="model: has no trainable parameters"):
        fit(frozen, (split.x_val, split.y_val), torch.optim.SGD(small_net().parameters(), lr=0.1), epochs=1,
            progress=False)
    model = small_net()  # fine-tuning only the last layer: the first stays as it was, the last learns
    first, last = copy.deepcopy(model[0].state_dict()), copy.deepcopy(model[2].state_dict())
    fit(model, (split.x_val, split.y_val), torch.optim.SGD(model[2].parameters(), lr=0.1), epochs=1,
        progress=False)
    assert all(torch.equal(first[k], v) for k, v in model[0].state_dict().items())
    assert not all(torch.equal(last[k], v) for k, v in model[2].state_dict().items())


def test_a_loss_that_is_not_one_number_is_refused_before_any_step(split):
    model = small_net()
    before = copy.deepcopy(model.state_dict())

    def per_example(logits, y):
        return nn.functional.cross_entropy(logits, y, reduction="none")

    with pytest.raises(CourseInputError, match="loss_fn: expected a function returning a scalar tensor"):
        fit(model, (split.x_val, split.y_val), torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
            loss_fn=per_example, progress=False)
    with pytest.raises(CourseInputError, match="loss_fn: expected a function returning a scalar tensor"):
        evaluate(model, (split.x_val, split.y_val), loss_fn=per_example)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_history_refuses_fields_that_are_not_lists():
    with pytest.raises(CourseInputError, match="train_loss: expected a list"):
        History(train_loss=0.5)


# -- train_epoch, schedules, clipping, checkpoints ---------------------------------------------------

def _dropout_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))


def _trainer(split, seed: int = 0, epochs: int = 3):
    """A net with dropout, AdamW, a one-cycle schedule and a shuffling loader: every state a resume needs."""
    model = _dropout_net(seed)
    loader = make_loader(split.x_val, split.y_val, batch_size=60, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=epochs * len(loader))
    return model, loader, optimizer, scheduler


def test_train_epoch_is_the_lesson_loop_with_a_schedule_and_clipping(split):
    model, loader, optimizer, scheduler = _trainer(split)
    again = copy.deepcopy(model)
    opt_again = torch.optim.AdamW(again.parameters(), lr=1e-2)
    sched_again = torch.optim.lr_scheduler.OneCycleLR(opt_again, max_lr=0.05, total_steps=3 * len(loader))
    seen = []
    with torch.random.fork_rng():
        losses = train_epoch(model, loader, optimizer, scheduler=scheduler, max_grad_norm=0.5,
                             on_step=seen.append)
    by_hand = []
    with torch.random.fork_rng():
        for xb, yb in make_loader(split.x_val, split.y_val, batch_size=60, seed=0):
            loss = nn.functional.cross_entropy(again(xb), yb)
            opt_again.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(again.parameters(), 0.5)
            opt_again.step()
            sched_again.step()
            by_hand.append(loss.item())
    assert losses == by_hand == seen and len(losses) == 6
    assert scheduler.last_epoch == 6 and scheduler.get_last_lr() == sched_again.get_last_lr()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters(), strict=True))


def _moved(model: nn.Module, before: list[torch.Tensor]) -> float:
    """How far the weights moved from ``before``: the norm of all the changes as one vector."""
    return torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before,
                                                               strict=True)]).norm().item()


def test_clipping_bounds_the_step_of_a_huge_gradient(split):
    """One batch of pixels 1000 times too bright: clipped, SGD moves the weights by at most lr * max_norm."""
    model = small_net()
    before = [p.detach().clone() for p in model.parameters()]
    loader = make_loader(split.x_val[:32] * 1000, split.y_val[:32], batch_size=32)
    train_epoch(model, loader, torch.optim.SGD(model.parameters(), lr=0.1), max_grad_norm=1.0)
    assert 0.0999 < _moved(model, before) <= 0.1 + 1e-6  # the gradient's norm was far above 1: exactly 0.1
    unclipped = small_net()
    train_epoch(unclipped, loader, torch.optim.SGD(unclipped.parameters(), lr=0.1))
    assert _moved(unclipped, before) > 10


def _run(split, epochs, *, save_after=None, resume_from=None):
    """Losses of each epoch: saved to ``save_after = (epochs done, path)`` and stopped there, or
    resumed from the checkpoint ``resume_from`` in objects built afresh."""
    torch.manual_seed(1)
    model, loader, optimizer, scheduler = _trainer(split, seed=0 if resume_from is None else 7, epochs=epochs)
    start = 0
    if resume_from is not None:
        torch.manual_seed(99)  # another random state, as in a new session
        start = load_checkpoint(resume_from, model, optimizer, scheduler=scheduler,
                                generator=loader.generator)
    curve = []
    for epoch in range(start, epochs):
        curve.append(train_epoch(model, loader, optimizer, scheduler=scheduler))
        if save_after is not None and save_after[0] == epoch + 1:
            save_checkpoint(save_after[1], model, optimizer, epoch + 1, scheduler=scheduler,
                            generator=loader.generator)
            break
    return curve


def test_a_resumed_run_equals_the_uninterrupted_one_bit_for_bit(split, tmp_path):
    whole = _run(split, epochs=4)
    first = _run(split, epochs=4, save_after=(2, tmp_path / "ck.pt"))
    rest = _run(split, epochs=4, resume_from=tmp_path / "ck.pt")
    assert len(first) == 2 and len(rest) == 2
    assert first + rest == whole
    checkpoint = torch.load(tmp_path / "ck.pt", weights_only=True)
    assert set(checkpoint) >= {"epoch", "model", "optimizer", "scheduler", "torch_rng", "generator_rng"}
    assert checkpoint["epoch"] == 2 and checkpoint["scheduler"]["last_epoch"] == 2 * 6  # 6 batches an epoch


def test_a_resume_that_restores_only_the_weights_differs(split, tmp_path):
    """The test above can fail: without the optimizer, schedule and random states the curve changes."""
    whole = _run(split, epochs=4)
    _run(split, epochs=4, save_after=(2, tmp_path / "ck.pt"))
    torch.manual_seed(99)
    model, loader, optimizer, scheduler = _trainer(split, seed=7, epochs=4)
    model.load_state_dict(torch.load(tmp_path / "ck.pt", weights_only=True)["model"])
    rest = [train_epoch(model, loader, optimizer, scheduler=scheduler) for _ in range(2)]
    assert rest != whole[2:]


def test_checkpoint_bad_input(split, tmp_path):
    model, loader, optimizer, scheduler = _trainer(split)
    path = save_checkpoint(tmp_path / "ck.pt", model, optimizer, 1, scheduler=scheduler,
                           generator=loader.generator)
    with pytest.raises(CourseInputError, match="scheduler: the checkpoint holds scheduler state, but none"):
        load_checkpoint(path, model, optimizer, generator=loader.generator)
    with pytest.raises(CourseInputError, match="generator: the checkpoint holds generator state, but none"):
        load_checkpoint(path, model, optimizer, scheduler=scheduler)
    with pytest.raises(CourseInputError, match="path: expected an existing file"):
        load_checkpoint(tmp_path / "nope.pt", model, optimizer)
    other = small_net()  # another architecture, with an optimizer and schedule of its own
    other_optimizer = torch.optim.AdamW(other.parameters())
    other_scheduler = torch.optim.lr_scheduler.OneCycleLR(other_optimizer, 0.1, total_steps=6)
    with pytest.raises(CourseInputError, match="model.load_state_dict .* from the library below"):
        load_checkpoint(path, other, other_optimizer, scheduler=other_scheduler, generator=loader.generator)
    torch.save({"model": {}}, tmp_path / "other.pt")
    with pytest.raises(CourseInputError, match="path: expected a checkpoint written by save_checkpoint"):
        load_checkpoint(tmp_path / "other.pt", model, optimizer)
    with pytest.raises(CourseInputError, match="epoch: expected an int of at least 0"):
        save_checkpoint(tmp_path / "ck.pt", model, optimizer, -1)
    with pytest.raises(CourseInputError, match="path: expected a file in a folder that exists"):
        save_checkpoint(tmp_path / "no" / "ck.pt", model, optimizer, 1)
    with pytest.raises(CourseInputError, match="generator: expected None or a torch.Generator"):
        save_checkpoint(tmp_path / "ck.pt", model, optimizer, 1, generator=loader)
    with pytest.raises(CourseInputError, match="scheduler: expected a scheduler built on the optimizer"):
        save_checkpoint(tmp_path / "ck.pt", model, torch.optim.SGD(model.parameters(), lr=0.1), 1,
                        scheduler=scheduler)


def test_train_epoch_bad_input(split):
    model, loader, optimizer, scheduler = _trainer(split)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(CourseInputError, match="loader: expected a torch DataLoader"):
        train_epoch(model, (split.x_val, split.y_val), optimizer)
    with pytest.raises(CourseInputError, match="max_grad_norm: expected a finite number above 0"):
        train_epoch(model, loader, optimizer, max_grad_norm=0)
    with pytest.raises(CourseInputError, match="scheduler: expected None or a torch.optim.lr_scheduler"):
        train_epoch(model, loader, optimizer, scheduler="cosine")
    with pytest.raises(CourseInputError, match="on_step: expected None or a function"):
        train_epoch(model, loader, optimizer, on_step=[])
    with pytest.raises(CourseInputError, match="loader: expected at least one batch"):
        train_epoch(model, DataLoader(TensorDataset(split.x_val[:0], split.y_val[:0])), optimizer)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_progress_bar_outside_a_notebook_draws_on_stderr(capsys):
    assert list(progress_bar(range(3), "epochs", unit="epoch")) == [0, 1, 2]
    assert "epochs: 100%" in capsys.readouterr().err


def test_progress_bar_in_a_notebook_is_shown_again_finished(monkeypatch):
    """A saved notebook keeps a display's last state: the bar is displayed with an id and updated
    when the loop ends, so its saved text reads 100 %, not the 0 % it had when it appeared."""
    from course_lib import training

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(repr(obj))

    def display(obj, display_id=False):
        assert display_id
        shown.append(repr(obj))
        return Handle()

    monkeypatch.setattr(training, "_in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", display)
    assert list(progress_bar(range(4), "epochs")) == [0, 1, 2, 3]
    assert len(shown) == 2
    assert shown[0].startswith("epochs:   0%|") and shown[1].startswith("epochs: 100%|") and "4/4" in shown[1]
