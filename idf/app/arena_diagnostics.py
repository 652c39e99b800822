"""Diagnostics of the Sampler arena's chains, computed with NumPy after
sampling by library calls (``idf.diagnostics``): the table row of one sampler
(ESS, R̂, τ_int, ΔH, equipartition, Fourier KL and its bias where the target
is Gaussian, φ⁴'s Z₂ checks) and the curves behind the charts
(autocorrelations, KL against the number of draws). Degenerate chains
(frozen, constant) give NaN, never an exception.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from idf import diagnostics
from idf.app.arena_config import IID, Curves, Diagnostics, KLCurve
from idf.energy import TOYS
from idf.samplers import ChainResult, dropped_chains, select_chains


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
    """Scalar observables [C, S] the diagnostics are computed on, by name: φ and
    m for lattice fields, the two coordinates for 2-D toys."""
    if target in TOYS:
        return {"x₁": positions[..., 0], "x₂": positions[..., 1]}
    return {"φ": energy_trace, "m": diagnostics.magnetization(positions)}


def kl_curve(positions: np.ndarray, power: np.ndarray, points: int = 8) -> KLCurve:
    """Fourier KL of the first s draws of every chain, for s on a log grid: n = C·s."""
    c, s = positions.shape[:2]
    lengths = np.unique(np.round(np.geomspace(min(8, s), s, points)).astype(int))  # ends at s: every draw
    # every draw's FFT once (``prefix_power``), not once per prefix: 8 prefixes cost 3.6× the draws
    bad = ~np.isfinite(positions).reshape(c, s, -1).all(axis=(0, 2))
    first_bad = int(np.argmax(bad)) if bad.any() else s  # a prefix longer than this holds a non-finite draw
    with np.errstate(all="ignore"):
        powers = diagnostics.prefix_power(positions, lengths)
    kls = [safe(diagnostics.gaussian_kl, p, power) if k <= first_bad else float("inf")
           for k, p in zip(lengths, powers, strict=True)]
    bias = np.array([diagnostics.fourier_kl_bias(power.shape, int(c * k)) for k in lengths])
    return KLCurve(lengths, c * lengths, np.asarray(kls, np.float64), bias)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def summarize(
    target: str,
    energy: Any,
    sampler: str,
    result: ChainResult,
    *,
    power: np.ndarray | None,
    spectrum: np.ndarray | None,
    seconds_warm: float,
    grad_evals: float,
    exact_kl: float,
) -> tuple[Diagnostics, Curves, dict[str, float] | None]:
    """(row, curves, equipartition) of one sampler's ``result`` (NumPy arrays).

    Frozen and stuck chains (``idf.samplers.dropped_chains``) are left out of every
    pooled number when some healthy chain remains; ``dropped_chains`` counts them.
    ``power`` is the exact per-mode variance of a Gaussian target (else None,
    and no KL), ``spectrum`` its A(k); ``exact_kl`` the diffusion loop's n → ∞
    KL (used for the diffusion samplers only).
    """
    frozen = int(np.sum(result.nonfinite))
    drop = dropped_chains(result)
    if drop.any() and not drop.all():  # pool only the healthy chains (all bad: the numbers are NaN anyway)
        result = select_chains(result, ~drop)
    positions = np.asarray(result.positions)
    obs = observables(target, positions, np.asarray(result.energy, np.float64))
    ess = {
        k: float(safe(lambda v: float(diagnostics.ess_bulk(v)), v)) if finite(v) else float("nan")
        for k, v in obs.items()
    }
    slowest = min(ess, key=lambda k: ess[k] if math.isfinite(ess[k]) else -1.0)
    dh = np.asarray(result.delta_H, np.float64)
    stats = safe(diagnostics.delta_h_stats, dh) if np.any(np.isfinite(dh)) else None
    stats = stats if isinstance(stats, dict) else None
    thin = max(1, positions.shape[1] // 250)  # ≤ 250 draws per chain for the virial check
    equi = safe(diagnostics.equipartition, energy, positions[:, ::thin]) if finite(positions) else None
    equi = equi if isinstance(equi, dict) and math.isfinite(equi["value"]) else None
    z2 = target == "phi4" and finite(positions)  # Z₂: P(m > 0) = ½ exactly; local samplers rarely flip sign
    kl = n = bias = exact = curve = None
    if power is not None:
        curve = kl_curve(positions, power)  # its last point is every draw's
        kl, n, bias = float(curve.kl[-1]), int(curve.n[-1]), float(curve.bias[-1])
        if sampler == "langevin":
            exact = diagnostics.ula_stationary_kl(power, spectrum, float(energy.kT), float(result.step_size))
        elif sampler in IID:
            exact = exact_kl
        else:  # Metropolis-adjusted: the target is the exact stationary law
            exact = 0.0
    iid = sampler in IID
    row = Diagnostics(
        acceptance=float("nan") if iid else float(np.mean(result.acceptance_prob)),
        acceptance_rate=float("nan") if iid else float(np.mean(result.accepted)),
        step_size=float(result.step_size),
        ess=tuple(ess.items()),
        ess_per_second=_ratio(ess[slowest], seconds_warm),
        ess_per_grad=_ratio(ess[slowest], grad_evals),
        rhat=float(max(safe(lambda v: float(diagnostics.split_rhat(v)), v) for v in obs.values())),
        tau_int=float(
            max(safe(lambda v: float(diagnostics.integrated_autocorrelation_time(v)), v) for v in obs.values())
        ),
        rms_dh=None if stats is None else stats["rms"],
        exp_dh=None if stats is None else stats["exp_mean"],
        exp_dh_error=None if stats is None else stats["exp_mean_error"],
        virial_ratio=None if equi is None else equi["value"] / equi["expected"],
        equipartition_z=None if equi is None else equi["z"],
        fourier_kl=kl,
        n_draws=n,
        kl_bias=bias,
        exact_kl=exact,
        p_m_positive=float(np.mean(obs["m"] > 0)) if z2 else None,
        sign_flips=float(np.mean(diagnostics.sign_flips(obs["m"]))) if z2 else None,
        abs_m=float(np.mean(np.abs(obs["m"]))) if z2 else None,
        frozen_chains=frozen,
        dropped_chains=int(drop.sum()),
        divergent_transitions=int(np.sum(result.divergent)),
        warm_seconds=seconds_warm,
    )
    curves = Curves(
        slowest=slowest,
        acf={k: diagnostics.autocorrelation(v, 60) if finite(v) else None for k, v in obs.items()},
        kl=curve,
    )
    return row, curves, equi
