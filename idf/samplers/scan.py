"""φ⁴ references and the phase-transition scan, with HMC chains (``run_chains``).

``hmc_reference``: many chains; thermalisation checked by discarding until ⟨|M|⟩
is stable over windows (``thermalised_burn_in``); errors from τ_int
(``idf.diagnostics``). ``phase_scan``: ⟨|M|⟩, χ₂, U₄ and τ_int(|M|) with errors
per (L, κ) in the hopping convention; ``binder_crossing`` locates where U₄(κ)
of two sizes cross; ``dynamic_exponent`` fits τ_int ∝ L^z there.

Error of τ_int: the spread of τ_int over ``groups`` disjoint groups of chains,
divided by √groups (an honest, if coarse, batch estimate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from idf.diagnostics.hopping import hopping_observables
from idf.diagnostics.mcmc import integrated_autocorrelation_time, mean_and_error
from idf.diagnostics.observables import magnetization, phi4_observables
from idf.energy.base import Energy
from idf.energy.hopping import HoppingPhi4
from idf.samplers.hmc import HMC
from idf.samplers.run import run_chains

__all__ = [
    "PhaseScan",
    "Reference",
    "binder_crossing",
    "chain_outlier",
    "dynamic_exponent",
    "hmc_reference",
    "ordered_start",
    "phase_scan",
    "tau_resolved",
    "tau_with_error",
    "thermalised_burn_in",
]


def chain_outlier(series: Any, windows: int = 4, z: float = 10.0) -> bool:
    """Whether some chain of a series [C, T] sits apart from the others: its mean
    over one of ``windows`` equal windows is more than ``z`` standard deviations
    from the mean of the other C − 1 chains' over that window (SD of theirs, times
    √(1 + 1/(C − 1))). This catches one chain stuck in a metastable state that the
    pooled window means hide, e.g. a domain-wall stripe across the torus. The
    chains are independent, so for Gaussian window means the statistic is
    Student-t with C − 2 degrees of freedom; ``z`` = 10 leaves room for the heavy
    tails of |M| over short windows. Never true for fewer than 4 chains."""
    a = np.asarray(series, np.float64)
    c, t = a.shape
    w = t // windows
    if c < 4 or w < 1:
        return False
    m = a[:, : w * windows].reshape(c, windows, w).mean(-1)
    others = (m.sum(0) - m) / (c - 1)
    var = ((m**2).sum(0) - m**2 - (c - 1) * others**2) / (c - 2)
    scale = np.sqrt(np.maximum(var, 0.0) * (1 + 1 / (c - 1)))
    return bool(np.any(np.abs(m - others) > z * scale + 1e-12))


def thermalised_burn_in(abs_m: Any, windows: int = 4, z: float = 3.0, z_chain: float = 10.0) -> tuple[int, bool]:
    """(steps to discard, stable?) for |M| series [C, T]: the smallest discard in
    (0, T/8, T/4, 3T/8, T/2) after which the pooled ⟨|M|⟩ of ``windows`` equal
    windows agree pairwise within ``z`` combined standard errors and no chain is
    an outlier in any window (``chain_outlier`` with ``z_chain``). When none does,
    (T/2, False)."""
    a = np.asarray(abs_m, np.float64)
    t = a.shape[1]
    for d in (0, t // 8, t // 4, 3 * t // 8, t // 2):
        rest = a[:, d:]
        w = rest.shape[1] // windows
        if w < 4:
            break
        stats = [mean_and_error(rest[:, i * w : (i + 1) * w]) for i in range(windows)]
        pooled = all(
            abs(mi - mj) <= z * np.hypot(ei, ej) + 1e-12
            for i, (mi, ei) in enumerate(stats)
            for mj, ej in stats[i + 1 :]
        )
        if pooled and not chain_outlier(rest, windows, z_chain):
            return d, True
    return t // 2, False


def ordered_start(key: jax.Array, chains: int, size: int, level: float = 1.0) -> jax.Array:
    """[chains, size, size] ordered ("cold") starting fields: ±``level`` everywhere,
    the sign alternating from chain to chain, plus 0.1·N(0, 1) noise. Deep in the
    broken phase a random start coarsens into domains, and a straight wall across
    the torus is metastable: the longer the lattice, the longer it lives. An
    ordered start has no walls; in the symmetric phase it relaxes in a few τ."""
    sign = np.where(np.arange(chains) % 2 == 0, level, -level)[:, None, None]
    return sign + 0.1 * jax.random.normal(key, (chains, size, size))


def tau_with_error(series: Any, groups: int = 4) -> tuple[float, float]:
    """(τ_int, its error) of a scalar series [C, T]: τ of all chains, error from
    the spread over ``groups`` disjoint groups of chains (C ≥ 2·groups; else NaN)."""
    x = np.asarray(series, np.float64)
    tau = float(integrated_autocorrelation_time(x))
    c = x.shape[0]
    if c < 2 * groups:
        return tau, float("nan")
    parts = [float(integrated_autocorrelation_time(p)) for p in np.array_split(x, groups, axis=0)]
    return tau, float(np.std(parts, ddof=1) / np.sqrt(groups))


class Reference(NamedTuple):
    """An HMC reference: observables (user's convention, ``*_error`` = 1 SE from
    τ_int), the burn-in discarded after the run's own burn-in, whether ⟨|M|⟩ was
    stable over windows, the acceptance, and the adapted step size."""

    observables: dict[str, float]
    burn_in: int
    thermalised: bool
    acceptance: float
    step_size: float


def _observables(positions: Any, energy: Energy) -> dict[str, float]:
    if isinstance(energy, HoppingPhi4):
        return hopping_observables(positions)
    obs = phi4_observables(positions)
    out = {k: float(obs[k]) for k in ("abs_m", "abs_m_error", "chi2", "chi2_error", "binder", "binder_error")}
    out["tau_abs_m"] = float(integrated_autocorrelation_time(np.abs(magnetization(positions))))
    return out


def hmc_reference(
    energy: Energy,
    size: int,
    key: jax.Array,
    *,
    chains: int = 64,
    steps: int = 2000,
    burn_in: int = 500,
    step_size: float = 0.1,
    leapfrog: int = 10,
    windows: int = 4,
) -> Reference:
    """HMC reference for ``energy`` on size×size: ``chains`` chains from small random
    fields, ``burn_in`` steps adapting ε (dual averaging, target 0.8), then ``steps``
    kept; a further discard until ⟨|M|⟩ is stable over ``windows`` windows.
    Observables in the energy's own convention (hopping for ``HoppingPhi4``)."""
    k_init, k_run = jax.random.split(key)
    x0 = 0.5 * jax.random.normal(k_init, (chains, size, size))
    run = run_chains(HMC(step_size, leapfrog), energy, k_run, x0, steps, burn_in=burn_in, adapt=True)
    pos = np.asarray(run.positions)
    drop, ok = thermalised_burn_in(np.abs(magnetization(pos)), windows)
    return Reference(
        _observables(pos[:, drop:], energy), drop, ok, float(np.mean(np.asarray(run.accepted))),
        float(run.step_size),
    )


