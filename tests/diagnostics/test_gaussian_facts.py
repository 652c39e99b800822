"""Exact forward entropy and KL, and the sample distances, on known cases."""

import jax
import numpy as np
import pytest

from idf.diagnostics import (
    covariance_from_power,
    forward_entropy,
    forward_kl_to_prior,
    fourier_kl,
    fourier_kl_bias,
    fourier_kl_moments,
    frechet_distance,
    gaussian_kl,
    moment_kl,
    moment_kl_bias,
)
from idf.diffusion import SCHEDULES, make_schedule
from idf.energy import GaussianFreeField

SHAPE = (8, 8)


def _power(m2=1.0, kT=1.0):
    return np.asarray(GaussianFreeField(mass2=m2, kT=kT).covariance_spectrum(SHAPE), np.float64)


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("m2,kT", [(1.0, 1.0), (0.05, 1.0), (1.0, 4.0), (10.0, 0.2)])
def test_kl_to_prior_never_rises(name, m2, kT):
    kl = forward_kl_to_prior(_power(m2, kT), make_schedule(name, 1000).alpha_bars)
    assert np.all(np.diff(kl) <= 1e-9)
    assert kl[-1] < 1e-3 * kl[0] + 1e-3


def test_entropy_is_not_monotone_in_general():
    """H(t) rises only in modes with P_k < 1. GFF m² = 1: kT = 1 → always
    rises; kT = 5 → always falls; kT = 4 → rises on some steps, falls on others.
    The document's "S(t+1) ≥ S(t)" is false for the exact marginal entropy."""
    ab = make_schedule("linear", 1000).alpha_bars
    rises = lambda kT: np.mean(np.diff(forward_entropy(_power(1.0, kT), ab)) > 0)  # noqa: E731
    assert rises(1.0) == 1.0
    assert rises(5.0) == 0.0
    assert 0.2 < rises(4.0) < 0.8


def test_entropy_of_white_noise_is_the_prior_entropy():
    ab = make_schedule("cosine", 100).alpha_bars
    h = forward_entropy(np.ones(SHAPE), ab)
    np.testing.assert_allclose(h, 0.5 * 64 * np.log(2 * np.pi * np.e), rtol=1e-12)


K_SD = 4.0  # each single-draw check allows 4 sd of the estimator's own spread
CASES = [(shape, n) for shape in [(8, 8), (7, 7), (6, 5)] for n in [256, 1024, 8192]]


def _exact_draws(shape, n, seed):
    gff = GaussianFreeField(mass2=1.0)
    power = np.asarray(gff.covariance_spectrum(shape), np.float64)
    return np.asarray(gff.sample_exact(jax.random.key(seed), shape, n), np.float64), power


def test_fourier_kl_of_exact_draws_is_its_bias_within_k_sd():
    """KL̂ of n exact draws: E = fourier_kl_bias ≈ (N + n_self)/(4n), sd from
    the χ² law (``fourier_kl_moments``), at three n and three lattice parities.
    Each of the 9 draws is within 4 sd, and Σz² is within χ²₉'s 99.9 % point;
    the old N/(2n) gives Σz² ≈ 120 on the same draws (here: > 60)."""
    z_new, z_old = [], []
    for shape, n in CASES:
        x, power = _exact_draws(shape, n, seed=n + shape[0])
        kl = fourier_kl(x, power)
        mean, sd = fourier_kl_moments(shape, n)
        assert mean == pytest.approx(fourier_kl_bias(shape, n))
        assert abs(kl - mean) < K_SD * sd, (shape, n, kl, mean, sd)
        z_new.append((kl - mean) / sd)
        z_old.append((kl - np.prod(shape) / (2.0 * n)) / sd)
    assert np.sum(np.square(z_new)) < 27.9, z_new  # chi2.ppf(0.999, 9)
    assert np.sum(np.square(z_old)) > 60.0, z_old


