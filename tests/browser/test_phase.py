"""The Phase-transition page in a real browser: a small scan from a shared link
draws its five charts (⟨|M|⟩, χ₂, U₄ against κ; τ_int against L and κ) and the
crossing metrics, with no exception box (screenshot: artifacts/screenshots/phase_scan.png)."""

from urllib.parse import urlencode

import pytest

from tests.browser.helpers import plot_count, screenshot, wait_until_idle

pytestmark = pytest.mark.browser

SMALL = {"sizes": "4,8", "nk": "3", "chains": "8", "steps": "60", "burn": "30", "kmin": "0.22", "kmax": "0.32"}


def test_phase_page_draws_the_scan(server, page):
    page.goto(f"{server}/phase?{urlencode(SMALL)}")
    wait_until_idle(page)
    screenshot(page, "phase_scan")
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert plot_count(page, 5) >= 5
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "U₄ crossing κ_c" in text and "dynamic exponent z" in text
    assert "Phase transition" in page.locator('[data-testid="stSidebarNav"]').inner_text()
