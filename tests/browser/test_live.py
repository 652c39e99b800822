"""Live runs and linked animations in a real browser: ?live=1 makes the Arena's traces grow
with no input, Pause (and its shortcut) stops them, N steps, X resets; the verdict appears and
turns to a warning when ε is absurd; on Forward and Reverse each animation frame moves the
field and a curve marker, and scrubbing the slider moves the marker. Also measures the live
run's updates per second (written to artifacts/live_speed.json)."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.browser.helpers import ROOT, screenshot, wait_until_idle

pytestmark = pytest.mark.browser
LIVE = 'text=/live: step \\d+/ >> visible=true'  # only a shown line (a hidden copy read as '')
# The server's line (the paused view), never the browser player's, which ends "drawn in this browser"
# and runs about a second behind the chains: CI once read a player's line as the paused state.
SERVER_LIVE = 'text=/live: step \\d+ · update \\d+(?! drawn)[^,]* · [A-Z]+ ε =/ >> visible=true'


def live_line(pg, timeout_s: float = 30.0, server: bool = False) -> tuple[int, int]:
    """(step, update) from the live panel's visible status line (``server``: the server's paused
    view only); read again while a rerun is replacing it (CI once read it empty right after Reset)."""
    deadline = time.time() + timeout_s
    while True:
        text = pg.locator(SERVER_LIVE if server else LIVE).first.inner_text()
        step, update = re.search(r"step (\d+)", text), re.search(r"update (\d+)", text)
        if step and update:
            return int(step.group(1)), int(update.group(1))
        if time.time() > deadline:
            raise AssertionError(f"no live status line in {text!r}")
        time.sleep(0.2)


def wait_for_steps(pg, at_least: int, timeout_s: float = 240.0) -> tuple[int, int]:
    deadline = time.time() + timeout_s
    pg.wait_for_selector(LIVE, timeout=timeout_s * 1000)
    while time.time() < deadline:
        step, update = live_line(pg)
        if step >= at_least:
            return step, update
        time.sleep(0.3)
    raise AssertionError(f"the live run did not reach step {at_least}")


PLAYER = '[data-testid="idf-live-player"]'


def draws(pg) -> int:
    """How many updates the browser's live player has drawn (its own counter)."""
    return int(pg.locator(PLAYER).first.get_attribute("data-draws") or 0)


def rate(pg, updates: int = 10, at_least_s: float = 6.0, timeout_s: float = 120.0) -> tuple[float, float]:
    """(updates drawn per second, steps the status line advanced per second) over at least
    ``at_least_s`` and until the player has drawn ``updates`` more updates (no timing is asserted:
    a loaded machine only takes longer; past ``timeout_s`` the player is not drawing)."""
    s0, d0, t0 = live_line(pg)[0], draws(pg), time.time()
    time.sleep(at_least_s)
    while draws(pg) - d0 < updates:
        if time.time() - t0 > timeout_s:
            raise AssertionError(f"the player drew {draws(pg) - d0} updates in {timeout_s:.0f} s")
        time.sleep(0.2)
    s1, d1 = live_line(pg)[0], draws(pg)
    dt = time.time() - t0
    return (d1 - d0) / dt, (s1 - s0) / dt


def focus_page(pg) -> None:
    pg.locator('[data-testid="stMain"] h1').first.click()  # shortcuts need the focus out of any input


def test_live_url_grows_traces_pause_step_reset(server, page):
    page.goto(f"{server}/arena?live=1&target=banana&samplers=mala,hmc")
    first, _ = wait_for_steps(page, 10)
    later, _ = wait_for_steps(page, first + 10)
    assert later > first  # the traces grow with no input
    screenshot(page, "live_arena_midway")
    toy, toy_steps = rate(page)
    focus_page(page)
    page.keyboard.press("Space")  # pause
    page.wait_for_selector("button:has-text('▶ Play')", timeout=60_000)
    # The paused view is the server's drawing of the chains' actual state; until the rerun has
    # replaced it, the player (a little behind the server) may still be on the page.
    page.wait_for_selector(PLAYER, state="detached", timeout=60_000)
    page.wait_for_selector(SERVER_LIVE, timeout=60_000)
    time.sleep(1.5)
    paused, _ = live_line(page, server=True)
    time.sleep(2.5)
    assert live_line(page, server=True)[0] == paused  # Pause stops them
    focus_page(page)
    page.keyboard.press("n")  # one step (5 draws at the default speed)
    deadline = time.time() + 60
    while live_line(page, server=True)[0] == paused and time.time() < deadline:
        time.sleep(0.3)
    assert live_line(page, server=True)[0] == paused + 5
    focus_page(page)
    page.keyboard.press("x")  # reset
    deadline = time.time() + 60
    while live_line(page, server=True)[0] != 0 and time.time() < deadline:
        time.sleep(0.3)
    assert live_line(page, server=True)[0] == 0
    page.goto(f"{server}/arena?live=1&target=gff&L=16&samplers=mala,hmc")
    wait_for_steps(page, 20)
    screenshot(page, "live_gff16_midway")
    lattice, lattice_steps = rate(page)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "live_speed.json").write_text(json.dumps({
        "toy_banana_updates_per_s": round(toy, 2), "gff_16x16_updates_per_s": round(lattice, 2),
        "toy_banana_steps_per_s": round(toy_steps, 1), "gff_16x16_steps_per_s": round(lattice_steps, 1)}))
    # Speed is the bench's (bench/live_speed.py); here the player must be drawing (``rate`` waits for
    # 10 drawn updates), and the step it shows must advance by at least the speed's 5 steps per drawn
    # update (more when it fast-forwards to catch up; 4 allows for the window's edges).
    assert toy_steps > 4 * toy and lattice_steps > 4 * lattice


