"""The learner's journey in a real browser: Debian's Chromium, driven by Playwright for Python.

The start command runs on free ports. Lesson 00 opens in Lab, trusted, unmodified, with an idle
kernel and no news pop-up. Lessons 04 and 05 run through Lab's own menu. TensorBoard's page,
opened before lesson 04 ran, shows its scalars once its reload button is pressed, and the Visdom
page the start command printed draws lesson 05's loss with every point, read from the plot in
the page. Stopping the command leaves nothing listening. With COURSE_SCREENSHOTS=<folder>
(scripts/screenshots.py) it also saves the README's two pictures.

Without Chromium these tests skip with one line; under CI=true a missing browser fails.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from browser import chromium_context, need_browser
from course_process import ROOT, http_get, launcher_of, listening, start_course, still_alive, stop_group

SHOTS = os.environ.get("COURSE_SCREENSHOTS")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The start command on free ports, with Lab's autosave off so no lesson file is rewritten."""
    need_browser()
    tmp = tmp_path_factory.mktemp("journey")
    settings = tmp / "lab-user-settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    lessons = {p: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    env = {"JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-workspaces"), "COURSE_RUNS_DIR": str(tmp / "runs")}
    proc, output, ports = start_course(env)
    try:
        assert "Press Ctrl-C" in output, output
        urls = {key: re.search(pattern, output).group(0) for key, pattern in (
            ("lab", r"http://127\.0\.0\.1:\d+/lab/tree/notebooks/00_welcome\.ipynb\?token=\w+"),
            ("visdom", r"http://127\.0\.0\.1:\d+/env/course"),
            ("tensorboard", rf"http://127\.0\.0\.1:{ports['tensorboard']}/"))}
        yield {"proc": proc, "output": output, "ports": ports, "urls": urls,
               "token": urls["lab"].rsplit("=", 1)[1]}
    finally:
        stop_group(proc, signal.SIGKILL)
        changed = [p.name for p, data in lessons.items() if p.read_bytes() != data]
        for p in changed:  # never leave a lesson rewritten by the browser session
            p.write_bytes(lessons[p])
        assert not changed, f"the browser session rewrote {changed}"


@pytest.fixture(scope="module")
def browser(course):
    with chromium_context(60_000) as context:
        yield context


@pytest.fixture(scope="module")
def lab(browser, course):
    page = browser.new_page()
    page.goto(course["urls"]["lab"])
    return page


def _wait_idle(page, timeout_s: float = 120) -> None:
    page.wait_for_function("() => /\\| Idle/.test(document.querySelector('.jp-StatusBar-Widget')"
                           "?.innerText || '')", timeout=timeout_s * 1000)


def _notebook(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def _open(page, course, name: str) -> None:
    """Open notebooks/<name> in this Lab with the file browser's double click, as a learner does."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.bring_to_front()  # Lab's browser tab in front: a tab in the background renders too few cells
    tab = page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name)
    for attempt in range(3):  # the listing refreshes itself now and then and can eat a double click
        page.locator(".jp-DirListing-item", has_text=name).dblclick()
        try:
            tab.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                _shot(page, f"open-{name}.png", always=True)
                raise AssertionError(f"double-clicking {name} in the file browser opened no tab") from None
    _notebook(page).locator(".jp-Cell").first.wait_for()
    # Lab adds the cells in batches while the browser is idle; Run All and the checks need them all.
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    want = sum(c["cell_type"] == "code" for c in cells)
    count = "() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell').length"
    try:
        page.wait_for_function(f"() => ({count})() === {want}", timeout=60_000)
    except PlaywrightTimeout:
        raise AssertionError(f"Lab showed {page.evaluate(count)} of {name}'s {want} code cells") from None
    _wait_idle(page)


def _run_all(page, timeout_s: float = 240) -> dict[str, int | list[str]]:
    """Run > Run All Cells from Lab's menu; wait until every code cell has run; report."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    state = """() => {
        const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        return [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
    }"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        done = f"() => ({state})().length > 0 && ({state})().every(t => /\\[\\d+\\]/.test(t))"
        page.wait_for_function(done, timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        _shot(page, "run-all-timeout.png", always=True)
        raise AssertionError(f"Run All Cells did not finish in {timeout_s:g} s; prompts: "
                             f"{page.evaluate(state)}") from None
    _wait_idle(page)
    nb = _notebook(page)
    return {"code_cells": nb.locator(".jp-CodeCell").count(),
            "errors": nb.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            .all_text_contents()}


def _shot(page, name: str, always: bool = False) -> None:
    """Save a screenshot into $COURSE_SCREENSHOTS (or, for a failure, the logs folder)."""
    folder = Path(SHOTS) if SHOTS else (ROOT / ".venv" / "logs" if always else None)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name))


def _wait_for_run(board_url: str, run: str, timeout_s: float = 90) -> None:
    """Wait until TensorBoard's server lists ``run`` (it rescans its folder every 2 s)."""
    deadline, runs = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        try:
            runs = json.loads(http_get(board_url + "data/runs")[1])
            if run in runs:
                return
        except OSError as exc:
            runs = f"no answer ({exc})"
        time.sleep(1)
    log = (ROOT / ".venv" / "logs" / "tensorboard.log").read_text()[-2000:]
    raise AssertionError(f"TensorBoard did not list {run} within {timeout_s:g} s; runs: {runs}; log:\n{log}")


