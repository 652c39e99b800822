"""MCMC statistics for chains stored as [C, S] (C chains, S draws) per observable.

Conventions (stated once):
* integrated autocorrelation time τ = 1 + 2 Σ_{t≥1} ρ_t, with ρ_t the
  chain-averaged autocorrelation (Stan/Geyer estimator: pairs summed until
  the first non-positive pair, made monotone), so ESS = C·S / τ;
* bulk ESS and split-R̂ as Vehtari et al. (2021): split every chain in half,
  rank-normalise the pooled draws (Blom), then the ESS above / R̂; R̂ is the
  max of the bulk and the folded (|x − median|) statistics;
* these agree with ``arviz`` and ``blackjax.diagnostics`` (the estimators
  themselves live in ``idf.diagnostics.convergence``, jittable; these wrappers
  take any array and return float64 NumPy).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np
from scipy import special

from idf.diagnostics import convergence


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
    """Multi-chain ESS of draws [C, S, ...] -> [...] (no split, no rank normalisation;
    0 for a constant observable). ``idf.diagnostics.convergence.ess`` in float64."""
    return np.asarray(convergence.ess(_chains(x)))


def integrated_autocorrelation_time(x: Any) -> np.ndarray:
    """τ_int = 1 + 2Σρ_t of draws [C, S, ...] -> [...], such that ESS = C·S/τ (∞ when constant)."""
    return np.asarray(convergence.tau_int(_chains(x)))


def ess_bulk(x: Any) -> np.ndarray:
    """Bulk ESS (rank-normalised split chains) of draws [C, S, ...] -> [...]."""
    return np.asarray(convergence.ess_bulk(_chains(x)))


def split_rhat(x: Any) -> np.ndarray:
    """Rank-normalised split-R̂ (max of bulk and folded) of draws [C, S, ...] -> [...].
    Near 1 (< 1.01) when the chains agree; needs C ≥ 1 (each chain is split)."""
    return np.asarray(convergence.rhat(_chains(x)))


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


_CHUNK = 1024  # fields per _virial call


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
    flat = x.reshape(-1, *shape)
    # fixed-size chunks (device_put, not asarray): a new number of draws compiles nothing
    pad = np.concatenate([flat, np.repeat(flat[:1], -len(flat) % _CHUNK, axis=0)])
    chunks = [np.asarray(_virial(energy, jax.device_put(c)), np.float64) for c in np.split(pad, len(pad) // _CHUNK)]
    virial = np.concatenate(chunks)[: len(flat)]
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
