"""A shared link opened on a fresh server: the first request any browser makes
to that process is the deep link itself. Streamlit must serve it through
``st.navigation`` (our titles in the sidebar, the page's title, its URL
parameters applied), not through its legacy ``pages/`` folder mode, which
showed the raw file names and dropped the page's config."""

import pytest

from idf.app.navigation import PAGES
from tests.browser.helpers import screenshot, wait_until_idle

pytestmark = pytest.mark.browser


def test_a_deep_link_on_a_fresh_server_gets_the_navigation_title_and_parameters(fresh_server, page):
    page.goto(f"{fresh_server}/reverse?eta=0.5&seed=7")
    wait_until_idle(page)
    screenshot(page, "deep_link_fresh_server")
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    for entry in PAGES:
        assert entry.title in nav, (entry.title, nav)
    # Legacy mode links to the file stems (/reverse_diffusion); st.navigation to our url paths.
    hrefs = page.locator('[data-testid="stSidebarNav"] a').evaluate_all("links => links.map(a => a.href)")
    paths = {h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs}
    assert paths == {e.url for e in PAGES if e.url != "home"} | {fresh_server.rsplit("/", 1)[-1]}, hrefs
    assert "Reverse diffusion" in page.locator('[data-testid="stMain"] h1').first.inner_text()
    assert "Reverse diffusion" in page.title()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Page not found").count() == 0  # the legacy router's dialog
    sliders = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]')
    eta = sliders.filter(has_text="η").first
    assert "0.50" in eta.inner_text() or "0.5" in eta.inner_text(), eta.inner_text()
    assert "eta=0.5" in page.url and "seed=7" in page.url, page.url
