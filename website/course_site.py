"""The course's Sphinx extension: lessons read from their stored outputs, made static and offline.

- ``read_lesson`` (myst-nb's reader for .ipynb): widget outputs become static HTML drawn from the
  stored widget state (no require.js, no widget manager from a CDN), and every figure gets a text
  alternative: the cell's ``mystnb.image.alt`` metadata, else the figure's titles from its code.
  The hosted-runtime cell (course_lib.hosted) is left off the page: it does nothing for a reader,
  and the downloaded .ipynb still has it.
- ``check_and_mark``: fails the build on a figure without one, and puts under each lesson's title
  "Last verified: …" from benchmarks/verified.json (course_lib.tools.verified), or "Not verified".
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from course_lib.hosted import CELL_MARK
from course_lib.tools import verified

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
IMAGES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
logger = logging.getLogger(__name__)


# --- widgets as static HTML -------------------------------------------------------------------

def _text(value: object) -> str:
    """The visible text of an HTML widget's value: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(value or ""))).replace("\u2007", " ").strip()


def widget_html(model_id: str, state: dict[str, Any], fallback: str) -> str:
    """Static HTML for a stored widget view: boxes, HTML and labels, progress bars; else ``fallback``."""
    models = {key: value.get("state", {}) for key, value in state.items()}

    def render(mid: str, label: str) -> str | None:
        model = models.get(mid)
        if model is None:
            return None
        name = model.get("_model_name", "")
        if name in ("HBoxModel", "VBoxModel", "BoxModel"):
            ids = [c.removeprefix("IPY_MODEL_") for c in model.get("children", [])]
            texts = [_text(models.get(i, {}).get("value")) for i in ids
                     if models.get(i, {}).get("_model_name") in ("HTMLModel", "LabelModel")]
            parts = [render(i, next((t for t in texts if t), "")) for i in ids]
            if any(p is None for p in parts):
                return None
            return f'<div class="course-widget">{"".join(p for p in parts if p)}</div>'
        if name in ("HTMLModel", "HTMLMathModel"):
            return f"<span>{model.get('value', '')}</span>" if model.get("value") else ""
        if name == "LabelModel":
            return f"<span>{html.escape(str(model.get('value', '')))}</span>"
        if name in ("FloatProgressModel", "IntProgressModel"):
            value, top = f'{model.get("value", 0):g}', f'{model.get("max", 100):g}'
            name_ = html.escape(model.get("description") or label or "progress", quote=True)
            return (f'<progress value="{value}" max="{top}" aria-label="{name_}">'
                    f"{value}/{top}</progress>")
        return None

    rendered = render(model_id, "")
    return rendered if rendered is not None else f"<pre>{html.escape(fallback)}</pre>"


# --- text alternatives for figures --------------------------------------------------------------

_TITLE_CALLS = {"set_title", "suptitle", "title"}


def _literal(node: ast.expr) -> str | None:
    """A plain string literal's value (an f-string names no fixed title: None)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("\n", " ")
    return None


def figure_alt(source: str) -> str | None:
    """A figure's text alternative from its code: the suptitle (or LivePlot title), then each
    panel's title, then the axis labels; None when the code names no literal title."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    main, panels, axes = [], [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = _literal(node.args[0]) if node.args else None
        if name in ("suptitle", "LivePlot") and first:
            main.append(first if name == "suptitle" else f"Live plot: {first}")
        elif name in _TITLE_CALLS and first:
            panels.append(first)
        elif name in ("set_xlabel", "set_ylabel") and first:
            axes.append(first)
        for kw in node.keywords:
            value = _literal(kw.value)
            if kw.arg == "title" and value:
                main.append(value)
            elif kw.arg in ("xlabel", "ylabel") and value:
                axes.append(value)
    if not main and not panels:
        return None
    alt = main[0] + "." if main else ""
    if panels:
        alt += (" Panels: " if main else "") + "; ".join(panels) + "."
    labels = list(dict.fromkeys(axes))
    if labels:
        alt += " Axes: " + ", ".join(labels) + "."
    return alt.strip()


def read_lesson(text: str) -> nbformat.NotebookNode:
    """myst-nb's reader for a lesson: static widgets, and a text alternative for every figure."""
    nb = nbformat.reads(text, as_version=4)
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.source.startswith(CELL_MARK):
            cell.metadata.setdefault("tags", []).append("remove-cell")  # myst-nb leaves it out
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                view = data.pop(WIDGET_VIEW)
                fallback = "".join(data.get("text/plain", ""))
                data["text/html"] = widget_html(view.get("model_id", ""), state, fallback)
        has_figure = any(m in o.get("data", {}) for o in cell.get("outputs", []) for m in IMAGES)
        image_meta = cell.metadata.get("mystnb", {}).get("image", {})
        if has_figure and not image_meta.get("alt"):
            alt = figure_alt(cell.source)
            if alt:
                cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
    return nb


# --- the checks and the "Last verified" line ---------------------------------------------------

def check_and_mark(app: Sphinx, doctree: nodes.document) -> None:
    """Warn (so the build fails) on a figure without a text alternative; put a lesson's "Last
    verified" (or "Not verified") line right under its title."""
    for image in doctree.findall(nodes.image):
        if not image.get("alt"):
            logger.warning("a figure has no text alternative: give its cell mystnb.image.alt "
                           "metadata or a title", location=image)
    docname = app.env.docname
    section = next(iter(doctree.findall(nodes.section)), None)
    if not docname.startswith("notebooks/"):
        return
    if section is None:
        logger.warning("%s has no title", docname, location=docname)
        return
    text = verified.line(Path(app.env.doc2path(docname)), verified.load())
    section.insert(1, nodes.paragraph(text, text, classes=["course-verified"]))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the hooks."""
    app.connect("doctree-read", check_and_mark)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
