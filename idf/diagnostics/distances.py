"""Distances from samples of a lattice field to an exact Gaussian target.

Every estimate comes with its sample size n, because each has a finite-sample
bias: the moment-matched KL in d dimensions is biased upward by about
d(d+1)/(4n); the Fourier-diagonal KL (which uses translation invariance and
estimates only d variances) by about d/(2n).
"""

from __future__ import annotations

import numpy as np

from idf.diagnostics.gaussian import gaussian_kl


def empirical_power(samples: np.ndarray) -> np.ndarray:
    """P̂_k = mean over samples of |x̂_k|² (unitary FFT), samples [n, H, W] -> [H, W].

    Second moments about zero, since the targets here have zero mean.
    """
    x_hat = np.fft.fft2(np.asarray(samples, np.float64), norm="ortho")
    return np.mean(np.abs(x_hat) ** 2, axis=0)


def fourier_kl(samples: np.ndarray, power: np.ndarray) -> float:
    """KL(N(0, diag P̂) ‖ N(0, diag P)) over the N Fourier modes, in nats.

    A Gaussian fitted to the samples under the assumption (true for the
    target) that the covariance is diagonal in Fourier space.
    """
    return gaussian_kl(empirical_power(samples), power)


def fourier_kl_bias(shape: tuple[int, ...], num_samples: int) -> float:
    """Finite-sample bias E[KL̂] of ``fourier_kl`` for n i.i.d. draws from the target, in nats.

    Each of the N = prod(shape) modes contributes ≈ 1/(4·dof) per χ² degree of freedom
    fitted; written once here so every page, the CLI and the checks quote the same
    figure (≈ N/(2n) as used so far).
    """
    return float(np.prod(shape)) / (2.0 * num_samples)


def covariance_from_power(power: np.ndarray) -> np.ndarray:
    """Real-space covariance [N, N] of the stationary field with spectrum P."""
    h, w = power.shape
    # C(r − r') = (1/N) Σ_k P_k e^{ik(r − r')}: NumPy's ifft2 carries the 1/N.
    corr = np.fft.ifft2(np.asarray(power, np.float64)).real
    idx0 = np.arange(h)[:, None, None, None]
    idx1 = np.arange(w)[None, :, None, None]
    jdx0 = np.arange(h)[None, None, :, None]
    jdx1 = np.arange(w)[None, None, None, :]
    cov = corr[(jdx0 - idx0) % h, (jdx1 - idx1) % w]
    return cov.reshape(h * w, h * w)


def moment_kl(samples: np.ndarray, power: np.ndarray) -> float:
    """KL(N(μ̂, Ĉ) ‖ N(0, C)) with the sample mean and covariance (needs n > N)."""
    x = np.asarray(samples, np.float64).reshape(len(samples), -1)
    n, d = x.shape
    if n <= d:
        raise ValueError(f"moment-matched KL needs more samples than dimensions ({n} ≤ {d})")
    mu = x.mean(0)
    c_hat = np.cov(x, rowvar=False)
    cov = covariance_from_power(power)
    c_inv = np.linalg.inv(cov)
    _, logdet = np.linalg.slogdet(cov)
    _, logdet_hat = np.linalg.slogdet(c_hat)
    return float(0.5 * (np.trace(c_inv @ c_hat) + mu @ c_inv @ mu - d + logdet - logdet_hat))


def frechet_distance(samples: np.ndarray, power: np.ndarray, full_limit: int = 1024) -> float:
    """Squared Fréchet (2-Wasserstein) distance between N(μ̂, Ĉ) and N(0, C).

    W₂² = |μ̂|² + tr Ĉ + tr C − 2 tr (C^½ Ĉ C^½)^½. With more than ``full_limit``
    sites, the Fourier-diagonal form Σ_k (√P̂_k − √P_k)² + |μ̂|² is used
    (exact when Ĉ is stationary, as for a translation-invariant sampler).
    """
    x = np.asarray(samples, np.float64).reshape(len(samples), -1)
    mu = x.mean(0)
    if x.shape[1] > full_limit or len(x) < 2:
        p_hat = empirical_power(samples - mu.reshape(samples.shape[1:]))
        return float(np.sum((np.sqrt(p_hat) - np.sqrt(power)) ** 2) + mu @ mu)
    c_hat = np.cov(x, rowvar=False)
    cov = covariance_from_power(power)
    evals, evecs = np.linalg.eigh(cov)
    root = (evecs * np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T
    middle = np.linalg.eigvalsh(root @ c_hat @ root)
    return float(mu @ mu + np.trace(c_hat) + np.trace(cov) - 2.0 * np.sum(np.sqrt(np.clip(middle, 0.0, None))))