class PhaseScan(NamedTuple):
    """Hopping-convention scan at fixed λ: every array is [len(sizes), len(kappas)].

    sizes [nL], kappas [nκ], coupling λ; abs_M, chi2, binder, tau (τ_int of |M| in
    HMC steps), each with ``*_error``; acceptance; thermalised (bool); kept (steps
    per chain kept after the thermalisation discard; None when unknown)."""

    sizes: np.ndarray
    kappas: np.ndarray
    coupling: float
    abs_M: np.ndarray
    abs_M_error: np.ndarray
    chi2: np.ndarray
    chi2_error: np.ndarray
    binder: np.ndarray
    binder_error: np.ndarray
    tau: np.ndarray
    tau_error: np.ndarray
    acceptance: np.ndarray
    thermalised: np.ndarray
    kept: np.ndarray | None = None


RESOLVED_RUN = 50


def tau_resolved(tau: Any, kept: Any) -> np.ndarray:
    """Whether each τ_int was measured on a run at least ``RESOLVED_RUN``·τ long
    (Sokal's rule of thumb for the windowed estimator). A shorter run
    underestimates τ, so a z fitted through such points is a lower bound."""
    return np.asarray(kept, np.float64) >= RESOLVED_RUN * np.asarray(tau, np.float64)


def phase_scan(
    kappas: Sequence[float],
    key: jax.Array,
    *,
    coupling: float = 0.022,
    sizes: Sequence[int] = (8, 16, 32),
    chains: int = 16,
    steps: int = 1000,
    burn_in: int = 300,
    step_size: float = 0.2,
    leapfrog: int = 10,
    start: str = "ordered",
    on_result: Callable[[int, float, dict[str, float]], None] | None = None,
) -> PhaseScan:
    """Scan κ at fixed λ for each L with HMC, each point thermalisation-checked
    per chain (``thermalised_burn_in``). Chains start ordered (``ordered_start``,
    ±1) or, with ``start="random"``, from 0.5·N(0, 1) fields as ``hmc_reference``
    does. ``on_result(L, κ, observables)`` is called as each point finishes (for
    streaming)."""
    if start not in ("ordered", "random"):
        raise ValueError(f"start must be 'ordered' or 'random', not {start!r}")
    names = ("abs_M", "chi2", "binder")
    shape = (len(sizes), len(kappas))
    out: dict[str, np.ndarray] = {n: np.full(shape, np.nan) for n in names + tuple(f"{n}_error" for n in names)}
    tau, tau_err, acc = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    therm, kept = np.zeros(shape, bool), np.zeros(shape, np.int64)
    keys = jax.random.split(key, shape[0] * shape[1])
    for i, size in enumerate(sizes):
        for j, kappa in enumerate(kappas):
            energy = HoppingPhi4(kappa=float(kappa), coupling=float(coupling))
            k_init, k_run = jax.random.split(keys[i * shape[1] + j])
            if start == "ordered":
                x0 = ordered_start(k_init, chains, size)
            else:
                x0 = 0.5 * jax.random.normal(k_init, (chains, size, size))
            run = run_chains(HMC(step_size, leapfrog), energy, k_run, x0, steps, burn_in=burn_in, adapt=True)
            pos = np.asarray(run.positions)
            abs_m = np.abs(magnetization(pos))
            drop, ok = thermalised_burn_in(abs_m)
            kept[i, j] = steps - drop
            obs = hopping_observables(pos[:, drop:])
            for n in names:
                out[n][i, j], out[f"{n}_error"][i, j] = obs[n], obs[f"{n}_error"]
            tau[i, j], tau_err[i, j] = tau_with_error(abs_m[:, drop:])
            acc[i, j], therm[i, j] = float(np.mean(np.asarray(run.accepted))), ok
            if on_result is not None:
                on_result(int(size), float(kappa), dict(obs, tau=tau[i, j], tau_error=tau_err[i, j]))
    return PhaseScan(
        np.asarray(sizes), np.asarray(kappas, np.float64), float(coupling), **out, tau=tau, tau_error=tau_err,
        acceptance=acc, thermalised=therm, kept=kept,
    )


