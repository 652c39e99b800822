"""Diagnostics of the Sampler arena's chains, computed with NumPy after
sampling: the table row of one sampler (ESS, R̂, τ_int, ΔH, equipartition,
Fourier KL where the target is Gaussian, φ⁴'s Z₂ checks) and the curves
behind the charts (autocorrelations, KL against the number of draws).
Degenerate chains (diverged, constant) give NaN, never an exception.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from idf import diagnostics
from idf.energy import TOYS


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Chain-averaged normalised autocorrelation ρ_t, t = 0 … max_lag, of draws [C, S]."""
    x = np.asarray(x, np.float64)
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(centred, n=2 * n, axis=1)
    acov = np.fft.irfft(f * np.conj(f), n=2 * n, axis=1)[:, :n].mean(axis=0) / n
    lags = min(max_lag, n - 1) + 1
    return acov[:lags] / acov[0] if acov[0] > 0 else np.full(lags, np.nan)


def finite(x: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(x)))


def safe(fn, *args, **kw) -> Any:
    """A diagnostic that returns NaN instead of raising on degenerate chains."""
    try:
        with np.errstate(all="ignore"):
            return fn(*args, **kw)
    except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
        return float("nan")


def observables(target: str, positions: np.ndarray, energy_trace: np.ndarray) -> dict[str, np.ndarray]:
    """Scalar observables [C, S] the diagnostics are computed on: φ and m for
    lattice fields, the two coordinates for 2-D toys."""
    if target in TOYS:
        return {"x₁": positions[..., 0], "x₂": positions[..., 1]}
    return {"φ": energy_trace, "m": diagnostics.magnetization(positions)}


def ula_stationary_kl(power: np.ndarray, spectrum: np.ndarray, kT: float, step: float) -> float:
    """Exact KL(stationary law of ULA ‖ target) for a free field: each mode's
    stationary variance is kT/[A(1 − εA/(4kT))] (inf once εA ≥ 4kT)."""
    gap = 1.0 - step * spectrum / (4.0 * kT)
    if np.any(gap <= 0):
        return float("inf")
    return diagnostics.gaussian_kl(kT / (spectrum * gap), power)


def kl_curve(positions: np.ndarray, power: np.ndarray, points: int = 8) -> dict[str, np.ndarray]:
    """Fourier KL of the first s draws of every chain, for s on a log grid: n = C·s."""
    c, s = positions.shape[:2]
    lengths = np.unique(np.round(np.geomspace(min(8, s), s, points)).astype(int))
    kls = []
    for k in lengths:
        draws = positions[:, :k].reshape(-1, *positions.shape[2:])
        kls.append(safe(diagnostics.fourier_kl, draws, power) if finite(draws) else float("inf"))
    return {
        "steps": lengths,
        "n": c * lengths,
        "kl": np.asarray(kls, np.float64),
        "bias": power.size / (2.0 * c * lengths),
    }


def summary(
    target: str, energy: Any, run: dict[str, Any], power: np.ndarray | None, spectrum: np.ndarray | None
) -> dict[str, Any]:
    """One sampler's ``row`` of the diagnostics table, the ``curves`` for the
    charts and ``equipartition`` (``diagnostics.equipartition``'s value, error
    and expected N·kT of ⟨x·∇φ⟩, or None when it cannot be computed).

    ``run`` holds positions [C, S, *shape], energy and delta_H [C, S], sampler,
    step_size, seconds_warm, grad_evals (and exact_kl for diffusion); ``power``
    is the exact per-mode variance of a Gaussian target (else None, and no KL),
    ``spectrum`` its A(k).
    """
    positions = run["positions"]
    obs = observables(target, positions, run["energy"])
    row: dict[str, Any] = {}
    ess = {}
    for name, values in obs.items():
        ess[name] = float(safe(lambda v: float(diagnostics.ess_bulk(v)), values)) if finite(values) else float("nan")
        row[f"ESS bulk ({name})"] = ess[name]
    slowest = min(ess, key=lambda k: ess[k] if math.isfinite(ess[k]) else -1.0)
    ess_min = ess[slowest]
    row["ESS/s"] = ess_min / run["seconds_warm"] if run["seconds_warm"] > 0 else float("nan")
    row["ESS/grad"] = ess_min / run["grad_evals"] if run["grad_evals"] > 0 else float("nan")
    row["R̂ (max)"] = float(max(safe(lambda v: float(diagnostics.split_rhat(v)), v) for v in obs.values()))
    row["τ_int (max, steps)"] = float(
        max(safe(lambda v: float(diagnostics.integrated_autocorrelation_time(v)), v) for v in obs.values())
    )
    dh = run["delta_H"]
    if np.any(np.isfinite(dh)):
        stats = safe(diagnostics.delta_h_stats, dh)
        if isinstance(stats, dict):
            row["rms ΔH (kT)"] = stats["rms"]
            row["⟨e^{−ΔH}⟩"] = stats["exp_mean"]
            row["± ⟨e^{−ΔH}⟩"] = stats["exp_mean_error"]
    thin = max(1, positions.shape[1] // 250)  # ≤ 250 draws per chain for the virial check
    equi = safe(diagnostics.equipartition, energy, positions[:, ::thin]) if finite(positions) else None
    equi = equi if isinstance(equi, dict) and math.isfinite(equi["value"]) else None
    if equi is not None:
        row["⟨x·∇φ⟩/(N·kT)"] = equi["value"] / equi["expected"]
        row["equipartition z"] = equi["z"]
    if target == "phi4" and finite(positions):  # Z₂: P(m > 0) = ½ exactly; local samplers rarely flip sign
        m = obs["m"]
        row["P(m > 0) (exact ½)"] = float(np.mean(m > 0))
        row["sign flips of m per chain"] = float(np.mean(diagnostics.sign_flips(m)))
    curves: dict[str, Any] = {
        "slowest": slowest,
        "acf": {k: autocorrelation(v, 60) if finite(v) else None for k, v in obs.items()},
    }
    if power is not None:
        draws = positions.reshape(-1, *positions.shape[2:])
        row["Fourier KL (nats)"] = safe(diagnostics.fourier_kl, draws, power) if finite(draws) else float("inf")
        row["n (draws)"] = int(draws.shape[0])
        row["KL bias ≈ N/(2n)"] = power.size / (2.0 * draws.shape[0])
        curves["kl"] = kl_curve(positions, power)
        if run["sampler"] == "langevin":
            row["exact KL, n → ∞ (nats)"] = ula_stationary_kl(power, spectrum, float(energy.kT), run["step_size"])
        elif run["sampler"] in ("diffusion", "unet"):
            row["exact KL, n → ∞ (nats)"] = run["exact_kl"]
        else:  # Metropolis-adjusted: the target is the exact stationary law
            row["exact KL, n → ∞ (nats)"] = 0.0
    return {"row": row, "curves": curves, "equipartition": equi}