@pytest.mark.parametrize("shape,n,scale", [((8, 8), 64, 1.0), ((7, 7), 32, 1.0), ((6, 5), 64, 1.3)])
def test_fourier_kl_moments_match_monte_carlo(shape, n, scale):
    """Mean and sd of KL̂ over R = 1500 data sets of white noise ×scale (ρ = scale²):
    the mean within 4 Monte Carlo SE, the sd within 4 of its SE (≈ sd/√(2R))."""
    rng = np.random.default_rng(n + shape[1])
    power, reps = np.ones(shape), 1500
    values = np.array([fourier_kl(scale * rng.standard_normal((n, *shape)), power) for _ in range(reps)])
    mean, sd = fourier_kl_moments(shape, n, np.full(shape, scale**2), power)
    assert abs(values.mean() - mean) < 4 * values.std(ddof=1) / np.sqrt(reps), (values.mean(), mean)
    assert abs(values.std(ddof=1) - sd) < 4 * sd / np.sqrt(2 * reps), (values.std(ddof=1), sd)


def test_moment_kl_and_frechet_of_exact_and_hot_draws():
    """Moment KL: 2n·KL̂ → χ²_q, q = d(d+3)/2, so E ≈ d(d+3)/(4n) = 0.131 and
    sd ≈ √(2q)/(2n) = 0.0040 at d = 64, n = 8192; allowed 4 sd + d³/n² (0.004,
    the next order). Hot draws √2·x (covariance 2C): Fourier KL expected
    ½·N·(1 − ln 2) + bias with its sd; W₂² = (√2 − 1)²·tr C within 5 %."""
    n, d = 8192, 64
    x, p = _exact_draws(SHAPE, n, seed=0)
    q = d * (d + 3) / 2
    assert abs(moment_kl(x, p) - moment_kl_bias(d, n)) < K_SD * np.sqrt(2 * q) / (2 * n) + d**3 / n**2
    assert frechet_distance(x, p) < 0.05
    hot = np.sqrt(2.0) * x
    mean, sd = fourier_kl_moments(SHAPE, n, 2.0 * p, p)
    assert mean == pytest.approx(0.5 * 64 * (1 - np.log(2)) + fourier_kl_bias(SHAPE, n))
    assert abs(fourier_kl(hot, p) - mean) < K_SD * sd
    assert frechet_distance(hot, p) == pytest.approx((np.sqrt(2) - 1) ** 2 * p.sum(), rel=0.05)
    assert frechet_distance(hot, p, full_limit=0) == pytest.approx((np.sqrt(2) - 1) ** 2 * p.sum(), rel=0.05)


def test_gaussian_kl_closed_form():
    assert gaussian_kl(np.array([2.0]), np.array([1.0])) == pytest.approx(0.5 * (2 - 1 - np.log(2)))
    assert gaussian_kl(np.ones(5), np.ones(5)) == 0.0


def test_moment_kl_needs_enough_samples():
    with pytest.raises(ValueError, match="more samples"):
        moment_kl(np.zeros((10, 8, 8)), _power())


@pytest.mark.parametrize("n", [12, 150])
def test_frechet_distance_equals_the_dense_matrix_formula(n):
    """The Fourier-multiplier route (C^½ as √P, eigenvalues from the n × n Gram matrix when
    n ≤ N) against the textbook dense one, C^½ from eigh(C) and tr(C^½ĈC^½)^½ from the N × N
    matrix, on skewed, shifted, non-stationary draws (so nothing is diagonal): n = 12 < N = 64
    and n = 150 > N."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, *SHAPE)) * np.linspace(0.5, 2.0, 64).reshape(SHAPE) + 0.3
    x[:, 0, :] += x[:, 1, :] ** 2  # correlated, non-Gaussian rows
    p = _power(m2=0.7, kT=1.3)
    flat = x.reshape(n, -1)
    mu = flat.mean(0)
    c_hat = np.cov(flat, rowvar=False)
    evals, evecs = np.linalg.eigh(covariance_from_power(p))
    root = (evecs * np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T
    middle = np.clip(np.linalg.eigvalsh(root @ c_hat @ root), 0.0, None)
    dense = mu @ mu + np.trace(c_hat) + p.sum() - 2.0 * np.sqrt(middle).sum()
    # rel 1e-7: the dense route's N − n + 1 zero eigenvalues come out as ±1e-14, whose clipped
    # square roots add ~1e-7 each; the Gram route has none
    assert frechet_distance(x, p) == pytest.approx(dense, rel=1e-7)
