"""Uploading in a real browser: a field dropped on the Forward page becomes the
animation's x₀; a pickle-bearing .npz is refused with a message and the page
keeps working on the shipped image."""

import io

import numpy as np
import pytest

from tests.browser.helpers import plot_count, screenshot, wait_until_idle

pytestmark = pytest.mark.browser

FILE_INPUT = '[data-testid="stSidebar"] [data-testid="stFileUploader"] input[type="file"]'


def _alerts(page, kind: str) -> str:
    return "\n".join(page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts())


def _payload(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/octet-stream", "buffer": data}


def _first_frame(page) -> np.ndarray:
    """z of the animation's first frame (t = 0: sample 0 of x₀), as drawn."""
    plot = page.locator(".js-plotly-plot").filter(has=page.locator(".updatemenu-button")).first
    return np.array(plot.evaluate("el => Array.from(el._fullData[0].z, row => Array.from(row))"), np.float64)


def test_an_uploaded_field_is_diffused_and_a_pickle_npz_is_refused(server, page):
    page.goto(f"{server}/forward?data=upload&L=16&T=100")
    wait_until_idle(page)
    assert "No field uploaded yet" in _alerts(page, "Info")

    x = np.zeros((2, 16, 16))
    x[0, 4:12, 2:6] = 3.0  # a bar: easy to recognise in the first frame
    buf = io.BytesIO()
    np.save(buf, x)
    page.locator(FILE_INPUT).set_input_files(_payload("bar.npy", buf.getvalue()))
    page.get_by_text("x₀ = bar.npy").wait_for()
    wait_until_idle(page)
    screenshot(page, "forward_upload")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert _alerts(page, "Error") == ""
    np.testing.assert_allclose(_first_frame(page), x[0], atol=1e-6)

    buf = io.BytesIO()
    np.savez(buf, fields=np.array([{"payload": 1}], dtype=object))
    page.locator(FILE_INPUT).set_input_files(_payload("evil.npz", buf.getvalue()))
    page.locator('[data-testid="stAlertContentError"]').first.wait_for()
    wait_until_idle(page)
    screenshot(page, "forward_upload_refused")
    assert "pickle is refused" in _alerts(page, "Error")
    assert "Meanwhile x₀ is the shipped image" in _alerts(page, "Info")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert plot_count(page, 5) >= 5
    assert np.abs(_first_frame(page) - x[0]).max() > 0.5  # no longer the bar
