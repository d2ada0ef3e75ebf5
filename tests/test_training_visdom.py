"""Lesson 05's training helper against a real Visdom server, read back with Visdom's own client.

Also LivePlot's fall-back: the server is stopped in the middle of a run, the run goes on,
the plot switches to inline once, and the history stays complete.
"""

import json

import pytest
import torch
import visdom
from conftest import VISDOM_WARNINGS, small_net

from course_lib.live import LivePlot
from course_lib.tools.visdom_server import VisdomServer, free_port
from course_lib.training import fit

pytestmark = VISDOM_WARNINGS


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The server shares the machine's cores; torch's idle worker threads spin and starve it."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)




def _window(server, plot):
    client = visdom.Visdom(port=server.port, use_incoming_socket=False, raise_exceptions=True)
    return json.loads(client.get_window_data(win=plot.window, env=plot.env))


def test_fit_streams_every_point_to_a_real_server(split):
    with VisdomServer() as server:
        plot = LivePlot("digits: cross-entropy", xlabel="step", ylabel="loss", port=server.port,
                        env="test_training", show=False)
        assert plot.mode == "visdom"
        assert plot.url == f"http://127.0.0.1:{server.port}/env/test_training"
        model = small_net()
        history = fit(model, (split.x_train, split.y_train),
                      torch.optim.Adam(model.parameters(), lr=3e-3), epochs=2,
                      val=(split.x_val, split.y_val), live=plot, progress=False)
        assert plot.mode == "visdom" and plot.messages == []
        window = _window(server, plot)
    assert window["title"] == "digits: cross-entropy"
    traces = {trace["name"]: trace for trace in window["content"]["data"]}
    assert set(traces) == {"train", "val"}
    steps = [step for step, _ in history.step_loss]
    assert steps == list(range(1, 47)) and traces["train"]["x"] == steps
    assert traces["train"]["y"] == pytest.approx([loss for _, loss in history.step_loss], rel=1e-6)
    assert traces["val"]["x"] == [23, 46]
    assert traces["val"]["y"] == pytest.approx(history.val_loss, rel=1e-6)
    assert window["content"]["layout"]["xaxis"]["title"] == "step"


def test_live_plot_falls_back_inline_when_the_server_stops(capsys):
    server = VisdomServer().start()
    try:
        plot = LivePlot("fall-back", port=server.port, env="test_fallback", show=False)
        assert plot.mode == "visdom"
        for step in range(5):
            plot.log(step, train=1.0 / (step + 1))
        assert len(_window(server, plot)["content"]["data"][0]["x"]) == 5
        server.stop()
        for step in range(5, 10):
            plot.log(step, train=1.0 / (step + 1), val=0.5)  # must not raise
    finally:
        server.stop()
    assert plot.mode == "inline" and len(plot.messages) == 1
    assert plot.messages[0].startswith("Visdom stopped answering at step 5")
    assert capsys.readouterr().out.strip() == plot.messages[0]  # said once, not per point
    assert [s for s, _ in plot.history["train"]] == list(range(10))
    assert len(plot.history["val"]) == 5
    assert plot.url is None


def test_fit_survives_the_server_stopping_mid_run(split, capsys):
    with VisdomServer() as server:

        class StopsTheServer(LivePlot):
            def log(self, step, **values):
                if step == 30:
                    server.stop()
                super().log(step, **values)

        plot = StopsTheServer("stopped", port=server.port, env="test_stop", show=False)
        assert plot.mode == "visdom"
        model = small_net()
        history = fit(model, (split.x_train, split.y_train),
                      torch.optim.SGD(model.parameters(), lr=0.1), epochs=2,
                      val=(split.x_val, split.y_val), live=plot, progress=False)
    assert history.steps == 46 and len(history.val_loss) == 2
    assert plot.mode == "inline" and "at step 30" in capsys.readouterr().out
    assert [v for _, v in plot.history["train"]] == [v for _, v in history.step_loss]


def test_the_port_variable_and_a_rerun_replace_the_window_not_pile_up(monkeypatch):
    with VisdomServer() as server:
        monkeypatch.setenv("COURSE_VISDOM_PORT", str(server.port))  # as the start command sets it
        first = LivePlot("rerun check", show=False)
        assert first.mode == "visdom" and first.port == server.port
        assert first.url == f"http://127.0.0.1:{server.port}/env/course"
        assert first.where() == f"Live plot: streaming to Visdom, open {first.url}"
        for step in range(10):
            first.log(step, train=1.0 / (step + 1))
        again = LivePlot("rerun check", show=False)  # the learner runs the cell again
        for step in range(4):
            again.log(step, train=2.0)
        assert again.window == first.window == "live_rerun_check"
        window = _window(server, again)
        assert [len(t["y"]) for t in window["content"]["data"]] == [4]
        monkeypatch.setenv("COURSE_VISDOM_PUBLIC_URL", "/user/ann/visdom")
        assert again.url == "/user/ann/visdom/env/course"
    silent = LivePlot("x", port=free_port(), show=False)
    assert silent.where().startswith("Live plot: drawn below (no Visdom server answered on 127.0.0.1:")
