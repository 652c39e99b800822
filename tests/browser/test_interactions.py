"""What a person does in the browser: play an animation, open a shared link,
download a result, mistype a URL."""

import io
import json

import numpy as np
import pytest

from tests.browser.helpers import plot_count, screenshot, wait_until_idle

pytestmark = pytest.mark.browser


def _alerts(page, kind: str) -> str:
    return "\n".join(page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts())


def test_play_advances_the_forward_animation(server, page):
    page.goto(f"{server}/forward")
    wait_until_idle(page)
    plot = page.locator(".js-plotly-plot").filter(has=page.locator(".updatemenu-button")).first
    grip = plot.locator(".slider-grip-rect").first  # the time slider's handle moves as frames play
    before = grip.get_attribute("transform")
    plot.locator(".updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_timeout(2500)
    after = grip.get_attribute("transform")
    screenshot(page, "forward_playing")
    assert after != before, (before, after)


def test_a_shared_link_reproduces_the_view(server, page):
    page.goto(f"{server}/energy")  # the document's default energy: improper
    wait_until_idle(page)
    assert "No Boltzmann distribution" in _alerts(page, "Error")
    page.goto(f"{server}/energy?energy=lattice&m2=5")
    wait_until_idle(page)
    assert "min A(k) = 1 > 0" in _alerts(page, "Success")
    assert "No Boltzmann distribution" not in _alerts(page, "Error")
    page.goto(f"{server}/energy?energy=gff&gff_m2=2.5")
    wait_until_idle(page)
    assert "min A(k) = 2.5 > 0" in _alerts(page, "Success")
    screenshot(page, "energy_from_url")


def test_bad_url_parameters_warn_and_the_page_still_works(server, page):
    page.goto(f"{server}/reverse?eta=banana&steps=-4&method=magic")
    wait_until_idle(page)
    warnings = _alerts(page, "Warning")
    assert "eta" in warnings and "steps" in warnings and "method" in warnings
    assert page.locator('[data-testid="stException"]').count() == 0
    assert plot_count(page) >= 1
    screenshot(page, "reverse_bad_url")


def test_the_npz_download_arrives_with_its_configuration(server, page):
    page.goto(f"{server}/energy?energy=gff")
    wait_until_idle(page)
    button = page.locator('[data-testid="stDownloadButton"] button').filter(has_text=".npz").first
    with page.expect_download() as info:
        button.click()
    path = info.value.path()
    with open(path, "rb") as fh:
        data = np.load(io.BytesIO(fh.read()), allow_pickle=False)
        config = json.loads(str(data["config_json"]))
        assert len(data.files) >= 2
    assert config  # the run's configuration travels with the arrays


def test_a_typed_energy_is_parsed_probed_and_sampled(server, page):
    page.goto(f"{server}/energy?energy=custom")
    wait_until_idle(page)
    assert "no direction" in _alerts(page, "Success")
    box = page.locator('[data-testid="stSidebar"] [data-testid="stTextInput"] input').first
    box.fill("sum(x**2) - 3*sum(x)**2")
    box.press("Enter")
    wait_until_idle(page)
    assert "No Boltzmann distribution" in _alerts(page, "Error")
    screenshot(page, "energy_custom_improper")
    assert page.locator('[data-testid="stException"]').count() == 0
