"""ULA's exact stationary law on a free field, written once in
idf.diagnostics: the fixed point of each mode's AR(1) recursion, a simulated
chain, the KL against the target and the unstable modes."""

import numpy as np
import pytest

from idf.diagnostics import gaussian_kl, ula_stationary_kl, ula_stationary_variance
from idf.energy import GaussianFreeField


def test_variance_is_the_fixed_point_of_the_ar1_recursion():
    """x̂' = g·x̂ + √ε·ẑ with g = 1 − εA/(2kT): v = g²v + ε, so v = ε/(1 − g²)."""
    a = np.array([0.5, 1.0, 3.0, 9.0])
    for kT, eps in ((1.0, 0.3), (2.5, 0.1), (0.7, 0.01)):
        g = 1.0 - eps * a / (2.0 * kT)
        np.testing.assert_allclose(ula_stationary_variance(a, kT, eps), eps / (1.0 - g**2), rtol=1e-12)
    np.testing.assert_allclose(ula_stationary_variance(a, 1.0, 1e-9), 1.0 / a, rtol=1e-8)  # ε → 0: exact kT/A


def test_a_simulated_ula_mode_has_that_variance():
    """One mode, A = 4, kT = 1, ε = 0.3: v = 1/(4·0.7) = 0.357 (the target's is 0.25).
    64 chains × 4000 steps of the recursion from its stationary law; the sample
    variance's SE ≈ v·√(2τ/n) with τ = (1+g)/(1−g), allowed 5 SE."""
    a, kT, eps = 4.0, 1.0, 0.3
    v = float(ula_stationary_variance(np.array(a), kT, eps))
    assert v == pytest.approx(1.0 / (4.0 * 0.7))
    rng = np.random.default_rng(0)
    g = 1.0 - eps * a / (2.0 * kT)
    x = rng.normal(size=64) * np.sqrt(v)
    draws = np.empty((4000, 64))
    for s in range(4000):
        x = g * x + np.sqrt(eps) * rng.normal(size=64)
        draws[s] = x
    tau = (1 + g) / (1 - g)
    assert abs(draws.var() - v) < 5 * v * np.sqrt(2 * tau / draws.size)


def test_kl_to_the_gff_and_the_unstable_step():
    """8×8 GFF, m² = 1 (A_max = 9): at ε = 0.3 the law's KL equals gaussian_kl of the
    two spectra (6.6 nats: up to 3.1× the variance in the top modes); at ε ≥ 4/9 the
    top mode is unstable."""
    gff = GaussianFreeField(1.0, 1.0)
    a = np.asarray(gff.spectrum((8, 8)), np.float64)
    power = np.asarray(gff.covariance_spectrum((8, 8)), np.float64)
    kl = ula_stationary_kl(power, a, 1.0, 0.3)
    assert kl == pytest.approx(gaussian_kl(1.0 / (a * (1 - 0.3 * a / 4)), power), rel=1e-12)
    assert kl == pytest.approx(6.577, abs=1e-3)
    assert ula_stationary_kl(power, a, 1.0, 0.45) == np.inf
    v = ula_stationary_variance(a, 1.0, 0.45)
    assert np.isinf(v).sum() == np.sum(0.45 * a >= 4.0) > 0
    assert ula_stationary_kl(power, a, 1.0, 0.0) == pytest.approx(0.0, abs=1e-12)