def binder_crossing(scan: PhaseScan, small: int = 0, large: int = 1) -> tuple[float, float]:
    """(κ_c, error) where U₄(κ) of sizes ``small`` and ``large`` (row indices) cross:
    linear interpolation of the difference between the bracketing κ; the error
    propagates the U₄ errors at those two κ through the interpolation. NaN when
    the difference never changes sign."""
    d = scan.binder[large] - scan.binder[small]
    e = np.hypot(scan.binder_error[large], scan.binder_error[small])
    k = scan.kappas
    for j in range(len(k) - 1):
        if np.sign(d[j]) != np.sign(d[j + 1]) and np.isfinite(d[j] + d[j + 1]):
            slope = (d[j + 1] - d[j]) / (k[j + 1] - k[j])
            kc = k[j] - d[j] / slope
            u = (kc - k[j]) / (k[j + 1] - k[j])
            err = np.hypot((1 - u) * e[j], u * e[j + 1]) / abs(slope)
            return float(kc), float(err)
    return float("nan"), float("nan")


def dynamic_exponent(scan: PhaseScan, kappa: float) -> tuple[float, float]:
    """(z, error) from a weighted least-squares fit of log τ_int = z·log L + c at the
    scanned κ nearest ``kappa`` (weights 1/σ² with σ = τ_error/τ; unweighted when
    errors are missing). Needs two sizes or more."""
    j = int(np.argmin(np.abs(scan.kappas - kappa)))
    x = np.log(scan.sizes.astype(np.float64))
    y = np.log(scan.tau[:, j])
    sig = scan.tau_error[:, j] / scan.tau[:, j]
    if not np.all(np.isfinite(sig) & (sig > 0)):
        sig = np.ones_like(y)
    w = 1.0 / sig**2
    a = np.stack([x, np.ones_like(x)], axis=1)
    cov = np.linalg.inv(a.T @ (w[:, None] * a))
    z = (cov @ a.T @ (w * y))[0]
    return float(z), float(np.sqrt(cov[0, 0]))