def _reload_board(page, texts: list[str], tries: int = 3) -> None:
    """Press TensorBoard's reload button and wait until ``texts`` show. Its page does not ask for
    new runs by itself ("Reload data" is off by default), so a learner presses it, again if need be."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        page.locator("button.reload-button").click()
        try:
            for text in texts:
                page.get_by_text(text).filter(visible=True).first.wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                _shot(page, "tensorboard-timeout.png", always=True)
                body = page.locator("body").inner_text()[:1500]
                raise AssertionError(f"TensorBoard's page did not show {texts} after {tries} presses of its "
                                     f"reload button; it showed: {body!r}") from None


def test_lab_opens_lesson_00_trusted_unmodified_idle_and_without_a_news_toast(lab, course):
    nb = _notebook(lab)
    nb.locator("h1", has_text="00 · Welcome").wait_for()
    _wait_idle(lab)
    time.sleep(5)  # the news question, when enabled, pops up within a second or two of loading
    toasts = lab.locator(".Toastify__toast").all_inner_texts()
    assert not toasts, f"Lab showed a toast on its first screen: {toasts}"
    assert lab.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0, "opening a lesson marked it modified"
    assert "Python 3 (ipykernel) | Idle" in lab.locator(".jp-StatusBar-Widget").first.inner_text()
    log = (ROOT / ".venv" / "logs" / "jupyterlab.log").read_text()
    assert "is not trusted" not in log
    assert "kernel_ws_protocol" not in log and " 500 " not in log, log[-2000:]


def test_lesson_04_runs_in_lab_and_tensorboard_shows_its_scalars(lab, browser, course):
    board = browser.new_page()  # opened first, from the address the start command printed
    board.goto(course["urls"]["tensorboard"] + "#timeseries")
    board.locator("button.reload-button").wait_for()
    _open(lab, course, "04_tensorflow_graphs.ipynb")
    assert lab.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0
    report = _run_all(lab)
    assert report["code_cells"] > 20 and report["errors"] == []
    printed = _notebook(lab).text_content()  # offscreen cells too
    assert "1 event file in runs/04_keras/" in printed
    assert f"TensorBoard: {course['urls']['tensorboard']}" in printed

    _wait_for_run(course["urls"]["tensorboard"], "04_keras")
    assert board.get_by_text("04_keras").count() == 0, "TensorBoard finds new runs by itself: fix lesson 04"
    board.bring_to_front()
    _reload_board(board, ["04_keras", "train/loss"])  # the button the lesson tells the learner to press
    # The points themselves, from the same server the page reads them from.
    points = board.evaluate("""async () => (await (await fetch(
        'data/plugin/scalars/scalars?run=04_keras&tag=train%2Floss')).json()).map(p => p[1])""")
    assert points == list(range(1, 11))
    board.close()


def test_lesson_05_runs_in_lab_and_its_loss_is_drawn_in_the_printed_visdom_page(lab, browser, course):
    _open(lab, course, "05_pytorch_modules.ipynb")
    report = _run_all(lab)
    assert report["code_cells"] > 20 and report["errors"] == []
    printed = _notebook(lab).text_content()  # offscreen cells too
    visdom_url = course["urls"]["visdom"]
    assert f"Live plot: streaming to Visdom, open {visdom_url}" in printed
    counts = re.search(r"(\d+) steps; (\d+) training points and (\d+) validation points kept", printed)
    assert counts, printed[-3000:]
    expected = {"train": int(counts.group(2)), "val": int(counts.group(3))}
    if SHOTS:  # the training cell at the top of the window: its code, the Live plot line, the figure
        cell = _notebook(lab).locator(".jp-CodeCell", has_text="plot = LivePlot(\"05 · digits").first
        for _ in range(3):  # offscreen cells take their real height as they come into view
            cell.evaluate("el => el.scrollIntoView({block: 'start'})")
            time.sleep(0.7)
        _shot(lab, "lab-lesson-05.png")

    page = browser.new_page()  # opened after training: the whole curve must be there
    page.goto(visdom_url)
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(p => (p.layout?.title?.text || p.layout?.title || '').includes('05 · digits'))""")
    traces = page.evaluate("""() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')]
            .find(p => (p.layout?.title?.text || p.layout?.title || '').includes('05 · digits'));
        return plot.data.map(t => ({name: t.name, n: t.x.length, first: t.y[0], last: t.y[t.y.length - 1]}));
    }""")
    assert {t["name"]: t["n"] for t in traces} == expected
    assert all(t["last"] < t["first"] for t in traces), traces  # the loss went down
    # The environment box shows the lessons' environment, so the page is not Visdom's empty "main".
    assert "course" in page.locator("body").inner_text()
    _shot(page, "visdom-lesson-05.png")
    page.close()


def test_stopping_the_start_command_leaves_nothing_listening(course):
    launcher = launcher_of(course["proc"])
    pids = [launcher.pid, *(c.pid for c in launcher.children(recursive=True))]
    launcher.send_signal(signal.SIGTERM)
    launcher.wait(timeout=30)
    time.sleep(1)
    assert not still_alive(pids)
    assert not listening(course["ports"].values())
