"""A live loss plot: it posts to Visdom when a server answers, otherwise it redraws inline.

Either way the whole history stays in memory (``plot.history``), and a server that goes
away in the middle of training never stops the run: the plot says so once and draws inline.
The notebook's stored output is the same in both cases: one figure with the final curves.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import time
import urllib.request
import zlib
from typing import Any

from course_lib.errors import CourseInputError, expect, expect_bool, expect_number, expect_port
from course_lib.settings import (
    DEFAULT_VISDOM_PORT,
    HOST,
    VISDOM_ENV,
    expect_env_name,
    url_path,
    visdom_base_url,
    visdom_env_url,
    visdom_port,
)

__all__ = ["DEFAULT_VISDOM_PORT", "LivePlot", "visdom_answers", "visdom_base_url"]


def visdom_answers(port: int | None = None, host: str = HOST, timeout: float = 0.5,
                   base_url: str | None = None) -> bool:
    """True when a Visdom server answers on ``host:port`` (default ``$COURSE_VISDOM_PORT``)."""
    port = visdom_port() if port is None else expect_port(port)
    expect(isinstance(host, str) and host.strip() != "" and not any(c in host for c in "/:?# "), "host",
           "a host name or address such as '127.0.0.1'", host)
    expect_number(timeout, "timeout", low=0, high=60, low_open=True)
    base_url = visdom_base_url() if base_url is None else url_path(base_url)
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{base_url}/", timeout=timeout) as r:
            return r.status == 200 and b"visdom" in r.read(4096).lower()
    except OSError:
        return False


def window_id(title: str) -> str:
    """The Visdom window id a plot titled ``title`` uses, so running a cell again replaces it.

    A plain title ("training loss") gives ``live_training_loss``; any other title gets a short
    checksum of its exact text as well, so two titles never share (and overwrite) one window."""
    expect(isinstance(title, str), "title", "a str", title)
    slug = "".join(c if c.isascii() and c.isalnum() else "_" for c in title.lower()).strip("_")
    slug = "_".join(filter(None, slug.split("_")))
    if slug and slug.replace("_", " ") == title:  # nothing was lost: the id stands for this title only
        return "live_" + slug
    return f"live_{slug or 'plot'}__{zlib.crc32(title.encode('utf-8')):08x}"


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class LivePlot:
    """Plot one or more named series (``"train"``, ``"val"``) as they grow, step by step."""

    def __init__(self, title: str = "training loss", *, xlabel: str = "step", ylabel: str = "loss",
                 use_visdom: bool = True, port: int | None = None, env: str = VISDOM_ENV,
                 redraw_every: float = 1.0, show: bool | None = None, announce: bool | None = None) -> None:
        for name, text in (("title", title), ("xlabel", xlabel), ("ylabel", ylabel)):
            expect(isinstance(text, str), name, "a str", text)
        expect_number(redraw_every, "redraw_every", low=0)
        expect_bool(use_visdom, "use_visdom")
        for name, flag in (("show", show), ("announce", announce)):
            expect(flag is None or isinstance(flag, bool), name, "None, True or False", flag)
        expect_env_name(env)
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.port = visdom_port() if port is None else expect_port(port)
        self.env, self.redraw_every = env, float(redraw_every)
        self.history: dict[str, list[tuple[float, float]]] = {}
        self.show = _in_notebook() if show is None else show
        self.mode = "inline"
        self._asked_visdom = bool(use_visdom)
        self.messages: list[str] = []
        self._vis: Any = None
        self._win: str | None = None
        self._handle: Any = None
        self._last_draw = 0.0
        if use_visdom and visdom_answers(self.port):
            self._connect()
        if self.show if announce is None else announce:  # in a notebook, say where it draws
            print(self.where())
        if self.show:
            from IPython.display import display

            self._handle = display(self._image(), display_id=True)

    # -- Visdom -------------------------------------------------------------------------
    def _connect(self) -> None:
        import requests
        import visdom

        logging.getLogger("visdom").setLevel(logging.ERROR)

        class _Session(requests.Session):
            def request(self, *args: Any, **kwargs: Any) -> Any:  # never hang a training run
                kwargs.setdefault("timeout", 2.0)
                return super().request(*args, **kwargs)

        try:
            vis = visdom.Visdom(server=f"http://{HOST}", port=self.port, env=self.env,
                                base_url=visdom_base_url() or "/",
                                use_incoming_socket=False, raise_exceptions=True)
            vis._session = _Session()  # type: ignore[attr-defined]
            self._vis, self.mode = vis, "visdom"
        except Exception:  # a server that answered the probe but not the client
            self._vis, self.mode = None, "inline"

    def _post(self, series: str, step: float, value: float) -> None:
        import numpy as np

        opts = {"title": self.title, "xlabel": self.xlabel, "ylabel": self.ylabel,
                "showlegend": True}
        x, y = np.array([step]), np.array([value])
        # visdom's client prints "Error connecting to Visdom server!" itself when an append
        # finds no server; the plot reports that once, in _fall_back, so keep the client quiet.
        with contextlib.redirect_stdout(io.StringIO()):
            if self._win is None:  # a fixed id: a second run replaces the window, never piles up
                self._win = self._vis.line(X=x, Y=y, win=window_id(self.title), name=series, opts=opts)
            else:
                self._vis.line(X=x, Y=y, win=self._win, name=series, update="append", opts=opts)

    @property
    def url(self) -> str | None:
        """Where the learner's browser shows the plot, when it streams to Visdom (else ``None``)."""
        if self.mode != "visdom":
            return None
        public_port = None if self.port == visdom_port() else self.port
        return visdom_env_url(self.env, public_port)

    def where(self) -> str:
        """One line saying where the plot is drawn (printed when the plot is made)."""
        if self.mode == "visdom":
            return f"Live plot: streaming to Visdom, open {self.url}"
        if not self._asked_visdom:
            return "Live plot: drawn below (use_visdom=False)"
        return (f"Live plot: drawn below (no Visdom server answered on {HOST}:{self.port}; "
                "the start command runs one)")

    @property
    def window(self) -> str | None:
        """The Visdom window id of this plot (``None`` until the first point is posted)."""
        return self._win

    # -- Logging points -------------------------------------------------------------------
    def log(self, step: float, **values: float) -> None:
        """Record ``values`` (e.g. ``train=0.31, val=0.35``) at ``step`` and update the plot."""
        expect_number(step, "step")
        if not values:
            raise CourseInputError("log: expected at least one named value, e.g. log(step, loss=0.3).")
        clean: dict[str, float] = {}
        for name, value in values.items():
            try:  # accepts Python, NumPy and 0-d torch/TF numbers (a NaN loss too: it is what happened)
                if isinstance(value, (str, bytes, bool)) or str(getattr(value, "dtype", "")).endswith("bool"):
                    raise TypeError(type(value).__name__)
                clean[name] = float(value)
            except (TypeError, ValueError) as exc:
                raise CourseInputError(
                    f"{name}: expected a number (use loss.item() for a torch tensor), "
                    f"got {type(value).__name__}.") from exc
        for name, value in clean.items():
            if not math.isfinite(value) and all(math.isfinite(v) for _, v in self.history.get(name, [])):
                self._say(f"{name} is {value} at step {step:g}: training has diverged (a learning rate "
                          "too large, or a bad batch); the plot keeps the point.")
            self.history.setdefault(name, []).append((float(step), value))
            if self.mode == "visdom":
                try:
                    self._post(name, float(step), value)
                except Exception as exc:  # the server went away: carry on inline
                    self._fall_back(step, exc)
        if self.mode == "inline" and self._handle is not None:
            now = time.monotonic()
            if now - self._last_draw >= self.redraw_every:
                self._handle.update(self._image())
                self._last_draw = now

    def _fall_back(self, step: float, exc: Exception) -> None:
        self.mode, self._vis = "inline", None
        self._say(f"Visdom stopped answering at step {step:g} ({type(exc).__name__}); "
                  "the plot continues inline and keeps the whole history.")

    def _say(self, msg: str) -> None:
        """Tell the learner something about the plot, once, and keep it in ``messages``."""
        self.messages.append(msg)
        print(msg)

    def close(self) -> None:
        """Draw the final figure (the notebook keeps this one)."""
        if self._handle is not None:
            self._handle.update(self._image())

    def __enter__(self) -> LivePlot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Summaries and drawing --------------------------------------------------------------
    def last(self, series: str) -> float:
        """The latest value of a series."""
        if not isinstance(series, str) or series not in self.history:
            raise CourseInputError(
                f"series: expected one of {sorted(self.history)}, got {series!r}.")
        return self.history[series][-1][1]

    def summary(self) -> str:
        """One line per series: first and last value and the number of points."""
        lines = [f"{name}: {pts[0][1]:.4f} -> {pts[-1][1]:.4f} over {len(pts)} points"
                 for name, pts in self.history.items()]
        return "\n".join(lines) if lines else "no points yet"

    def figure(self) -> Any:
        """A matplotlib Figure of every series (not shown by pyplot)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.2), dpi=90)
        ax = fig.add_subplot()
        for name, pts in self.history.items():
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, label=name)
        if self.history:
            ax.legend(loc="upper right")
            values = [v for pts in self.history.values() for _, v in pts]
            if min(values) > 0 and max(values) / min(values) > 100 and all(map(math.isfinite, values)):
                ax.set_yscale("log")
        # plain text: a "$" in a label would start matplotlib's mathtext and break every redraw
        ax.set_title(self.title.replace("$", r"\$"))
        ax.set_xlabel(self.xlabel.replace("$", r"\$"))
        ax.set_ylabel(self.ylabel.replace("$", r"\$"))
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig

    def _image(self) -> Any:
        from IPython.display import Image

        buf = io.BytesIO()
        self.figure().savefig(buf, format="png")
        return Image(data=buf.getvalue(), format="png")
