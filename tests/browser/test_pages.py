"""Every page in a real browser: it loads, shows no exception box, draws at
least one Plotly chart with no legend over a title or tick label, and is saved
as a screenshot (artifacts/screenshots)."""

from urllib.parse import urlencode

import pytest

from tests.browser.helpers import app_pages, legend_collisions, plot_count, screenshot, wait_until_idle

pytestmark = pytest.mark.browser

PAGES = app_pages()
CUSTOM_ARENA = {"target": "custom", "expr": "0.5*sum(grad(x)**2) + sum(x**4)", "params": "", "steps": "200",
                "samplers": "langevin,mala,mh,hmc"}  # fmt: skip
# (title, path, screenshot name): every page's default view, plus views a shared link opens.
VIEWS = [(title, url, url) for title, url in PAGES] + [
    ("Sampler arena", f"arena?{urlencode(CUSTOM_ARENA)}", "arena_custom"),
]


@pytest.mark.parametrize("title,url,shot", VIEWS, ids=[s for *_, s in VIEWS])
def test_page_loads_with_a_chart_and_no_exception(server, page, title, url, shot):
    page.goto(f"{server}/{'' if url == 'home' else url}")
    wait_until_idle(page)
    screenshot(page, shot)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()
    assert plot_count(page) >= 1, f"no Plotly chart on {title}"
    assert title in page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert not legend_collisions(page), legend_collisions(page)
