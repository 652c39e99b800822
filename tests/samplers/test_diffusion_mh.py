"""Diffusion as an exact sampler (independence MH on the reverse path's extended
space, ``idf.samplers.diffusion_mh``): with a deliberately poor proposal the
corrected chain still has the exact GFF spectrum, and only the acceptance drops;
the broken-phase φ⁴ test with the shipped checkpoint is slow-marked."""

import jax
import numpy as np
import pytest

from idf.diagnostics import integrated_autocorrelation_time, magnetization, mean_and_error, phi4_observables
from idf.diffusion import make_schedule
from idf.diffusion.denoisers import ExactGaussianDenoiser
from idf.energy import GaussianFreeField, Phi4
from idf.io import ASSETS
from idf.samplers import ChainResult
from idf.samplers.diffusion_mh import diffusion_mh_chains, path_log_weights, weight_ess_fraction

GFF = GaussianFreeField(mass2=1.0)
SCHEDULE = make_schedule("linear", 1000)
SHAPE = (8, 8)


def mode_z_scores(x, exact):
    """z = (mean |x̂_k|² − exact_k)/SE per mode of fields [C, S, H, W]; SE from each mode's ESS."""
    c, s = x.shape[:2]
    p = (np.abs(np.fft.fft2(np.asarray(x, np.float64), norm="ortho")) ** 2).reshape(c, s, -1)
    z = []
    for k in range(p.shape[-1]):
        mean, err = mean_and_error(p[:, :, k])
        z.append((mean - exact.ravel()[k]) / err)
    return np.array(z)


def test_poor_proposal_is_corrected_only_the_acceptance_drops():
    """Exact Gaussian denoiser at 20 DDPM steps: its raw draws have per-mode variances
    ~20 % too large (max |z| ≈ 34 at n = 8192), the corrected chain (64 × 3000) matches
    the exact spectrum: every mode within 4.5 SE (SE = sd/√ESS per mode, 64 modes;
    measured max |z| ≈ 1.5, rms 0.8), and the acceptance is low but not zero (≈ 0.04).
    (At 5 steps the same test holds in expectation, but the acceptance is ~0.001 and
    τ_int runs into the thousands: too slow to test here.)"""
    den = ExactGaussianDenoiser(GFF)
    exact = np.asarray(GFF.covariance_spectrum(SHAPE), np.float64)
    run = diffusion_mh_chains(jax.random.key(0), den, SCHEDULE, GFF, SHAPE, 64, 3000, inference_steps=20, burn_in=50)
    z = mode_z_scores(run.result.positions, exact)
    assert np.max(np.abs(z)) < 4.5, np.round(z, 2)
    assert 0.0 < run.acceptance < 0.5, run.acceptance
    raw, _, _ = path_log_weights(jax.random.key(5), den, SCHEDULE, GFF, SHAPE, 8192, inference_steps=20)
    raw_power = (np.abs(np.fft.fft2(np.asarray(raw, np.float64), norm="ortho")) ** 2).mean(axis=0)
    raw_z = (raw_power - exact) / (exact / np.sqrt(8192))  # |x̂|² has sd ≤ its mean: a conservative SE
    assert np.max(np.abs(raw_z)) > 10.0, "the proposal was meant to be poor"


def test_a_near_exact_proposal_is_almost_always_accepted():
    """The exact denoiser at all 1000 steps: log-weights nearly constant (std ≈ 0.45),
    acceptance > 0.7 (measured ≈ 0.8), and 'large' beats 'small' (β̃) as a proposal."""
    den = ExactGaussianDenoiser(GFF)
    run = diffusion_mh_chains(jax.random.key(1), den, SCHEDULE, GFF, SHAPE, 16, 30, inference_steps=1000)
    assert run.acceptance > 0.7, run.acceptance
    assert float(np.std(np.asarray(run.log_weights))) < 1.0
    _, lw_small, _ = path_log_weights(
        jax.random.key(2), den, SCHEDULE, GFF, SHAPE, 256, inference_steps=1000, variance="small"
    )
    assert weight_ess_fraction(run.log_weights) > 10 * weight_ess_fraction(lw_small)


