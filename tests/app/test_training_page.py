"""The Training page runs on a shipped checkpoint and shows its scores; live
mode trains on exact GFF samples or on uploaded fields."""

import io
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from idf.app.navigation import page_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not (ROOT / "assets" / "gff8_unet.npz").exists(), reason="no shipped GFF checkpoint")
def test_training_page_scores_the_shipped_gff_checkpoint_and_an_untrained_one_fails():
    """At 50 DDIM steps and n = 256 the exact denoiser's samples score KL̂ ≈ 0.30
    ± 0.044 (exact loop 0.235 + bias); the shipped U-Net must sit within 4 sd
    of that (it does: ≈ 0.1 sd), and the untrained network of the same config
    (preconditioned: the white-noise denoiser, KL̂ ≈ 3.3 nats, ≈ 68 sd off) must
    fail the same check. At 10 steps the check would be meaningless in one
    direction: the untrained one scores below the exact denoiser there."""
    import jax

    from idf.diffusion import make_schedule
    from idf.energy import GaussianFreeField
    from idf.models import load_denoiser
    from idf.models.denoiser import UNetDenoiser
    from idf.models.loading import config_from_dict, init_model
    from idf.training.evaluation import K_SD, evaluate_gff, matches_exact_loop

    at = AppTest.from_file(str(page_file("training")), default_timeout=300)
    at.query_params["n"] = "256"
    at.query_params["steps"] = "50"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    z = float(labels["U-Net − exact loop, in sd"])
    assert abs(z) < K_SD, labels
    _, info = load_denoiser(ROOT / "assets" / "gff8_unet.npz")
    untrained = UNetDenoiser.from_model(init_model(jax.random.key(0), config_from_dict("unet", info["model"])))
    res = evaluate_gff(jax.random.key(0), untrained, make_schedule(**info["schedule"]), GaussianFreeField(1.0), 8,
                       256, inference_steps=50)
    assert not matches_exact_loop(res) and res["kl_model"] > 3.0, res


@pytest.mark.slow
def test_training_page_trains_live():
    at = AppTest.from_file(str(page_file("training")), default_timeout=600)
    for k, v in {"mode": "live", "tsteps": "50", "batch": "16", "width": "4", "evaln": "64"}.items():
        at.query_params[k] = v
    at.run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert float(labels["Fourier KL, U-Net"]) > 0.0 and "final loss − optimum" in labels


def _live_upload_page() -> AppTest:
    at = AppTest.from_file(str(page_file("training")), default_timeout=600)
    for k, v in {"mode": "live", "tdata": "upload", "tsteps": "50", "batch": "16", "width": "4", "evaln": "64"}.items():
        at.query_params[k] = v
    return at.run()


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_live_upload_asks_for_fields_and_refuses_wrong_ones():
    at = _live_upload_page()
    assert not at.exception, [e.value for e in at.exception]
    assert any("[N, 8, 8] with N ≥ 64" in i.value for i in at.info)
    assert at.button[0].disabled  # nothing to train on yet
    at.file_uploader[0].upload("big.npy", _npy(np.zeros((100, 16, 16)))).run()
    assert any("fields are 16×16, this needs 8×8" in e.value for e in at.error)
    at.file_uploader[0].set_value(("few.npy", _npy(np.zeros((10, 8, 8))), "application/octet-stream")).run()
    assert any("10 fields is fewer than 64" in e.value for e in at.error)
    assert at.button[0].disabled and not at.exception


@pytest.mark.slow
def test_training_page_trains_live_on_uploaded_fields():
    fields = np.random.default_rng(0).normal(0.5, 2.0, size=(80, 8, 8))
    at = _live_upload_page()
    at.file_uploader[0].upload("mine.npy", _npy(fields)).run()
    assert not at.error and not at.button[0].disabled
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert "Fourier KL, U-Net" not in labels  # no exact target for uploaded data
    assert labels["site mean, U-Net samples (data)"].endswith(f"({fields.mean():.3f})")
    assert "held out" in at.metric[2].help and "75 training fields (batch 16), 5 held out" in at.metric[2].help


@pytest.mark.slow
def test_training_page_trains_a_hybrid_model_live_and_draws_its_variance():
    at = AppTest.from_file(str(page_file("training")), default_timeout=600)
    for k, v in {"mode": "live", "loss": "hybrid", "tsteps": "50", "batch": "16", "width": "4", "evaln": "64"}.items():
        at.query_params[k] = v
    at.run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert float(labels["Fourier KL, DDPM 25 steps, learned σ²"]) > 0.0
    assert float(labels["Fourier KL, DDPM 25 steps, exact denoiser with β̃"]) > 0.0
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Learned reverse variance" in spec for spec in titles)
