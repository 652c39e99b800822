"""The reverse loop with the exact Gaussian denoiser against the exact
linear-Gaussian recursion v ← g²·v + σ² (DESIGN §4), and the forward chain
against the closed form."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf import _tracing
from idf.diagnostics import empirical_power, gaussian_kl, reverse_output_variance
from idf.diffusion import (
    ExactGaussianDenoiser,
    Guidance,
    Start,
    forward_trajectory,
    inference_timesteps,
    make_schedule,
    sample,
    step_table,
)
from idf.energy import GaussianFreeField

SHAPE = (8, 8)
GFF = GaussianFreeField(mass2=1.0)
POWER = np.asarray(GFF.covariance_spectrum(SHAPE), np.float64)


def _exact_variance(schedule, steps, spacing, method, eta, temperature=1.0):
    ab, abp = step_table(schedule, inference_timesteps(schedule.num_steps, steps, spacing))
    return reverse_output_variance(POWER, ab, abp, method=method, eta=eta, temperature=temperature)


def _assert_modes_match(samples, v, n):
    """P̂_k is a mean of n exponential (or χ²₁) variables: SE ≤ v·√(2/n). Allow 5 SE."""
    ratio = empirical_power(np.asarray(samples)) / v
    assert np.max(np.abs(ratio - 1.0)) < 5 * np.sqrt(2.0 / n), np.max(np.abs(ratio - 1.0))


@pytest.mark.parametrize("spacing", ["leading", "trailing"])
@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim50_mode_variances_equal_exact_recursion(eta, spacing):
    s = make_schedule("linear", 1000)
    n = 8192
    out = sample(jax.random.key(3), ExactGaussianDenoiser(GFF), s, SHAPE, n,
                 inference_steps=50, solver="ddim", eta=eta, spacing=spacing, keep=1)
    v = _exact_variance(s, 50, spacing, "ddim", eta)
    _assert_modes_match(out.samples, v, n)
    # The recursion is not the target: 50 DDIM steps leave a visible, exact bias.
    assert gaussian_kl(v, POWER) > 0.05


def test_ddpm1000_mode_variances_equal_exact_recursion():
    s = make_schedule("linear", 1000)
    n = 8192
    out = sample(jax.random.key(4), ExactGaussianDenoiser(GFF), s, SHAPE, n,
                 inference_steps=1000, solver="ddpm", keep=1)
    v = _exact_variance(s, 1000, "leading", "ddpm", 0.0)
    _assert_modes_match(out.samples, v, n)
    assert gaussian_kl(v, POWER) < 0.006  # 1000 DDPM steps nearly reach the target


def test_ddim_eta0_is_deterministic_and_its_gain_is_exact():
    """η = 0: the loop is a fixed linear map, diagonal in Fourier space, with
    |gain_k| = √v_k (v from the recursion started at 1). Checked mode by mode
    on the same x_T, to float32 precision, with no statistics at all."""
    s = make_schedule("cosine", 1000)
    x_T = jax.random.normal(jax.random.key(5), (16, *SHAPE))
    run = lambda key: sample(key, ExactGaussianDenoiser(GFF), s, SHAPE, 16, inference_steps=20,  # noqa: E731
                             solver="ddim", eta=0.0, start=Start(x_T), keep=1).samples
    a, b = run(jax.random.key(0)), run(jax.random.key(1))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    fourier = lambda v: np.fft.fft2(np.asarray(v, np.float64), norm="ortho")  # noqa: E731
    gain = np.abs(fourier(a) / fourier(x_T))
    expected = np.sqrt(_exact_variance(s, 20, "leading", "ddim", 0.0))
    np.testing.assert_allclose(gain, np.broadcast_to(expected, gain.shape), rtol=2e-4)


def test_temperature_scales_the_output_covariance_exactly():
    s = make_schedule("linear", 1000)
    x_T = jax.random.normal(jax.random.key(6), (8, *SHAPE))
    kw = dict(inference_steps=25, solver="ddim", eta=0.0, keep=1)
    cold = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 8, start=Start(x_T), **kw).samples
    hot = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 8, start=Start(2.0 * x_T), temperature=4.0,
                 **kw).samples
    np.testing.assert_allclose(np.asarray(hot), 2.0 * np.asarray(cold), rtol=1e-4, atol=1e-5)


def test_continuous_parameters_do_not_recompile_but_structure_does():
    s = make_schedule("linear", 200)
    kw = dict(inference_steps=10, solver="ddim", keep=2, metric_energy=GFF)
    sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 4, guidance=Guidance(GFF), **kw)
    before = _tracing.traces("reverse_sample")
    for eta, temp, scale, m2 in [(0.3, 0.5, 0.1, 2.0), (1.0, 2.0, -1.0, 0.5)]:
        g = GaussianFreeField(mass2=m2)
        sample(jax.random.key(1), ExactGaussianDenoiser(g), make_schedule("linear", 200, 2e-4, 0.03), SHAPE, 4,
               eta=eta, temperature=temp, guidance=Guidance(GFF, scale), spacing="trailing", **kw)
    assert _tracing.traces("reverse_sample") == before
    sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 4, conserve_energy=True, guidance=Guidance(GFF),
           **kw)
    assert _tracing.traces("reverse_sample") == before + 1


def test_outputs_have_the_documented_shapes_and_metrics():
    s = make_schedule("linear", 100)
    out = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 6, inference_steps=10,
                 metric_energy=GFF, keep=3)
    assert out.samples.shape == (6, 8, 8)
    assert out.trajectory.shape == (11, 3, 8, 8)
    assert out.energy.shape == out.entropy.shape == (11, 6)
    assert out.norm_ratio.shape == out.scale.shape == (10, 6)
    np.testing.assert_array_equal(np.asarray(out.trajectory[-1]), np.asarray(out.samples[:3]))
    np.testing.assert_allclose(np.asarray(out.energy[-1]), np.asarray(jax.vmap(GFF.energy)(out.samples)), rtol=1e-5)


def test_conservation_constraint_biases_the_samples():
    """The document's rescaling keeps Σx̂₀² = Σx_t², which drags the energy of
    the samples toward that of white noise: measurably far from N·kT/2 = 32."""
    s = make_schedule("linear", 1000)
    kw = dict(inference_steps=50, metric_energy=GFF, keep=1)
    free = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 2048, **kw)
    held = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 2048, conserve_energy=True, **kw)
    # The last step has ᾱ_prev = 1, so x₀ is the rescaled x̂₀: Σx₀² equals Σx² one step before.
    np.testing.assert_allclose(float(jnp.sum(held.samples[0] ** 2)), float(jnp.sum(held.trajectory[-2, 0] ** 2)),
                               rtol=1e-4)
    v = _exact_variance(s, 50, "leading", "ddim", 0.0)
    e_exact = 0.5 * float(np.sum(np.asarray(GFF.spectrum(SHAPE)) * v))  # ⟨φ⟩ = ½Σ A_k v_k
    e_free = np.asarray(free.energy[-1], np.float64)
    e_held = float(jnp.mean(held.energy[-1]))
    assert abs(e_free.mean() - e_exact) < 5 * e_free.std() / np.sqrt(len(e_free))
    assert abs(e_held - 32.0) > 10.0 and abs(e_held - e_exact) > 10.0
    assert float(jnp.max(jnp.abs(held.scale - 1.0))) > 0.1


def test_scaled_guidance_lowers_the_energy_of_the_samples():
    """Scaled guidance adds the energy's score: with the same key, every sample's φ drops.
    The paired difference of ⟨φ⟩ over 64 samples must exceed 5 of its standard errors, and
    a negative scale must raise φ instead (guidance that only changed the samples, in any
    direction, would fail one of the two)."""
    s = make_schedule("linear", 1000)
    kw = dict(inference_steps=20, keep=1)

    def energies(scale):
        out = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), s, SHAPE, 64,
                     guidance=Guidance(GFF, scale, "scaled"), **kw).samples  # fmt: skip
        return np.asarray(jax.vmap(GFF.energy)(out), np.float64)

    base = energies(0.0)
    for scale, sign in ((0.5, -1.0), (-0.3, 1.0)):
        diff = energies(scale) - base
        assert sign * diff.mean() > 5 * diff.std(ddof=1) / np.sqrt(diff.size), (scale, diff.mean())


def test_forward_chain_matches_closed_form_marginals():
    """x₀ fixed: x_t of the step-by-step chain is N(√ᾱ_t·x₀, 1 − ᾱ_t) per site.
    n·N = 4096·64 values per t: 6-SE bounds on the mean and the variance."""
    s = make_schedule("cosine", 200)
    x0 = jnp.broadcast_to(GFF.sample_exact(jax.random.key(1), SHAPE, 1), (4096, *SHAPE))
    out = forward_trajectory(jax.random.key(2), x0, s)
    for t in (1, 50, 120, 199):
        ab = s.alpha_bars[t - 1]
        resid = np.asarray(out.trajectory[t], np.float64) - np.sqrt(ab) * np.asarray(x0, np.float64)
        m = resid.size
        assert abs(resid.mean()) < 6 * np.sqrt((1 - ab) / m)
        assert abs(resid.var() / (1 - ab) - 1) < 6 * np.sqrt(2 / m)


def test_forward_guidance_is_the_document_correction():
    s = make_schedule("linear", 50)
    x0 = jnp.zeros((2, *SHAPE)) + 1.0
    plain = forward_trajectory(jax.random.key(0), x0, s, metric_energy=GFF)
    guided = forward_trajectory(jax.random.key(0), x0, s, guidance_energy=GFF, guidance_strength=100.0,
                                metric_energy=GFF)
    assert plain.trajectory.shape == (51, 2, 8, 8) and plain.energy.shape == (51, 2)
    # The correction follows the score, so it lowers φ relative to the same noise without it.
    assert float(jnp.mean(guided.energy[-1])) < float(jnp.mean(plain.energy[-1]))


def test_a_finite_blow_up_is_flagged_like_a_nan():
    """Guidance at scale −5 pushes every sample away from the GFF's minimum: |x| grows
    ~10⁶ every 7 steps and float32 stays finite until step ~48 of 50 (|x| ≈ 1e37).
    The loop flags each sample at the step it first passes |x| = BLOWUP, far earlier,
    and keeps it at its last good state (|x| ≤ BLOWUP)."""
    from idf.diffusion import divergence_report
    from idf.diffusion.sample import BLOWUP

    res = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), make_schedule("linear", 1000), SHAPE, 4,
                 guidance=Guidance(GFF, -5.0), inference_steps=50, keep=4)
    diverged = np.asarray(res.diverged)
    assert (diverged >= 0).all() and diverged.max() < 20, diverged
    assert np.abs(np.asarray(res.samples)).max() <= BLOWUP
    assert "|x| > 1e+08" in divergence_report(res)
    calm = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), make_schedule("linear", 1000), SHAPE, 4,
                  guidance=Guidance(GFF, 1.0), inference_steps=50, keep=4)
    assert (np.asarray(calm.diverged) == -1).all()


def test_a_diverging_sample_is_frozen_at_its_last_finite_state_and_reported():
    from idf.diffusion import divergence_report
    from idf.energy import Phi4

    schedule = make_schedule("linear", 1000)
    phi4 = Phi4(mass2=-4.0, coupling=3.0)
    kwargs = dict(inference_steps=20, keep=8)
    res = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), schedule, SHAPE, 8, guidance=Guidance(phi4, 5.0),
                 **kwargs)
    diverged = np.asarray(res.diverged)
    assert (diverged >= 0).all()  # φ⁴'s cubic score outgrows the noise under document-form guidance
    traj, samples = np.asarray(res.trajectory), np.asarray(res.samples)
    assert np.isfinite(samples).all() and np.isfinite(traj).all()
    for b, s in enumerate(diverged):
        # trajectory[s] is x before step s (the last finite state); nothing moves after it
        np.testing.assert_array_equal(samples[b], traj[s, b])
        np.testing.assert_array_equal(traj[-1, b], traj[s, b])
    message = divergence_report(res)
    assert f"first at step {diverged.min() + 1} of 20" in message and "guidance scale" in message
    calm = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), schedule, SHAPE, 8, guidance=Guidance(phi4, 0.0),
                  **kwargs)
    assert (np.asarray(calm.diverged) == -1).all() and divergence_report(calm) is None