def verdict_text(pg) -> str:
    box = pg.locator('[data-testid="stAlertContainer"]:has-text("Verdict")').first
    box.wait_for(timeout=240_000)
    return box.inner_text()


def test_verdict_appears_and_warns_when_eps_is_absurd(server, page):
    page.goto(f"{server}/arena?live=1&speed=50&target=banana&samplers=mala,hmc&internals=1")
    wait_for_steps(page, 250)
    time.sleep(2.0)  # the diagnostics fragment redraws once a second
    good = verdict_text(page)
    assert "R-hat" in good and "never moved" not in good
    page.goto(f"{server}/arena?live=1&speed=50&target=banana&samplers=mala,hmc&eps_hmc=3.0&internals=1")
    wait_for_steps(page, 250)
    time.sleep(2.0)
    bad = verdict_text(page)
    assert "step size too large" in bad or "never moved" in bad or "divergent" in bad, bad
    shot_element(page, '[data-testid="stAlertContainer"]:has-text("Verdict")', "live_verdict_absurd_eps")
    page.goto(f"{server}/arena?live=1&speed=50&target=banana&samplers=mala,hmc&internals=1")
    wait_for_steps(page, 250)
    focus_page(page)
    page.keyboard.press("Space")  # pause, then look inside the last trajectory
    page.wait_for_selector("button:has-text('▶ Play')", timeout=60_000)
    time.sleep(3.0)
    shot_element(page, '[data-testid="stAlertContainer"]:has-text("Verdict")', "live_verdict_good")
    shot_element(page, '[data-testid="stDataFrame"]', "live_expert_table")
    scrub = page.locator('.js-plotly-plot:has-text("leapfrog sub-step")').first
    scrub.scroll_into_view_if_needed()
    rail = scrub.locator(".slider-rail-touch-rect").first
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 0.5 * box["width"], box["y"] + box["height"] / 2)  # scrub to mid-trajectory
    time.sleep(1.5)
    scrub.screenshot(path=str(ROOT / "artifacts" / "screenshots" / "live_trajectory_scrub.png"))


def shot_element(pg, selector: str, name: str) -> None:
    el = pg.locator(selector).first
    el.scroll_into_view_if_needed()
    el.screenshot(path=str(ROOT / "artifacts" / "screenshots" / f"{name}.png"))


def linked_state(pg) -> dict:
    """The linked animation's heatmap and first marker, read from Plotly's graph div."""
    return pg.evaluate(
        """() => {
            for (const gd of document.querySelectorAll('.js-plotly-plot')) {
                const i = (gd.data || []).findIndex(t => (t.name || '').startsWith('now: '));
                if (i < 0) continue;
                return {x: gd.data[i].x[0], y: gd.data[i].y[0], z: JSON.stringify(gd.data[0].z).slice(0, 400)};
            }
            return null;
        }"""
    )


@pytest.mark.parametrize("url", ["forward", "reverse"])
def test_scrubbing_moves_the_field_and_the_curve_marker(server, page, url):
    page.goto(f"{server}/{url}")
    wait_until_idle(page)
    before = linked_state(page)
    for _ in range(60):  # the script has settled; Plotly may still be drawing the large linked figure
        if before is not None:
            break
        time.sleep(0.5)
        before = linked_state(page)
    assert before is not None, "no linked animation with a curve marker"
    rail = page.locator(".js-plotly-plot .slider-rail-touch-rect").first
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + box["height"] / 2)
    time.sleep(1.5)
    after = linked_state(page)
    assert after["x"] != before["x"]  # the marker moved with the slider
    assert after["z"] != before["z"]  # and the field changed with it
    screenshot(page, f"linked_{url}_scrubbed")


@pytest.mark.parametrize("url,total,shot", [("forward?live=1&T=400", 400, "forward_live_done"),
                                            ("reverse?live=1&steps=60&speed=1", 60, "reverse_live_done")],
                         ids=["forward", "reverse"])
def test_diffusion_live_plays_the_chain_in_the_browser(server, page, url, total, shot):
    """?live=1 on Forward and Reverse: the player draws the chain as it advances, up to its
    last step and no further."""
    page.goto(f"{server}/{url}")
    page.wait_for_selector(PLAYER, timeout=240_000)
    step = lambda: int(page.locator(PLAYER).first.get_attribute("data-step") or 0)  # noqa: E731
    first = last = step()
    # No timing asserted: wait while the chain advances (a loaded CI machine once needed over 120 s
    # for the 60 reverse steps), and fail only when it stops short of its last step for 60 s.
    moved = time.time()
    while (now := step()) < total and time.time() - moved < 60:
        if now != last:
            last, moved = now, time.time()
        time.sleep(0.5)
    assert step() == total > first
    assert draws(page) > 10 and not page.locator('[data-testid="stException"]').count()
    page.locator(PLAYER).first.scroll_into_view_if_needed()
    screenshot(page, shot)
