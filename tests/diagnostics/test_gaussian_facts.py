"""Exact forward entropy and KL, and the sample distances, on known cases."""

import jax
import numpy as np
import pytest

from idf.diagnostics import (
    forward_entropy,
    forward_kl_to_prior,
    fourier_kl,
    frechet_distance,
    gaussian_kl,
    moment_kl,
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


def test_distances_of_exact_samples_are_small_and_of_wrong_samples_large():
    gff = GaussianFreeField(mass2=1.0)
    n = 8192
    x = np.asarray(gff.sample_exact(jax.random.key(0), SHAPE, n), np.float64)
    p = _power()
    kl = fourier_kl(x, p)
    assert kl < 3 * 64 / (2 * n)  # its finite-sample bias is ≈ d/(2n) at most
    assert moment_kl(x, p) < 3 * 64 * 65 / (4 * n)
    assert frechet_distance(x, p) < 0.05
    hot = np.sqrt(2.0) * x  # covariance 2C: KL = ½·d·(2 − 1 − ln 2), W₂² = (√2 − 1)²·tr C
    assert fourier_kl(hot, p) == pytest.approx(0.5 * 64 * (1 - np.log(2)), rel=0.05)
    assert frechet_distance(hot, p) == pytest.approx((np.sqrt(2) - 1) ** 2 * p.sum(), rel=0.05)
    assert frechet_distance(hot, p, full_limit=0) == pytest.approx((np.sqrt(2) - 1) ** 2 * p.sum(), rel=0.05)


def test_gaussian_kl_closed_form():
    assert gaussian_kl(np.array([2.0]), np.array([1.0])) == pytest.approx(0.5 * (2 - 1 - np.log(2)))
    assert gaussian_kl(np.ones(5), np.ones(5)) == 0.0


def test_moment_kl_needs_enough_samples():
    with pytest.raises(ValueError, match="more samples"):
        moment_kl(np.zeros((10, 8, 8)), _power())
