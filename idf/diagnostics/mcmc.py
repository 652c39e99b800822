"""MCMC statistics for chains stored as [C, S] (C chains, S draws) per observable.

Conventions (stated once):
* integrated autocorrelation time τ = 1 + 2 Σ_{t≥1} ρ_t, with ρ_t the
  chain-averaged autocorrelation (Stan/Geyer estimator: pairs summed until
  the first non-positive pair, made monotone), so ESS = C·S / τ;
* bulk ESS and split-R̂ as Vehtari et al. (2021): split every chain in half,
  rank-normalise the pooled draws (Blom), then the ESS above / R̂; R̂ is the
  max of the bulk and the folded (|x − median|) statistics;
* these agree with ``blackjax.diagnostics.ess_bulk`` and ``rhat``.
Every function works in float64 NumPy on concrete arrays (after sampling).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np
from scipy import special, stats


def _chains(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[1] < 4:
        raise ValueError(f"need draws shaped [chains, samples ≥ 4, ...], got {x.shape}")
    return x


def autocovariance(x: Any) -> np.ndarray:
    """Per-chain autocovariance of draws [C, S, ...] along the draws, by FFT:
    γ_t = (1/S) Σ_{s<S−t} (x_s − x̄)(x_{s+t} − x̄) for t = 0 … S−1 (the biased /S
    estimator, each chain about its own mean), shape [C, S, ...]. The one
    autocovariance of the library: ESS, τ_int and the autocorrelation use it."""
    x = np.asarray(x, np.float64)
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    size = 2 * n  # zero padding: a linear, not circular, correlation
    f = np.fft.rfft(centred, n=size, axis=1)
    return np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n] / n


def autocorrelation(x: Any, max_lag: int | None = None) -> np.ndarray:
    """Chain-averaged normalised autocorrelation ρ_t = γ̄_t/γ̄_0 of draws [C, S],
    t = 0 … min(max_lag, S − 1) (all lags when None), shape [lags]. NaN when
    the chains are constant (γ̄_0 = 0)."""
    acov = autocovariance(x).mean(axis=0)
    lags = acov.shape[0] if max_lag is None else min(max_lag, acov.shape[0] - 1) + 1
    return acov[:lags] / acov[0] if acov[0] > 0 else np.full(lags, np.nan)


def effective_sample_size(x: Any) -> np.ndarray:
    """Multi-chain ESS of draws [C, S, ...] -> [...] (no rank normalisation)."""
    x = _chains(x)
    c, n = x.shape[:2]
    acov = autocovariance(x)
    mean_acov = acov.mean(axis=0)  # [S, ...]
    var_within = mean_acov[0] * n / (n - 1.0)
    var_plus = mean_acov[0]
    if c > 1:
        var_plus = var_plus + x.mean(axis=1).var(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (var_within - mean_acov) / var_plus
    rho[0] = 1.0
    n_even = n - n % 2
    pairs = rho[0:n_even:2] + rho[1:n_even:2]  # Geyer's Γ_k = ρ_{2k} + ρ_{2k+1}
    flat = pairs.reshape(pairs.shape[0], -1)
    evens = rho[0:n_even:2].reshape(pairs.shape[0], -1)
    tau = np.empty(flat.shape[1])
    for j in range(flat.shape[1]):
        g = flat[:, j]
        bad = np.flatnonzero(~(g > 0))
        stop = bad[0] if bad.size else g.size
        g = np.minimum.accumulate(g[:stop])
        # τ = 1 + 2Σ_{t≥1}ρ_t = −1 + 2Σ_k Γ_k, plus the next even lag when still positive (as Stan)
        tail = evens[stop, j] if stop < evens.shape[0] and evens[stop, j] > 0 else 0.0
        tau[j] = -1.0 + 2.0 * g.sum() + min(tail, g[-1] if g.size else tail)
    tau = np.maximum(tau, 1.0 / math.log10(c * n)).reshape(pairs.shape[1:])
    ess = c * n / tau
    degenerate = ~(var_plus > 0)
    return np.where(degenerate, 0.0, ess)


def integrated_autocorrelation_time(x: Any) -> np.ndarray:
    """τ_int = 1 + 2Σρ_t of draws [C, S, ...] -> [...], such that ESS = C·S/τ."""
    x = _chains(x)
    return x.shape[0] * x.shape[1] / effective_sample_size(x)


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, half : 2 * half]], axis=0)


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    c, n = x.shape[:2]
    flat = x.reshape(c * n, -1)
    ranks = stats.rankdata(flat, axis=0, method="average")
    z = special.ndtri((ranks - 0.375) / (c * n + 0.25))
    return z.reshape(x.shape)


def ess_bulk(x: Any) -> np.ndarray:
    """Bulk ESS (rank-normalised split chains) of draws [C, S, ...] -> [...]."""
    return effective_sample_size(_rank_normalise(_split(_chains(x))))


def _psrf(x: np.ndarray) -> np.ndarray:
    n = x.shape[1]
    between = n * x.mean(axis=1).var(axis=0, ddof=1)
    within = x.var(axis=1, ddof=1).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def split_rhat(x: Any) -> np.ndarray:
    """Rank-normalised split-R̂ (max of bulk and folded) of draws [C, S, ...] -> [...].
    Near 1 (< 1.01) when the chains agree; needs C ≥ 1 (each chain is split)."""
    xs = _split(_chains(x))
    bulk = _psrf(_rank_normalise(xs))
    folded = np.abs(xs - np.median(xs.reshape(-1, *xs.shape[2:]), axis=0))
    return np.maximum(bulk, _psrf(_rank_normalise(folded)))


def mean_and_error(x: Any) -> tuple[float, float]:
    """(mean, Monte Carlo standard error = sd/√ESS) of a scalar observable [C, S]."""
    x = _chains(x)
    ess = float(effective_sample_size(x))
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(max(ess, 1.0)))


def acceptance_rate(accepted: Any) -> float:
    """Fraction of accepted steps over all chains and steps."""
    return float(np.mean(np.asarray(accepted, dtype=np.float64)))


def delta_h_stats(delta_h: Any) -> dict[str, float]:
    """HMC energy-error statistics from ΔH [C, T] (kT units; NaNs dropped).

    rms: √⟨ΔH²⟩ (∝ ε² at fixed trajectory length); mean: ⟨ΔH⟩ ≥ 0;
    exp_mean, exp_mean_error: ⟨e^{−ΔH}⟩ (= 1 exactly in equilibrium) and its
    naive standard error; predicted_acceptance: erfc(½√⟨ΔH⟩) (large-N
    Gaussian ΔH); acceptance: ⟨min(1, e^{−ΔH})⟩.
    """
    d = np.asarray(delta_h, dtype=np.float64).ravel()
    d = d[np.isfinite(d)]
    if d.size < 2:
        raise ValueError("need at least two finite ΔH values (HMC only)")
    w = np.exp(-d)
    mean = float(d.mean())
    return {
        "rms": float(np.sqrt(np.mean(d**2))),
        "mean": mean,
        "exp_mean": float(w.mean()),
        "exp_mean_error": float(w.std(ddof=1) / math.sqrt(d.size)),
        "predicted_acceptance": float(special.erfc(0.5 * math.sqrt(max(mean, 0.0)))),
        "acceptance": float(np.minimum(1.0, w).mean()),
        "n": int(d.size),
    }


@jax.jit
def _virial(energy: Any, flat: jax.Array) -> jax.Array:
    """x·∇φ(x) for each field of ``flat`` [n, *shape]; compiled once per energy
    type and shape (energies are pytrees: their parameters are traced)."""
    grads = jax.vmap(jax.grad(energy.energy))(flat)
    return jax.numpy.sum((flat * grads).reshape(flat.shape[0], -1), axis=1)


def equipartition(energy: Any, samples: Any) -> dict[str, float]:
    """Virial/equipartition check ⟨x·∇φ(x)⟩ = N·kT (any proper energy).

    samples: [C, S, *shape]. Returns value, error (sd/√ESS), expected N·kT
    and z = (value − expected)/error.
    """
    x = np.asarray(samples)
    shape = x.shape[2:]
    virial = np.asarray(_virial(energy, jax.numpy.asarray(x.reshape(-1, *shape))), np.float64)
    value, error = mean_and_error(virial.reshape(x.shape[:2]))
    expected = float(np.prod(shape)) * float(energy.kT)
    return {"value": value, "error": error, "expected": expected, "z": (value - expected) / error}


def efficiency(ess: float, seconds: float, grad_evals: float) -> dict[str, float]:
    """ESS per second (time a warm second call: compile excluded) and per gradient evaluation."""
    return {
        "ess": float(ess),
        "ess_per_second": float(ess) / seconds,
        "ess_per_grad": float(ess) / grad_evals if grad_evals > 0 else float("nan"),
    }
