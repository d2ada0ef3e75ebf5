"""Debian's Chromium for the browser tests, driven by Playwright for Python (its own browser
download is not used): where it is, how it starts, and skipping (or failing under CI) without it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]


def need_browser() -> None:
    """Skip the calling test (fail it under CI=true) when Chromium or Playwright is missing."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("Chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (the dev extra; scripts/setup.sh installs it)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI=true they must run (.ci/run installs Chromium)")
        pytest.skip(message)


@contextmanager
def chromium_context(timeout_ms: float) -> Iterator[Any]:
    """A Playwright browser context in Chromium (1100 x 700), closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1100, "height": 700})
        context.set_default_timeout(timeout_ms)
        yield context
        chromium.close()
