"""The finite-sample bias of the KL estimators, against Monte Carlo on draws
from the target itself (white noise: P_k = 1 for every mode, C = I).

Each case states its expectation, the Monte Carlo standard error of the mean
over R replicate data sets, and allows 4 of them. The old figure N/(2n) (twice
the truth for the Fourier KL) and d(d+1)/(4n) (no sample-mean term for the
moment KL) are shown to be rejected by the same data.
"""

import numpy as np
import pytest

from idf.diagnostics import fourier_kl, fourier_kl_bias, moment_kl, moment_kl_bias, self_conjugate_modes

K_SE = 4.0


def _replicate_kls(kl, shape, n, reps, seed):
    rng = np.random.default_rng(seed)
    power = np.ones(shape)
    values = np.array([kl(rng.standard_normal((n, *shape)), power) for _ in range(reps)])
    return values.mean(), values.std(ddof=1) / np.sqrt(reps)


def test_self_conjugate_modes_by_parity():
    assert [self_conjugate_modes(s) for s in [(8, 8), (7, 7), (6, 5), (5, 6), (1, 1)]] == [4, 1, 2, 2, 1]


@pytest.mark.parametrize("shape,n", [((8, 8), 16), ((8, 8), 256), ((7, 7), 32), ((6, 5), 64)])
def test_fourier_kl_bias_matches_monte_carlo(shape, n):
    mean, se = _replicate_kls(fourier_kl, shape, n, reps=1500, seed=n + shape[0])
    expected = fourier_kl_bias(shape, n)
    assert abs(mean - expected) < K_SE * se, (mean, se, expected)


def test_the_old_fourier_bias_n_over_2n_is_rejected():
    shape, n = (8, 8), 64
    mean, se = _replicate_kls(fourier_kl, shape, n, reps=1500, seed=1)
    old = np.prod(shape) / (2.0 * n)  # 0.5 nats; the truth is ≈ (64 + 4)/(4·64) = 0.27
    assert abs(mean - old) > 20 * se, (mean, se, old)
    assert fourier_kl_bias(shape, n) == pytest.approx((64 + 4) / (4 * n), rel=0.02)  # leading order


def test_moment_kl_bias_matches_monte_carlo_and_needs_the_mean_term():
    shape, n = (3, 3), 2000  # d = 9
    mean, se = _replicate_kls(moment_kl, shape, n, reps=600, seed=3)
    d = 9
    assert abs(mean - moment_kl_bias(d, n)) < K_SE * se + 2e-4, (mean, se)  # + O(d³/n²) ≈ 2e-4
    assert abs(mean - d * (d + 1) / (4.0 * n)) > 10 * se, (mean, se)  # without the mean's d/(2n)
