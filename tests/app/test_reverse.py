"""Reverse diffusion page: guidance/temperature/η change samples without
recompiling, the exact-loop KL appears only when it applies, improper targets
are an error, bad URLs warn."""

import pytest

from idf import _tracing
from tests.app.apptest import assert_clean, metrics, page

KL = "Fourier KL to the target"
EXACT = "exact KL of this loop"


def test_default_render_scores_against_the_exact_target():
    at = page("reverse").run()
    assert_clean(at)
    m = metrics(at)
    assert m["n (samples)"] == "256"
    assert m[EXACT].endswith("nats")
    assert float(m[KL].split()[0]) > 0
    exec(compile(at.code[0].value, "<reproduce-in-python>", "exec"), {})  # the snippet runs as shown


def test_continuous_sliders_change_samples_without_recompiling():
    at = page("reverse").run()
    traces = _tracing.traces("reverse_sample")
    seen = {metrics(at)[KL]}
    for key, value in (("reverse.guidance", 0.3), ("reverse.temp", 1.4), ("reverse.eta", 0.5),
                       ("reverse.m2", 2.0), ("reverse.kT", 0.7), ("reverse.beta_end", 0.03)):
        at.slider(key=key).set_value(value).run()
        assert_clean(at)
        seen.add(metrics(at)[KL])
    assert len(seen) == 7  # every change moved the samples
    assert _tracing.traces("reverse_sample") == traces
    assert metrics(at)[EXACT] == "n/a"  # guidance on: no exact answer


def test_guidance_form_and_constraint_toggle_and_ddpm():
    at = page("reverse", guidance="0.2").run()
    base = metrics(at)[KL]
    at.selectbox(key="reverse.gform").select("scaled").run()
    assert_clean(at)
    assert metrics(at)[KL] != base
    at.toggle(key="reverse.conserve").set_value(True).run()
    assert_clean(at)
    at.selectbox(key="reverse.method").select("ddpm").run()
    assert_clean(at)
    assert metrics(at)[EXACT] == "n/a"


def test_improper_target_is_an_error_not_a_crash():
    at = page("reverse", target="lattice", m2="1").run()
    assert_clean(at)
    assert at.error and "improper" in at.error[0].value


def test_bad_url_values_warn():
    at = page("reverse", method="euler", steps="1e9", eta="2", n="x", denoiser="resnet").run()
    assert_clean(at)
    text = " ".join(w.value for w in at.warning)
    for bad in ("method=euler", "steps=1e9", "eta=2", "n=x", "denoiser=resnet"):
        assert bad in text
    assert at.slider(key="reverse.steps").value == 500


def test_unet_slot_appears_when_a_checkpoint_is_shipped(monkeypatch):
    from idf.app import data, reverse
    from idf.diffusion import ExactGaussianDenoiser
    from idf.energy import GaussianFreeField

    fake = {"path": "assets/unet_fake.npz", "name": "unet_fake", "data": {"kind": "gff", "size": 16},
            "schedule": {"name": "linear", "num_steps": 1000, "beta_start": 1e-4, "beta_end": 0.02}}
    monkeypatch.setattr(data, "unet_checkpoint", lambda: fake)
    monkeypatch.setattr(reverse, "_unet", lambda path: ExactGaussianDenoiser(GaussianFreeField(mass2=1.0)))
    at = page("reverse", denoiser="unet", seed="3").run()
    assert_clean(at)
    assert at.selectbox(key="reverse.denoiser").value == "unet"
    assert any("unet_fake" in i.value for i in at.info)
    assert metrics(at)[EXACT] == "n/a"


def test_inference_steps_follow_a_smaller_schedule():
    at = page("reverse").run()
    at.slider(key="reverse.T").set_value(10).run()
    assert_clean(at)
    assert at.slider(key="reverse.steps").value == 10  # clamped to S ≤ T, not reset


@pytest.mark.slow
def test_the_shipped_unet_samples_as_well_as_the_exact_loop():
    """8×8 GFF, 50 DDIM steps, n = 256: the exact denoiser's loop is 0.235 nats from the
    target (the page computes it), so samples of that loop score KL̂ = 0.301 ± 0.044 on
    average (``fourier_kl_moments`` with the loop's own mode variances). The shipped U-Net's
    KL̂ must lie within K_SD = 4 of those sd. An untrained network of the same config (the
    white-noise denoiser, KL̂ ≈ 3.3 nats, ≈ 68 sd off) fails the same band:
    tests/app/test_training_page.py checks that at these settings."""
    import numpy as np

    from idf import diagnostics
    from idf.app import data
    from idf.diffusion import make_schedule, step_table
    from idf.diffusion.schedules import timesteps_for
    from idf.energy import GaussianFreeField
    from idf.models import load_denoiser
    from idf.training.evaluation import K_SD

    if data.unet_checkpoint() is None:
        pytest.skip("no U-Net checkpoint shipped in assets/")
    settings = dict(n="256", steps="50", L="8")
    exact = page("reverse", denoiser="exact", **settings).run()
    assert_clean(exact)
    _, info = load_denoiser(data.unet_checkpoint()["path"])
    sched = make_schedule(**info["schedule"])
    ab, ab_prev = step_table(sched, timesteps_for(sched, 50, "leading"))
    power = np.asarray(GaussianFreeField(1.0).covariance_spectrum((8, 8)), np.float64)
    variance = diagnostics.reverse_output_variance(power, ab, ab_prev, method="ddim")
    loop_kl = diagnostics.gaussian_kl(variance, power)
    assert f"{loop_kl:.4f} nats" == metrics(exact)[EXACT] == "0.2350 nats"  # the page's loop is this one
    mean, sd = diagnostics.fourier_kl_moments((8, 8), 256, variance, power)
    at = page("reverse", denoiser="unet", **settings).run()
    assert_clean(at)
    kl = float(metrics(at)[KL].split()[0])
    assert abs(kl - mean) < K_SD * sd, (kl, mean, sd)


def test_a_diverging_run_is_reported_with_its_step_and_the_page_keeps_working():
    # anti-guidance (s < 0) on a stiff GFF: every sample grows each step until it overflows
    at = page("reverse", m2="12", guidance="-2", steps="100", L="8", n="16").run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert any("Diverged" in e and "16 of 16 samples diverged (NaN/inf, or |x| > 1e+08 while finite), first at step"
               in e and "guidance scale" in e
               for e in errors), errors
    assert metrics(at)["n (samples)"] == "0"
    at.slider(key="reverse.guidance").set_value(0.0).run()  # the fix the message names
    assert_clean(at)
    assert not any("Diverged" in e.value for e in at.error)
    assert metrics(at)["n (samples)"] == "16" and float(metrics(at)[KL].split()[0]) > 0
