"""MCMC diagnostics against exact answers and against blackjax.diagnostics."""

import blackjax.diagnostics as bd
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diagnostics import (
    acceptance_rate,
    delta_h_stats,
    effective_sample_size,
    efficiency,
    equipartition,
    ess_bulk,
    integrated_autocorrelation_time,
    magnetization,
    magnetization_histogram,
    mean_and_error,
    phi4_observables,
    sign_flips,
    split_rhat,
    two_point,
)
from idf.energy import GaussianFreeField


def ar1(phi, chains=8, steps=4000, dims=(), seed=0, offsets=None):
    """AR(1) chains x_t = φx_{t−1} + √(1−φ²)z_t started in equilibrium: τ = (1+φ)/(1−φ)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(chains, steps, *dims))
    x = np.empty_like(z)
    x[:, 0] = z[:, 0]
    for t in range(1, steps):
        x[:, t] = phi * x[:, t - 1] + np.sqrt(1 - phi**2) * z[:, t]
    if offsets is not None:
        x += np.reshape(offsets, (chains,) + (1,) * (x.ndim - 1))
    return x


def test_ess_and_rhat_match_blackjax():
    """Columns: white noise, AR(1) φ = 0.9, and AR(1) with one chain offset by 3
    (R̂ ≫ 1). One call of each BlackJAX function (jitted: eager they are slow)."""
    x = np.stack(
        [ar1(0.0, 4, 1000, seed=1), ar1(0.9, 4, 1000, seed=2), ar1(0.5, 4, 1000, seed=3, offsets=[0, 0, 0, 3.0])],
        axis=-1,
    )
    # Bulk ESS is Stan's/ArviZ's to round-off (tests/diagnostics/test_convergence.py); BlackJAX
    # truncates Geyer's sequence one term differently, which moves the non-stationary column by 0.6 %.
    bulk, reference = ess_bulk(x), np.asarray(jax.jit(bd.ess_bulk)(x))
    np.testing.assert_allclose(bulk[:2], reference[:2], rtol=2e-3)
    np.testing.assert_allclose(bulk[2], reference[2], rtol=1e-2)
    plain, reference = effective_sample_size(x), np.asarray(jax.jit(bd.effective_sample_size)(x))
    np.testing.assert_allclose(plain[:2], reference[:2], rtol=2e-3)
    np.testing.assert_allclose(plain[2], reference[2], rtol=1e-2)
    rhat = split_rhat(x)
    np.testing.assert_allclose(rhat, np.asarray(jax.jit(bd.rhat)(x)), rtol=1e-4)
    assert rhat[0] < 1.01 and rhat[1] < 1.1 and rhat[2] > 1.2


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_tau_int_of_ar1_is_exact_within_error(phi):
    """τ = 1 + 2Σρ_t = (1+φ)/(1−φ) for AR(1). τ̂ of 16 independent replicas (8 × 4000
    draws each): their mean lies within 4 standard errors (sd of the 16 / 4) of the exact
    τ, and a replica's relative spread is a few % (τ̂ is not a constant)."""
    taus = np.array([float(integrated_autocorrelation_time(ar1(phi, seed=s))) for s in range(16)])
    exact = (1 + phi) / (1 - phi)
    se = taus.std(ddof=1) / np.sqrt(taus.size)
    assert abs(taus.mean() - exact) < 4 * se, (taus.mean(), exact, se)
    assert 0.002 < taus.std(ddof=1) / exact < 0.1


def test_mean_and_error_covers_the_truth():
    x = ar1(0.9, seed=3) + 2.0
    mean, err = mean_and_error(x)
    assert abs(mean - 2.0) < 4 * err
    # the naive SE ignores autocorrelation: √τ ≈ √19 ≈ 4.4 times too small
    assert err / (x.std() / np.sqrt(x.size)) == pytest.approx(np.sqrt(19), rel=0.15)


def test_delta_h_stats_for_gaussian_delta_h():
    """ΔH ~ N(μ, 2μ) (the large-N law) has ⟨e^{−ΔH}⟩ = 1 and acceptance erfc(½√μ)."""
    mu = 0.3
    d = np.random.default_rng(0).normal(mu, np.sqrt(2 * mu), size=200_000)
    s = delta_h_stats(np.append(d, np.nan).reshape(1, -1))
    assert s["n"] == d.size
    assert abs(s["exp_mean"] - 1.0) < 4 * s["exp_mean_error"]
    assert s["acceptance"] == pytest.approx(s["predicted_acceptance"], abs=0.005)
    assert s["rms"] == pytest.approx(np.sqrt(mu**2 + 2 * mu), rel=0.01)
    with pytest.raises(ValueError):
        delta_h_stats(np.full((2, 3), np.nan))


def test_acceptance_and_efficiency():
    assert acceptance_rate(jnp.array([[True, False], [True, True]])) == 0.75
    e = efficiency(100.0, 2.0, 1000)
    assert e == {"ess": 100.0, "ess_per_second": 50.0, "ess_per_grad": 0.1}
    assert np.isnan(efficiency(100.0, 2.0, 0)["ess_per_grad"])


