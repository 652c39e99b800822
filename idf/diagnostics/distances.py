"""Distances from samples of a lattice field to an exact Gaussian target.

Every estimate comes with its sample size n, because each has a finite-sample
bias: the moment-matched KL in d dimensions (mean and covariance fitted) is
biased upward by about d(d+3)/(4n) (``moment_kl_bias``); the Fourier-diagonal
KL (which uses translation invariance and estimates only the mode variances)
by about (N + n_self)/(4n) (``fourier_kl_bias``, exact for i.i.d. draws).
The Fourier KL assumes a stationary Gaussian: for samples of a learned model it
is a lower bound on the distance, blind to non-stationarity and non-Gaussianity.
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


def prefix_power(chains: np.ndarray, lengths: np.ndarray, block: int = 1 << 21) -> np.ndarray:
    """``empirical_power`` of the first s draws of every chain, for each s in ``lengths``:
    chains [C, S, H, W] -> [len(lengths), H, W], the mean over the C·s draws.

    One FFT of every draw (in blocks of about ``block`` values, so memory stays bounded),
    then cumulative sums over steps, instead of one FFT of every prefix. A prefix that
    holds a non-finite draw gives a non-finite power (NaN, or inf): callers test the draws."""
    x = np.asarray(chains)
    c, s = x.shape[:2]
    per_step = np.empty((s, *x.shape[2:]), np.float64)
    rows = max(1, block // max(1, c * int(np.prod(x.shape[2:]))))
    for start in range(0, s, rows):
        x_hat = np.fft.fft2(np.asarray(x[:, start:start + rows], np.float64), norm="ortho")
        per_step[start:start + rows] = np.sum(np.abs(x_hat) ** 2, axis=0)
    lengths = np.asarray(lengths, int)
    return np.cumsum(per_step, axis=0)[lengths - 1] / (c * lengths)[:, None, None]


def fourier_kl(samples: np.ndarray, power: np.ndarray) -> float:
    """KL(N(0, diag P̂) ‖ N(0, diag P)) over the N Fourier modes, in nats.

    A Gaussian fitted to the samples under the assumption (true for the
    target) that the covariance is diagonal in Fourier space.
    """
    return gaussian_kl(empirical_power(samples), power)


def self_conjugate_modes(shape: tuple[int, int]) -> int:
    """How many Fourier modes of a real [H, W] field equal their own conjugate
    (k ≡ −k): 4 on an even×even lattice, 2 on even×odd, 1 on odd×odd."""
    h, w = shape
    return (2 if h % 2 == 0 else 1) * (2 if w % 2 == 0 else 1)


def fourier_kl_bias(shape: tuple[int, int], num_samples: float) -> float:
    """E[KL̂] of ``fourier_kl`` for n i.i.d. draws from the target itself, in nats.

    P̂_k/P_k is χ²_ν/ν. A self-conjugate mode (x̂_k real) has ν = n. Any other
    mode shares its estimate with −k, whose x̂ is its conjugate, so ν = 2n (real
    and imaginary parts). With E[r − 1 − ln r] = ln(ν/2) − ψ(ν/2) exactly,

        E[KL̂] = ½ Σ_k [ln(ν_k/2) − ψ(ν_k/2)] ≈ (N + n_self)/(4n),

    not N/(2n): only the n_self modes (``self_conjugate_modes``) are χ²_n-type.
    For correlated draws pass n/τ, with τ the integrated autocorrelation time of
    the modes' power |x̂_k|² (the slowest one for a bound).
    """
    from scipy.special import digamma

    n_self = self_conjugate_modes(shape)
    n_pair = int(np.prod(shape)) - n_self
    n = float(num_samples)
    per_mode = lambda nu: np.log(nu / 2.0) - digamma(nu / 2.0)  # noqa: E731
    return float(0.5 * (n_self * per_mode(n) + n_pair * per_mode(2.0 * n)))


def self_conjugate_mask(shape: tuple[int, int]) -> np.ndarray:
    """[H, W] bool: True where the Fourier mode k ≡ −k (x̂_k real)."""
    h, w = shape
    return ((2 * np.arange(h) % h) == 0)[:, None] & ((2 * np.arange(w) % w) == 0)[None, :]


def fourier_kl_moments(
    shape: tuple[int, int], num_samples: float, variance: np.ndarray | None = None, power: np.ndarray | None = None
) -> tuple[float, float]:
    """(mean, sd) of ``fourier_kl`` for n i.i.d. Gaussian draws whose Fourier
    variances are ``variance`` [H, W], scored against ``power`` [H, W] (both
    None: draws from the target itself), in nats.

    With ρ_k = variance/power and c = χ²_ν/ν (ν = n on self-conjugate modes,
    2n on the rest), KL̂ = ½Σ_k (ρc − 1 − ln ρc), so exactly
    mean = gaussian_kl(variance, power) + fourier_kl_bias(shape, n), and, since
    Var c = 2/ν, Cov(c, ln c) = 2/ν, Var ln c = ψ′(ν/2), each independent
    estimate contributes Var(ρc − ln c) = 2ρ²/ν − 4ρ/ν + ψ′(ν/2), a conjugate
    pair with weight 1 and a self-conjugate mode with weight ½. For correlated
    draws pass n/τ (see ``fourier_kl_bias``).
    """
    from scipy.special import polygamma

    n = float(num_samples)
    rho = np.ones(shape) if variance is None else np.asarray(variance, np.float64) / np.asarray(power, np.float64)
    self_mask = self_conjugate_mask(shape)
    nu = np.where(self_mask, n, 2.0 * n)
    var = 2.0 * rho**2 / nu - 4.0 * rho / nu + polygamma(1, nu / 2.0)
    # every mode once: a pair's variance (weight 1) is split over its two members (½ each); self-conjugate ¼
    total = np.sum(np.where(self_mask, 0.25, 0.5) * var)
    kl = 0.0 if variance is None else gaussian_kl(rho, np.ones(shape))
    return float(kl + fourier_kl_bias(shape, n)), float(np.sqrt(total))


def moment_kl_bias(dim: int, num_samples: float) -> float:
    """Leading finite-sample bias of ``moment_kl`` in nats: d(d+1)/(4n) from the
    fitted covariance plus d/(2n) from the fitted mean, = d(d+3)/(4n)."""
    return dim * (dim + 3) / (4.0 * float(num_samples))


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
    # C is circulant, so C^½ is the Fourier multiplier √P, and C^½ Ĉ C^½ is the sample
    # covariance of y = C^½(x − μ̂): its nonzero eigenvalues are those of the n × n Gram
    # matrix of y when n ≤ N (rank ≤ n − 1). Same number as the N × N route, without two
    # N × N eigendecompositions (0.3 s a rerun at L = 16 on the Reverse page).
    n = len(x)
    xc = (x - mu).reshape(samples.shape)
    y = np.fft.ifft2(np.sqrt(np.clip(power, 0.0, None)) * np.fft.fft2(xc)).real.reshape(n, -1)
    gram = (y @ y.T if n <= y.shape[1] else y.T @ y) / (n - 1)
    middle = np.linalg.eigvalsh(gram)
    trace_hat = float(np.sum((x - mu) ** 2) / (n - 1))
    return float(mu @ mu + trace_hat + np.sum(power) - 2.0 * np.sum(np.sqrt(np.clip(middle, 0.0, None))))
