"""Target-level references for the Sampler arena, computed once per target
(cached): the toys' exact marginals, a reference for the magnetisation m of
a lattice field (exact for Gaussian targets, a long HMC run for φ⁴, none for
a typed φ) and HMC's ε² sweep of the energy error.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app.arena_diagnostics import safe
from idf.app.arena_targets import Params, gaussian_power, initial_positions, make_target
from idf.app.timing import timed
from idf.energy import Phi4
from idf.samplers import HMC, run_chains

SWEEP_LEAPFROG = (5, 7, 10, 14, 20)  # ε = (L·ε)/L: fixed trajectory length, one compile per L


@st.cache_data(max_entries=16, show_spinner=False)
def toy_reference(target: str, params: Params, grid: int = 160) -> dict[str, Any]:
    """φ/kT on a grid over the toy's bounds (for contours) and the exact marginal
    densities of x₁ and x₂ by numerical integration of exp(−φ/kT) on that grid."""
    energy = make_target(target, params)
    (x0, x1), (y0, y1) = energy.bounds
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    pts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    phi = np.asarray(jax.vmap(energy.energy)(jnp.asarray(pts, jnp.result_type(float))), np.float64)
    phi = phi.reshape(grid, grid) / float(energy.kT)  # [y, x]
    dens = np.exp(-(phi - phi.min()))
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    p1 = dens.sum(axis=0) * dy
    p2 = dens.sum(axis=1) * dx
    return {
        "x": xs,
        "y": ys,
        "phi": phi,
        "p1": p1 / (p1.sum() * dx),
        "p2": p2 / (p2.sum() * dy),
        "bounds": energy.bounds,
    }


@st.cache_data(max_entries=16, show_spinner=False)
def m_reference(target: str, params: Params, size: int, seed: int) -> dict[str, Any]:
    """Reference for the magnetisation m = Σx/N.

    Gaussian targets: exact, m ~ N(0, kT/(N·A(0))) (m = x̂₀/√N for the unitary
    FFT). φ⁴: a long HMC run (16 chains × 2000 steps, ε = 0.08, L = 12),
    symmetrised with −m (exact Z₂ symmetry, so P(m > 0) = ½ even where HMC
    never crosses between the modes).
    """
    energy = make_target(target, params)
    shape = (size, size)
    power = gaussian_power(energy, shape)
    if power is not None:
        sd = math.sqrt(float(power[0, 0]) / (size * size))
        grid = np.linspace(-4.5 * sd, 4.5 * sd, 201)
        density = np.exp(-0.5 * (grid / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        return {"kind": "exact", "grid": grid, "density": density, "label": f"exact N(0, kT/(N·A(0))), sd = {sd:.3g}"}
    if not isinstance(energy, Phi4):
        return {"kind": "none"}
    key_init, key_run = jax.random.split(jax.random.key(seed + 7919))
    x_init = 0.1 * jax.random.normal(key_init, (16, *shape), jnp.result_type(float))
    res = run_chains(
        HMC(step_size=0.08, num_leapfrog=12), energy, key_run, x_init, 2000, burn_in=300, thin=2, warn=False
    )
    m = diagnostics.magnetization(np.asarray(res.positions)).ravel()
    m = np.concatenate([m, -m])
    return {"kind": "samples", "m": m, "label": f"long HMC (16 × 2000 steps) + Z₂ mirror, n = {m.size}"}


@st.cache_data(max_entries=16, show_spinner=False)
def hmc_sweep(
    target: str, params: Params, size: int, trajectory_length: float, chains: int, seed: int
) -> dict[str, Any]:
    """rms ΔH against ε at fixed trajectory length L·ε (HMC with L in
    ``SWEEP_LEAPFROG`` and ε = length/L, 200 steps after 100 burn-in each):
    leapfrog's global error makes rms ΔH ∝ ε²."""
    energy = make_target(target, params)
    x_init, key = initial_positions(target, size, chains, seed)
    rms, acc, eps_list = [], [], []
    with timed("ε² sweep") as timing:
        for leap in SWEEP_LEAPFROG:
            eps = trajectory_length / leap
            eps_list.append(eps)
            res = run_chains(HMC(step_size=eps, num_leapfrog=leap), energy, key, x_init, 200, burn_in=100, warn=False)
            stats = safe(diagnostics.delta_h_stats, np.asarray(res.delta_H, np.float64))
            rms.append(stats["rms"] if isinstance(stats, dict) else float("nan"))
            acc.append(float(np.mean(np.asarray(res.accepted))))
    eps = np.asarray(eps_list)
    rms = np.asarray(rms)
    ok = np.isfinite(rms) & (rms > 0)
    slope = float(np.polyfit(np.log(eps[ok]), np.log(rms[ok]), 1)[0]) if ok.sum() >= 2 else float("nan")
    return {"eps": eps, "rms": rms, "acceptance": np.asarray(acc), "slope": slope, "timing": timing}