def test_equipartition_on_exact_gff_samples():
    energy = GaussianFreeField(1.0, 2.0)
    x = np.asarray(energy.sample_exact(jax.random.key(0), (6, 6), 4000)).reshape(4, 1000, 6, 6)
    eq = equipartition(energy, x)
    assert eq["expected"] == 72.0 and abs(eq["z"]) < 4


def test_phi4_observables_on_known_fields():
    # chain 0: m = +1 then −1 alternating (4 flips); chain 1: constant +2
    ones = np.ones((4, 4))
    x = np.stack([np.stack([ones, -ones, ones, -ones, ones]), np.stack([2 * ones] * 5)])
    m = magnetization(x)
    np.testing.assert_allclose(m, [[1, -1, 1, -1, 1], [2, 2, 2, 2, 2]])
    np.testing.assert_array_equal(sign_flips(m), [4, 0])
    obs = phi4_observables(x)
    assert obs["abs_m"] == pytest.approx(1.5)
    assert obs["chi2"] == pytest.approx(16 * 2.5)
    assert obs["binder"] == pytest.approx(1 - 8.5 / (3 * 2.5**2))
    np.testing.assert_allclose(obs["p_positive_per_chain"], [0.6, 1.0])
    np.testing.assert_allclose(obs["G"], np.full((4, 4), 2.5))  # constant fields: G(x) = ⟨m²⟩
    density, edges = magnetization_histogram(m, bins=4)
    assert edges[0] == -2 and edges[-1] == 2 and np.sum(density * np.diff(edges)) == pytest.approx(1.0)


def test_two_point_of_white_noise_is_a_delta():
    x = np.random.default_rng(0).normal(size=(2000, 4, 4))
    g = two_point(x)
    assert g[0, 0] == pytest.approx(1.0, abs=0.03)
    assert np.abs(g.ravel()[1:]).max() < 0.03


def test_binder_of_gaussian_magnetisation_is_zero():
    """U₄ = 0 for a Gaussian m (⟨m⁴⟩ = 3⟨m²⟩²), within 4 SE."""
    x = np.random.default_rng(1).normal(size=(4, 5000, 2, 2))
    obs = phi4_observables(x)
    assert abs(obs["binder"]) < 4 * obs["binder_error"]
    assert abs(obs["p_positive"] - 0.5) < 4 * obs["p_positive_error"]


def test_binder_error_counts_the_correlation_of_m2_and_m4():
    """For i.i.d. Gaussian m the delta method gives sd(U₄) = √(8/3)/√n per draw
    (g₄²·96 + g₂²·2 + 2g₄g₂·12 = 8/3 with σ = 1); treating ⟨m²⟩ and ⟨m⁴⟩ as
    independent gives √(56/3)/√n, 2.6× too large. The error must match the
    spread of U₄ over 300 replicate runs (SE of an s.d. from R runs ≈ sd/√(2R) = 4 %;
    allowed: 12 %, and the independent-error figure is rejected)."""
    rng = np.random.default_rng(5)
    n, reps = 4000, 300
    runs = [phi4_observables(rng.normal(size=(4, n // 4, 1, 1))) for _ in range(reps)]
    spread = np.std([r["binder"] for r in runs], ddof=1)
    quoted = np.mean([r["binder_error"] for r in runs])
    assert quoted == pytest.approx(spread, rel=0.12), (quoted, spread)
    assert quoted == pytest.approx(np.sqrt(8 / 3 / n), rel=0.12)
    assert np.sqrt(56 / 3 / n) > 2 * spread  # what the old propagation quoted


def test_gaussian_leapfrog_delta_h_is_exact_for_one_oscillator():
    """One oscillator ω = 1, ε = 0.1, L = 1 from (x, p) ~ N(0, I): ΔH of leapfrog by a
    Monte Carlo of 200 000 exact (float64) single steps: mean and mean square within 5 SE."""
    from idf.diagnostics import gaussian_leapfrog_delta_h

    rng = np.random.default_rng(0)
    x, p = rng.normal(size=(2, 200_000))
    eps = 0.1
    p_half = p - 0.5 * eps * x
    x_new = x + eps * p_half
    p_new = p_half - 0.5 * eps * x_new
    d = 0.5 * (x_new**2 + p_new**2) - 0.5 * (x**2 + p**2)
    mean, mean_square = gaussian_leapfrog_delta_h(np.ones(1), 1.0, eps, 1)
    assert abs(d.mean() - mean) < 5 * d.std() / np.sqrt(d.size)
    assert abs(np.mean(d**2) - mean_square) < 5 * np.std(d**2) / np.sqrt(d.size)
    assert gaussian_leapfrog_delta_h(np.ones(1), 1.0, eps, 0) == (0.0, 0.0)
