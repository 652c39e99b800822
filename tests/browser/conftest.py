"""Real-browser fixtures: an app server on a free port and Playwright driving
Debian's /usr/bin/chromium (no browser download); helpers in tests/browser/helpers.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, streamlit_server


@pytest.fixture(scope="session")
def server():
    """One app server shared by the browser tests; yields its base URL."""
    with streamlit_server() as base:
        yield base


@pytest.fixture()
def fresh_server():
    """A server no browser has visited yet (warm-up off, so the test does not wait on it)."""
    with streamlit_server("streamlit-fresh-server.log", IDF_WARMUP="0") as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does it as root)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true and " + message)  # CI is never green without its browser tests
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    yield pg
    context.close()


