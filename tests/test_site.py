"""The course website: built by its one command, served on 127.0.0.1, read in Debian's Chromium.

Every lesson page shows its title, its figures decoded, the "Last verified" line the verification
file gives, and nothing from any other host and no console error. Search finds a lesson by a word
only it uses; the launch and download links point at the lesson's real path; light and dark themes
switch; axe-core finds no serious or critical violation; a 375 px phone never scrolls sideways.
With COURSE_SCREENSHOTS=<folder> (scripts/screenshots.py) it saves the README's picture of lesson 05.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
from browser import chromium_context, need_browser
from conftest import ROOT, http_get

from course_lib import settings
from course_lib.tools import site, verified

LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SEARCH_WORD, SEARCH_LESSON = "perplexity", "13_language_models"
# The home page; 08, the longest lesson and the one with the most figures (14); 05, with a widget;
# each in light and dark; and 12, with HTML tables, in light only (to keep the test short).
AXE_PAGES = {"index": ("light", "dark"), "notebooks/08_opencv_pipelines": ("light", "dark"),
             "notebooks/05_pytorch_modules": ("light", "dark"),
             "notebooks/12_choosing_a_framework": ("light",)}
SHOTS = os.environ.get("COURSE_SCREENSHOTS")


def _course_site():
    """website/course_site.py, the Sphinx extension, imported as website/conf.py imports it."""
    if str(ROOT / "website") not in sys.path:
        sys.path.insert(0, str(ROOT / "website"))
    import course_site

    return course_site


def test_a_figure_is_described_by_its_titles_and_axes():
    alt = _course_site().figure_alt(
        'fig, axes = plt.subplots(1, 2)\naxes[0].set_title("hue")\naxes[1].set_title(f"{n} coins")\n'
        'axes[0].set_xlabel("x (pixels)")\nfig.suptitle("Thresholding in HSV")\n')
    assert alt == "Thresholding in HSV. Panels: hue. Axes: x (pixels)."
    assert _course_site().figure_alt('plot = LivePlot("05 · loss", ylabel="loss")') == \
        "Live plot: 05 · loss. Axes: loss."
    assert _course_site().figure_alt('ax.set_title(f"{n} faces")') is None


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_figure_has_a_text_alternative_and_no_widget_needs_javascript(lesson):
    nb = _course_site().read_lesson((ROOT / "notebooks" / f"{lesson}.ipynb").read_text())
    assert "widgets" not in nb.metadata
    # the hosted-runtime cell stays off the page (myst-nb's remove-cell), and only that cell
    assert [c.source.splitlines()[0] for c in nb.cells if "remove-cell" in c.metadata.get("tags", [])] \
        == ["# On a hosted runtime (Colab and similar) this installs the course; in its own set-up it does "
            "nothing."]
    for cell in nb.cells:
        outputs = [o.get("data", {}) for o in cell.get("outputs", [])]
        assert not [d for d in outputs if "application/vnd.jupyter.widget-view+json" in d]
        if any("image/png" in d or "image/jpeg" in d for d in outputs):
            assert len(cell.metadata["mystnb"]["image"]["alt"]) > 15, cell.source[:200]
    if lesson == "05_pytorch_modules":  # tqdm's bar, drawn from the stored widget state
        html = [d["text/html"] for c in nb.cells for d in (o.get("data", {}) for o in c.get("outputs", []))
                if "course-widget" in d.get("text/html", "")]
        assert html and '<progress value="15" max="15" aria-label="epochs: 100%">' in html[0]


def test_readme_links_that_only_work_in_the_repository_point_at_it():
    text = ("see [below](#your-python), [Binder](binder/README.md), [00](notebooks/00_welcome.ipynb), "
            "![shot](docs/a.png), [web](https://example.org/a)")
    assert site.readme_for_site(text, "https://github.com/o/r", "main") == (
        "see [below](https://github.com/o/r/blob/main/README.md#your-python), "
        "[Binder](https://github.com/o/r/blob/main/binder/README.md), [00](notebooks/00_welcome.ipynb), "
        "![shot](docs/a.png), [web](https://example.org/a)")


def test_a_broken_link_or_a_figure_without_text_alternative_fails_the_build(tmp_path, capfd):
    site.provision()
    src = tmp_path / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "index.md").write_text("# Home\n\n[gone](missing.md)\n\n```{toctree}\nnotebooks/00_x\n```\n")
    dot = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    cell = nbformat.v4.new_code_cell("show(dot)", execution_count=1, outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": dot, "text/plain": "<Figure>"})])
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 00 · X"), cell]),
                   src / "notebooks" / "00_x.ipynb")
    assert site.build(tmp_path / "out", src) != 0
    err = capfd.readouterr().err
    assert "missing.md" in err and "a figure has no text alternative" in err, err


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # no access log in the test output
        pass


@pytest.fixture(scope="module")
def built():
    """The site, built by the README's command; its build time and size are part of the report."""
    start = time.perf_counter()
    done = subprocess.run(["bash", "scripts/site.sh"], cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    assert done.returncode == 0, done.stdout + done.stderr
    size = site.size_of(site.SITE)
    print(f"\nsite built in {took:.1f} s, {size / 1e6:.1f} MB")
    assert size < 40e6, f"the site is {size / 1e6:.1f} MB, over its 40 MB budget"
    return site.SITE


@pytest.fixture(scope="module")
def server(built):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(built)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(server):
    need_browser()
    with chromium_context(30_000) as context:
        yield context


class Visit:
    """A page of the site, with every request to another host (blocked) and every console error."""

    def __init__(self, context, server: str, path: str, scheme: str = "light") -> None:
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        host = urllib.parse.urlsplit(server).netloc

        def route(r):
            if urllib.parse.urlsplit(r.request.url).netloc == host:
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.emulate_media(color_scheme=scheme)  # the system's preference, as the page opens
        self.page.goto(server + path)

    def assert_clean(self) -> None:
        assert not self.foreign, f"requests to other hosts: {self.foreign}"
        assert not self.errors, f"console errors: {self.errors}"


def _title(lesson: str) -> str:
    first = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text())["cells"][0]["source"]
    return "".join(first).split("\n", 1)[0].lstrip("# ").replace("*", "").replace("`", "")


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lesson_page_shows_its_title_figures_and_verification(browser, server, lesson):
    visit = Visit(browser, server, f"notebooks/{lesson}.html")
    page = visit.page
    assert page.locator("article h1").first.inner_text().rstrip("#").strip() == _title(lesson)
    images = page.evaluate("""() => [...document.querySelectorAll('article img')].map(
        i => ({src: i.getAttribute('src'), alt: i.alt, width: i.naturalWidth, done: i.complete}))""")
    stored = sum(any(m in o.get("data", {}) for m in ("image/png", "image/jpeg"))
                 for c in json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text())["cells"]
                 for o in c.get("outputs", []))
    assert len(images) == stored
    for image in images:
        assert image["done"] and image["width"] > 0, f"{image['src']} was not decoded"
        assert len(image["alt"]) > 15, f"{image['src']} has no text alternative: {image['alt']!r}"
    line = page.locator(".course-verified").inner_text()
    assert line == verified.line(ROOT / "notebooks" / f"{lesson}.ipynb", verified.load())
    visit.assert_clean()
    page.close()


