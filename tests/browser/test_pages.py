"""Every page in a real browser: it loads, shows no exception box, draws at
least one Plotly chart, and is saved as a screenshot (artifacts/screenshots)."""

import pytest

from tests.browser.conftest import app_pages, screenshot, wait_until_idle

pytestmark = pytest.mark.browser

PAGES = app_pages()


@pytest.mark.parametrize("title,url", PAGES, ids=[u for _, u in PAGES])
def test_page_loads_with_a_chart_and_no_exception(server, page, title, url):
    page.goto(f"{server}/{'' if url == 'home' else url}")
    wait_until_idle(page)
    screenshot(page, url)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    assert page.locator(".js-plotly-plot").count() >= 1, f"no Plotly chart on {title}"
    assert title in page.locator('[data-testid="stSidebarNav"]').inner_text()
