"""Sphinx configuration of the course website (built by scripts/site.sh, never by hand).

The lessons are read from their stored outputs (nb_execution_mode "off"); the repository
address for the launch buttons comes from course_lib.settings.
"""

import sys
from pathlib import Path

from course_lib import settings
from course_lib.tools.site import VENDOR

sys.path.insert(0, str(Path(__file__).parent))

project = "Deep Learning Software, hands-on"
author = "the course's authors"
copyright = "the course's authors, MIT licence"
extensions = ["myst_nb", "course_site"]
root_doc = "index"
exclude_patterns = ["README.md"]  # included by index.md, not a page of its own
nb_execution_mode = "off"
nb_custom_formats = {".ipynb": "course_site.read_lesson"}
nb_ipywidgets_js = {}  # widgets are rendered as static HTML (course_site.read_lesson)
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
mathjax_path = "mathjax/tex-chtml.js"  # vendored from npm (course_lib/tools/site.py), never a CDN
html_theme = "sphinx_book_theme"
html_title = project
templates_path = ["_templates"]  # one theme component adjusted for accessibility
html_static_path = ["_static", str(VENDOR)]  # VENDOR holds mathjax/, from npm
html_css_files = ["course.css"]
html_copy_source = True  # the .ipynb download button serves _sources/notebooks/*.ipynb
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": settings.repository_url(),
    "repository_branch": settings.REPOSITORY_BRANCH,
    "path_to_docs": "",  # the site's sources mirror the repository: notebooks/NN_name.ipynb
    "use_download_button": True,
    "use_repository_button": True,
    "use_fullscreen_button": False,
    "launch_buttons": {"binderhub_url": settings.BINDERHUB_URL,
                       "jupyterhub_url": settings.jupyterhub_url(),
                       "notebook_interface": "jupyterlab"},
    "show_navbar_depth": 1,
    "home_page_in_toc": True,
}
# Light or dark as the reader's system prefers, until they pick one with the theme switch.
html_context = {"default_mode": "auto"}