def test_the_home_page_has_the_readme_course_map_and_every_lesson_in_order(browser, server):
    visit = Visit(browser, server, "index.html")
    page = visit.page
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.split("## Course map", 1)[1].splitlines() if line.startswith("| 0")
            or line.startswith("| 1")]
    assert page.locator("article table tbody tr").count() == len(rows) == len(LESSONS)
    assert "bash scripts/start.sh" in page.locator("article").inner_text()
    links = page.locator("article table a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert links == [f"notebooks/{lesson}.html" for lesson in LESSONS]
    visit.assert_clean()
    # previous / next links walk the lessons in course order
    nxt = Visit(browser, server, f"notebooks/{LESSONS[0]}.html").page
    assert nxt.locator("a.right-next").get_attribute("href") == f"{LESSONS[1]}.html"
    assert nxt.locator("a.left-prev").get_attribute("href") == "../index.html"
    page.close()
    nxt.close()


def test_search_lists_the_only_lesson_with_a_word_first(browser, server):
    holders = [p for p in LESSONS if SEARCH_WORD in (ROOT / "notebooks" / f"{p}.ipynb").read_text().lower()]
    assert holders == [SEARCH_LESSON], f"pick another word: {SEARCH_WORD!r} is in {holders}"
    visit = Visit(browser, server, f"search.html?q={SEARCH_WORD}")
    first = visit.page.locator("#search-results ul.search li a").first
    first.wait_for()
    assert first.get_attribute("href").startswith(f"notebooks/{SEARCH_LESSON}.html")
    visit.assert_clean()
    visit.page.close()


def test_launch_and_download_links_point_at_the_lessons_real_path(browser, server):
    lesson = "05_pytorch_modules"
    visit = Visit(browser, server, f"notebooks/{lesson}.html")
    hrefs = visit.page.locator(".article-header-buttons a, .article-header-buttons button").evaluate_all(
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('onclick') || '')")
    repo = settings.repository_url()
    owner_repo = repo.removeprefix("https://github.com/")
    path = f"notebooks/{lesson}.ipynb"
    binder = (f"{settings.BINDERHUB_URL}/v2/gh/{owner_repo}/{settings.REPOSITORY_BRANCH}"
              f"?urlpath=lab/tree/{path}")
    hub = (f"{settings.jupyterhub_url()}/hub/user-redirect/git-pull?"
           + urllib.parse.urlencode({"repo": repo, "urlpath": f"lab/tree/{owner_repo.split('/')[1]}/{path}",
                                     "branch": settings.REPOSITORY_BRANCH}, safe="/"))
    assert binder in hrefs and hub in hrefs, hrefs
    assert not [h for h in hrefs if "/./" in h or "=./" in h]
    download = [h for h in hrefs if h.endswith(".ipynb") and "_sources" in h]
    assert download == [f"../_sources/{path}"], hrefs
    status, body = http_get(urllib.parse.urljoin(server + f"notebooks/{lesson}.html", download[0]))
    assert status == 200 and body == (ROOT / path).read_bytes()
    visit.assert_clean()
    visit.page.close()


def test_light_and_dark_themes(browser, server):
    visit = Visit(browser, server, "notebooks/05_pytorch_modules.html")
    page = visit.page
    colours = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_function(f"() => document.documentElement.dataset.theme === '{scheme}'")
        colours[scheme] = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert colours["light"] != colours["dark"]
    page.locator("button.theme-switch-button").first.click()  # the reader's own choice wins
    assert page.evaluate("() => document.documentElement.dataset.mode") in ("light", "dark", "auto")
    visit.assert_clean()
    page.close()


@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_serious_or_critical_violation(browser, server, path):
    found = {}
    for scheme in AXE_PAGES[path]:  # a page opened in each (switching an open page animates colours)
        visit = Visit(browser, server, f"{path}.html", scheme)
        page = visit.page
        assert page.evaluate("() => document.documentElement.dataset.theme") == scheme
        page.add_script_tag(content=site.AXE.read_text())
        result = page.evaluate("async () => (await axe.run(document)).violations.map("
                               "v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map("
                               "n => n.target.join(' '))}))")
        found[scheme] = [v for v in result if v["impact"] in ("serious", "critical")]
        visit.assert_clean()
        page.close()
    assert found == {scheme: [] for scheme in AXE_PAGES[path]}


@pytest.mark.parametrize("path", ["index", "notebooks/08_opencv_pipelines",
                                  "notebooks/12_choosing_a_framework"])  # prose, figures, wide tables
def test_a_phone_reads_a_page_without_scrolling_sideways(browser, server, path):
    page = browser.new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(server + f"{path}.html")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide at a 375 px viewport"
    # prose; a table too wide for a phone scrolls inside its own box (the page stays put)
    overflowing = page.evaluate("""() => [...document.querySelectorAll('article :is(p, li, h1, h2)')]
        .filter(e => !e.closest('table') && e.getBoundingClientRect().right > 376)
        .map(e => e.textContent.slice(0, 40))""")
    assert not overflowing
    page.close()


def test_screenshot_of_a_lesson_page(browser, server):
    if not SHOTS:
        pytest.skip("COURSE_SCREENSHOTS is not set (scripts/screenshots.py sets it)")
    visit = Visit(browser, server, "notebooks/05_pytorch_modules.html")
    visit.page.emulate_media(color_scheme="light")
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(Path(SHOTS) / "site-lesson-05.png"))
    visit.page.close()
