"""The one autocovariance (FFT) against its definition, and the
autocorrelation of an AR(1) chain against ρ_t = a^t."""

import numpy as np
import pytest

from idf.diagnostics import autocorrelation, autocovariance, integrated_autocorrelation_time


def test_autocovariance_equals_the_direct_sum():
    """γ_t = (1/S) Σ_{s<S−t} (x_s − x̄)(x_{s+t} − x̄), per chain, to float64 precision."""
    x = np.random.default_rng(0).normal(size=(3, 50, 2))
    got = autocovariance(x)
    assert got.shape == x.shape
    c = x - x.mean(axis=1, keepdims=True)
    for t in (0, 1, 7, 49):
        expected = np.einsum("csk,csk->ck", c[:, : 50 - t], c[:, t:]) / 50
        np.testing.assert_allclose(got[:, t], expected, rtol=1e-10, atol=1e-12)


def test_ar1_autocorrelation_is_a_to_the_t():
    """x_{s+1} = a·x_s + √(1−a²)·z, a = 0.8, 16 chains × 20 000 draws from
    stationarity: ρ_t = a^t; the estimate's SE at small lags is ≈ √((1+a²)/(1−a²)/n)
    ≈ 0.0034 (n = C·S), and we allow 5 SE. τ_int = (1+a)/(1−a) = 9 within 5%."""
    a, chains, draws = 0.8, 16, 20_000
    rng = np.random.default_rng(1)
    x = np.empty((chains, draws))
    x[:, 0] = rng.normal(size=chains)
    z = rng.normal(size=(chains, draws)) * np.sqrt(1 - a**2)
    for s in range(1, draws):
        x[:, s] = a * x[:, s - 1] + z[:, s]
    rho = autocorrelation(x, 10)
    assert rho.shape == (11,) and rho[0] == 1.0
    se = np.sqrt((1 + a**2) / (1 - a**2) / (chains * draws))
    np.testing.assert_array_less(np.abs(rho - a ** np.arange(11)), 5 * se * np.sqrt(1 + np.arange(11)))
    assert float(integrated_autocorrelation_time(x)) == pytest.approx((1 + a) / (1 - a), rel=0.05)


def test_autocorrelation_lags_and_constant_chains():
    x = np.random.default_rng(2).normal(size=(2, 30))
    assert autocorrelation(x).shape == (30,)
    assert autocorrelation(x, 100).shape == (30,)  # at most S − 1 lags
    assert np.all(np.isnan(autocorrelation(np.ones((2, 30)), 5)))
