"""The Training page runs on a shipped checkpoint and shows its scores."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not (ROOT / "assets" / "gff8_unet.npz").exists(), reason="no shipped GFF checkpoint")
def test_training_page_scores_the_shipped_gff_checkpoint():
    at = AppTest.from_file(str(ROOT / "app_pages" / "training.py"), default_timeout=300)
    at.query_params["n"] = "64"
    at.query_params["steps"] = "10"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    model, exact = float(labels["Fourier KL, U-Net"]), float(labels["Fourier KL, exact denoiser"])
    assert model < 1.5 * exact + 0.5, (model, exact)  # 10 steps, n = 64: both far from 0


@pytest.mark.slow
def test_training_page_trains_live():
    at = AppTest.from_file(str(ROOT / "app_pages" / "training.py"), default_timeout=600)
    for k, v in {"mode": "live", "tsteps": "50", "batch": "16", "width": "4", "evaln": "64"}.items():
        at.query_params[k] = v
    at.run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert float(labels["Fourier KL, U-Net"]) > 0.0 and "final loss − optimum" in labels
