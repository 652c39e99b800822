"""Exact facts about Gaussian data under diffusion (per Fourier mode).

For data x₀ ~ N(0, C) with C diagonal in Fourier space (a free field), the
forward marginal is q_t = N(0, ᾱ_t·C + (1−ᾱ_t)·I): mode k has variance
v_k(t) = ᾱ_t·P_k + 1 − ᾱ_t, P_k = E|x̂_k|².

- H(t) = ½ Σ_k ln(2πe·v_k(t)) rises in mode k only while P_k < 1: not monotone
  in general (the design document claims S(t+1) ≥ S(t)).
- KL(q_t ‖ N(0, I)) = ½ Σ_k (v_k − 1 − ln v_k) is non-increasing on every step,
  because each v_k moves monotonically toward 1 as ᾱ falls.
"""

from __future__ import annotations

import numpy as np


def forward_variances(power: np.ndarray, alpha_bars: np.ndarray) -> np.ndarray:
    """v_k(t) = ᾱ_t·P_k + 1 − ᾱ_t, shape [T+1, *power.shape] (row 0 is t = 0)."""
    ab = np.concatenate([[1.0], np.asarray(alpha_bars, np.float64)])
    ab = ab.reshape(-1, *([1] * np.ndim(power)))
    return ab * np.asarray(power, np.float64) + 1.0 - ab


def forward_entropy(power: np.ndarray, alpha_bars: np.ndarray) -> np.ndarray:
    """Differential entropy H(t) of q_t in nats, [T+1] (row 0 is the data)."""
    v = forward_variances(power, alpha_bars)
    return 0.5 * np.sum(np.log(2.0 * np.pi * np.e * v), axis=tuple(range(1, v.ndim)))


def forward_kl_to_prior(power: np.ndarray, alpha_bars: np.ndarray) -> np.ndarray:
    """KL(q_t ‖ N(0, I)) in nats, [T+1]; non-increasing in t."""
    v = forward_variances(power, alpha_bars)
    return 0.5 * np.sum(v - 1.0 - np.log(v), axis=tuple(range(1, v.ndim)))


def forward_mean_energy(power: np.ndarray, spectrum: np.ndarray, alpha_bars: np.ndarray) -> np.ndarray:
    """Exact ⟨φ(x_t)⟩ = ½ Σ_k A_k v_k(t) of a quadratic energy with A(k) = ``spectrum``
    along the forward chain, [T+1] (row 0 is the data), in the energy's units."""
    v = forward_variances(power, alpha_bars)
    return 0.5 * np.sum(np.asarray(spectrum, np.float64) * v, axis=tuple(range(1, v.ndim)))


def gaussian_kl(v: np.ndarray, p: np.ndarray) -> float:
    """KL(N(0, diag v) ‖ N(0, diag p)) = ½ Σ (v/p − 1 − ln(v/p)) in nats."""
    r = np.asarray(v, np.float64) / np.asarray(p, np.float64)
    return float(0.5 * np.sum(r - 1.0 - np.log(r)))


def reverse_mode_gains(
    power: np.ndarray,
    alpha_bar: np.ndarray,
    alpha_bar_prev: np.ndarray,
    *,
    method: str,
    eta: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The reverse loop with the exact Gaussian denoiser (DESIGN §4), mode by
    mode: every step is x ← g·x + σ·z, so the whole loop maps a start variance
    v to G²·v + N. Returns (G², N) [*power.shape], float64; N is for unit noise
    (a sampling temperature T_s scales it by T_s).

    ``alpha_bar``/``alpha_bar_prev`` are the sub-sequence's tables [S]
    (``schedules.step_table``).
    """
    power = np.asarray(power, np.float64)
    gain2, noise = np.ones_like(power), np.zeros_like(power)
    for ab, abp in zip(np.asarray(alpha_bar, np.float64), np.asarray(alpha_bar_prev, np.float64), strict=True):
        c = np.sqrt(1.0 - ab) / (ab * power + 1.0 - ab)  # ε̂ = c·x
        a0 = (1.0 - np.sqrt(1.0 - ab) * c) / np.sqrt(ab)  # x̂₀ = a0·x
        if method == "ddim":
            sigma2 = eta**2 * (1.0 - abp) / (1.0 - ab) * (1.0 - ab / abp)
            g = np.sqrt(abp) * a0 + np.sqrt(max(1.0 - abp - sigma2, 0.0)) * c
        elif method == "ddpm":
            alpha = ab / abp
            g = np.sqrt(abp) * (1.0 - alpha) / (1.0 - ab) * a0 + np.sqrt(alpha) * (1.0 - abp) / (1.0 - ab)
            sigma2 = (1.0 - abp) / (1.0 - ab) * (1.0 - alpha)
        else:
            raise ValueError(f"unknown method {method!r}")
        gain2, noise = g**2 * gain2, g**2 * noise + sigma2
    return gain2, noise


def reverse_output_variance(
    power: np.ndarray,
    alpha_bar: np.ndarray,
    alpha_bar_prev: np.ndarray,
    *,
    method: str,
    eta: float = 0.0,
    temperature: float = 1.0,
) -> np.ndarray:
    """Exact per-mode variance of x₀ from the reverse loop with the exact
    Gaussian denoiser, started from x_T ~ N(0, T_s·I): v = T_s·(G² + N)
    (``reverse_mode_gains``). Returns v [*power.shape] in float64.
    """
    gain2, noise = reverse_mode_gains(power, alpha_bar, alpha_bar_prev, method=method, eta=eta)
    return float(temperature) * (gain2 + noise)


def ula_stationary_variance(spectrum: np.ndarray, kT: float, step_size: float) -> np.ndarray:
    """Exact stationary variance per Fourier mode of unadjusted Langevin,
    x' = x + (ε/2)∇log p(x) + √ε·z, on a free field with A(k) = ``spectrum``:
    each mode is the AR(1) x̂' = (1 − εA/(2kT))·x̂ + √ε·ẑ, whose fixed point is

        v = kT / [A·(1 − εA/(4kT))]   (above the exact kT/A),

    [*spectrum.shape] in float64; inf for the modes with εA ≥ 4kT (unstable)."""
    a = np.asarray(spectrum, np.float64)
    gap = 1.0 - step_size * a / (4.0 * kT)
    with np.errstate(divide="ignore"):
        return np.where(gap > 0, kT / (a * np.where(gap > 0, gap, 1.0)), np.inf)


def ula_stationary_kl(power: np.ndarray, spectrum: np.ndarray, kT: float, step_size: float) -> float:
    """KL(ULA's stationary law ‖ the free field N(0, diag ``power``)) in nats
    (``ula_stationary_variance``; inf once any mode is unstable): the bias that
    no number of ULA steps removes."""
    v = ula_stationary_variance(spectrum, kT, step_size)
    return float("inf") if not np.all(np.isfinite(v)) else gaussian_kl(v, power)
