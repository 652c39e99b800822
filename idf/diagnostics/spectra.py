"""Radially averaged power spectra of lattice fields, in |k| shells.

Wavenumbers are integers q = (q₁, q₂) in cycles per box side (``fftfreq(L)·L``),
so fields of the same box at different resolutions (a multi-scale pyramid)
share one axis; the lattice wavenumber in radians per site is k = 2π·q/L.
Shell j holds the modes with j − ½ ≤ |q| < j + ½ (shell 0 is the zero mode).
Powers use the unitary FFT (E|x̂_k|² = P_k), as everywhere in ``idf``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class RadialSpectrum(NamedTuple):
    """A power spectrum averaged over |q| shells (every array [S]).

    q       shell centre |q| in cycles per box side (0, 1, 2, …)
    power   mean of P_k (or of |x̂_k|² over modes and samples) in the shell
    stderr  standard error of ``power`` across samples (0 for an exact spectrum)
    count   number of Fourier modes in the shell
    """

    q: np.ndarray
    power: np.ndarray
    stderr: np.ndarray
    count: np.ndarray


def shell_index(shape: tuple[int, int]) -> np.ndarray:
    """The |q| shell of every Fourier mode, int [H, W] in ``fft2`` layout."""
    h, w = shape
    q1 = np.fft.fftfreq(h) * h
    q2 = np.fft.fftfreq(w) * w
    radius = np.sqrt(q1[:, None] ** 2 + q2[None, :] ** 2)
    return np.floor(radius + 0.5).astype(np.int64)


def _shell_means(values: np.ndarray, shells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shell means of values [..., H, W] -> ([..., S], count [S])."""
    idx = shells.reshape(-1)
    count = np.bincount(idx)
    rows = values.reshape(-1, idx.size)
    sums = np.stack([np.bincount(idx, weights=row, minlength=count.size) for row in rows])
    return sums.reshape(*values.shape[:-2], count.size) / count, count


def radial_average(power: np.ndarray) -> RadialSpectrum:
    """Shell average of an exact per-mode spectrum P [H, W] (stderr = 0)."""
    power = np.asarray(power, np.float64)
    shells = shell_index(power.shape)
    mean, count = _shell_means(power, shells)
    return RadialSpectrum(np.arange(count.size, dtype=np.float64), mean, np.zeros_like(mean), count)


def radial_power_spectrum(samples: np.ndarray) -> RadialSpectrum:
    """Radially averaged empirical power of fields [n, H, W].

    ``power`` is the shell mean of |x̂_k|² over modes and samples; ``stderr`` is
    the standard deviation across samples of each sample's shell mean over √n,
    which is valid whatever the correlations between modes within a sample
    (samples are independent). Second moments about zero: the targets have
    zero mean.
    """
    x = np.asarray(samples, np.float64)
    if x.ndim != 3:
        raise ValueError(f"samples must be [n, H, W], got shape {x.shape}")
    per_mode = np.abs(np.fft.fft2(x, norm="ortho")) ** 2
    shells = shell_index(x.shape[1:])
    per_sample, count = _shell_means(per_mode, shells)
    n = x.shape[0]
    stderr = per_sample.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(count.size, np.nan)
    return RadialSpectrum(np.arange(count.size, dtype=np.float64), per_sample.mean(axis=0), stderr, count)


def gaussian_shell_stderr(power: np.ndarray, num_samples: int) -> np.ndarray:
    """Exact standard error [S] of ``radial_power_spectrum``'s shell means for n
    samples of a stationary Gaussian field with per-mode variance P [H, W].

    Modes are independent except conjugate pairs (x̂_{−k} = x̂_k*), so the
    shell sum Σ|x̂_k|² has variance 2·Σ_k P_k² (a complex pair contributes
    Var(2|x̂_k|²) = 4P², a real mode Var(P·χ²₁) = 2P²); SE = √(2ΣP²)/(M·√n).
    Unlike the empirical SE it needs no large n (with n ≈ 16 the empirical one
    gives Student-t tails).
    """
    power = np.asarray(power, np.float64)
    mean_sq, count = _shell_means(power**2, shell_index(power.shape))
    return np.sqrt(2.0 * mean_sq * count) / count / np.sqrt(num_samples)


def shell_z_scores(
    measured: RadialSpectrum, exact: RadialSpectrum, stderr: np.ndarray | None = None
) -> np.ndarray:
    """(measured − exact)/SE per shell [S]: how many standard errors apart.

    SE is ``measured.stderr`` (empirical) unless ``stderr`` is given (e.g.
    ``gaussian_shell_stderr`` of the exact spectrum).
    """
    se = measured.stderr if stderr is None else stderr
    return (measured.power - exact.power) / se
