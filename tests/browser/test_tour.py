"""The Tour page in a real browser, projector mode at 1280×720: every step's URL
opened on a fresh server (one per tour) reproduces that step, with a chart,
no legend over a title and no horizontal scroll; Next walks a tour; a broken tour file is
reported while the app keeps running. Screenshots of three steps per tour go
to artifacts/screenshots/tour_<name>_<step>.png."""

import shutil

import pytest

from idf.app import tour_views, tours
from tests.browser.helpers import legend_collisions, plot_count, screenshot, streamlit_server, wait_until_idle

pytestmark = pytest.mark.browser

BOOK = tours.load_tours(tours.TOUR_DIR)
SHOTS = {"diffusion": (1, 6, 9), "hmc": (1, 6, 7), "energy": (1, 5, 9)}


def _no_horizontal_scroll(pg) -> None:
    width = pg.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"horizontal scroll: scrollWidth {width[0]} > clientWidth {width[1]}"


def _check_step(pg, name: str, number: int) -> None:
    tour = BOOK.tours[name]
    step = tour.steps[number - 1]
    main = pg.locator('[data-testid="stMain"]')
    assert pg.locator('[data-testid="stException"]').count() == 0, main.inner_text()[:2000]
    head = main.locator("h3").first.inner_text()
    assert f"step {number} of {len(tour.steps)}: {step.title}" in head, head
    assert plot_count(main) == 1
    fixed_words = step.narration.split("{", 1)[0].strip()[:40]
    assert fixed_words in main.inner_text(), fixed_words
    href = main.get_by_text("Open this view on its page").first.get_attribute("href")
    assert href.endswith(tour_views.page_link(step.page, step.params)), href
    _no_horizontal_scroll(pg)
    assert not legend_collisions(pg), legend_collisions(pg)  # projector type is large: the legend moves down


@pytest.mark.parametrize("name", ["diffusion", "hmc", "energy"])
def test_each_step_url_on_a_fresh_server_reproduces_the_step(name, fresh_server, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    for number in range(1, len(BOOK.tours[name].steps) + 1):
        page.goto(f"{fresh_server}/tour?name={name}&step={number}&projector=1")
        wait_until_idle(page)
        _check_step(page, name, number)
        if number in SHOTS[name]:
            screenshot(page, f"tour_{name}_{number}")


def test_next_walks_the_energy_tour(server, page):
    """Next in the browser through the Energy page's steps (cheap ones; AppTest plays every tour to its end)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/tour?name=energy&step=1&projector=1")
    wait_until_idle(page)
    count = 5
    for number in range(1, count + 1):
        _check_step(page, "energy", number)
        assert f"step={number}" in page.url
        if number < count:
            page.get_by_role("button", name="Next ▶").click()
            page.wait_for_function(f"document.querySelector('[data-testid=stMain] h3')?.innerText.includes("
                                   f"'step {number + 1} of')")
            wait_until_idle(page)


def test_a_broken_tour_file_is_reported_and_the_app_keeps_running(tmp_path, browser):
    shutil.copy(tours.TOUR_DIR / "energy.toml", tmp_path)
    text = (tours.TOUR_DIR / "hmc.toml").read_text(encoding="utf-8")
    (tmp_path / "broken.toml").write_text(text.replace('samplers = "hmc,nuts"', 'samplers = "hmc,nuts,slice"'))
    with streamlit_server("streamlit-broken-tour.log", IDF_WARMUP="0", IDF_TOUR_DIR=str(tmp_path)) as base:
        pg = browser.new_page(viewport={"width": 1280, "height": 720})
        pg.set_default_timeout(120_000)
        pg.goto(f"{base}/tour?projector=1")
        wait_until_idle(pg)
        text = pg.locator('[data-testid="stMain"]').inner_text()
        assert "broken.toml" in text and "step 8" in text and "state.samplers" in text, text[:1500]
        _check_step(pg, "energy", 1)
        screenshot(pg, "tour_broken_file")
        pg.goto(f"{base}/energy?energy=gff")  # the rest of the app is unaffected
        wait_until_idle(pg)
        assert pg.locator('[data-testid="stException"]').count() == 0
        pg.close()