def test_result_has_run_chains_fields_and_bad_options_are_refused():
    den = ExactGaussianDenoiser(GFF)
    run = diffusion_mh_chains(jax.random.key(3), den, SCHEDULE, GFF, SHAPE, 3, 7, inference_steps=10, burn_in=2)
    res = run.result
    assert isinstance(res, ChainResult)
    assert res.positions.shape == (3, 7, 8, 8)
    assert res.accepted.shape == res.acceptance_prob.shape == res.energy.shape == (3, 7)
    assert run.log_weights.shape == (3, 7)
    assert np.all(np.isfinite(np.asarray(run.log_weights)))
    assert res.nonfinite.shape == (3,) and not bool(res.nonfinite.any())
    np.testing.assert_allclose(np.asarray(res.energy), np.asarray(jax.vmap(jax.vmap(GFF.energy))(res.positions)),
                               rtol=1e-5)
    assert run.acceptance == pytest.approx(float(np.mean(np.asarray(res.accepted))))
    with pytest.raises(ValueError, match="variance"):
        diffusion_mh_chains(jax.random.key(0), den, SCHEDULE, GFF, SHAPE, 2, 2, inference_steps=5, variance="mid")
    with pytest.raises(ValueError, match="num_chains"):
        diffusion_mh_chains(jax.random.key(0), den, SCHEDULE, GFF, SHAPE, 0, 2, inference_steps=5)


@pytest.mark.slow
def test_broken_phase_with_the_shipped_model():
    """φ⁴ 8×8, m² = −4, λ = 3 with assets/phi4_broken8_unet_long.npz as the proposal
    (50 DDPM steps, 'large' variance), 8 chains × 150 steps: P(m > 0) = ½ within
    4 SE and the chains do change mode (HMC never does here); ⟨|m|⟩ and χ₂ within 4 SE
    of the long HMC reference 0.6876 ± 0.0001, 30.420 ± 0.012 (256 × 1000, assets/README.md).
    Sized to stay under 2 min on 2 cores (1208 proposals × 50 U-Net calls).
    Measured before (phi4_broken8_unet.npz, 16 × 250, seed 0, 212 s on 2 loaded cores): acceptance 0.042,
    ⟨|m|⟩ = 0.6875 ± 0.0062, χ₂ = 30.41 ± 0.56, P(m > 0) = 0.66 ± 0.10, 82 sign flips, τ_int(sign m) ≈ 170
    steps. The long model (log-weight std 4.4 vs 6.3 at 50 steps) accepts only a little more: at 8 × 200
    (seed 0, 149 s at load ≈ 12 on 2 cores) acceptance 0.049, ⟨|m|⟩ = 0.681 ± 0.014, χ₂ = 29.9 ± 1.3,
    P(m > 0) = 0.80 ± 0.12, 33 sign flips."""
    from idf.models import load_denoiser

    den, info = load_denoiser(ASSETS / "phi4_broken8_unet_long.npz")
    target = Phi4(-4.0, 3.0)
    run = diffusion_mh_chains(
        jax.random.key(0), den, make_schedule(**info["schedule"]), target, SHAPE, 8, 150, inference_steps=50,
        batch=512,
    )
    obs = phi4_observables(run.result.positions)
    assert abs(obs["p_positive"] - 0.5) < 4 * max(obs["p_positive_error"], 0.02), obs["p_positive"]
    assert abs(obs["abs_m"] - 0.6876) < 4 * np.hypot(obs["abs_m_error"], 0.0001), obs["abs_m"]
    assert abs(obs["chi2"] - 30.420) < 4 * np.hypot(obs["chi2_error"], 0.012), obs["chi2"]
    assert int(obs["sign_flips"].sum()) > 0
    assert np.isfinite(integrated_autocorrelation_time(np.sign(magnetization(run.result.positions))))
    assert 0.0 < run.acceptance < 1.0
