"""Target-level references for the Sampler arena, computed once per target
(cached) with library calls: the toys' contour grid and exact marginals
(``idf.diagnostics.energy_grid``, ``grid_marginals``), a reference for the magnetisation m of
a lattice field (exact for Gaussian targets, a long HMC run for φ⁴, none for
a typed φ) and HMC's ε² sweep of the energy error.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app.arena_diagnostics import safe
from idf.app.arena_targets import Params, gaussian_power, initial_positions, make_target
from idf.app.timing import Timing, timed
from idf.energy import Phi4
from idf.samplers import HMC, run_chains
from idf.viz.arena import MReference

SWEEP_LEAPFROG = (5, 7, 10, 14, 20)  # ε = (L·ε)/L: fixed trajectory length, one compile per L


class ToyReference(NamedTuple):
    """A toy's contour grid of φ/kT and its exact marginals (``idf.diagnostics``)."""

    grid: diagnostics.EnergyGrid
    marginals: diagnostics.ToyMarginals


class HMCSweep(NamedTuple):
    """HMC's ε² sweep: eps [K] (ε = length/L), rms [K] (rms ΔH, kT), acceptance [K],
    slope (fitted log rms ΔH against log ε; theory 2), timing."""

    eps: np.ndarray
    rms: np.ndarray
    acceptance: np.ndarray
    slope: float
    timing: Timing


@st.cache_data(max_entries=16, show_spinner=False)
def toy_reference(target: str, params: Params, grid: int = 160) -> ToyReference:
    """φ/kT on a grid over the toy's bounds (for contours) and the exact marginal
    densities of x₁ and x₂ by quadrature of exp(−φ/kT) on that grid."""
    g = diagnostics.energy_grid(make_target(target, params), grid)
    return ToyReference(g, diagnostics.grid_marginals(g))


@st.cache_data(max_entries=16, show_spinner=False)
def m_reference(target: str, params: Params, size: int, seed: int) -> MReference:
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
        return MReference("exact", f"exact N(0, kT/(N·A(0))), sd = {sd:.3g}", grid=grid, density=density)
    if not isinstance(energy, Phi4):
        return MReference("none")
    key_init, key_run = jax.random.split(jax.random.key(seed + 7919))
    x_init = 0.1 * jax.random.normal(key_init, (16, *shape), jnp.result_type(float))
    res = run_chains(
        HMC(step_size=0.08, num_leapfrog=12), energy, key_run, x_init, 2000, burn_in=300, thin=2, warn=False
    )
    m = diagnostics.magnetization(np.asarray(res.positions)).ravel()
    m = np.concatenate([m, -m])
    return MReference("samples", f"long HMC (16 × 2000 steps) + Z₂ mirror, n = {m.size}", samples=m)


@st.cache_data(max_entries=16, show_spinner=False)
def hmc_sweep(
    target: str, params: Params, size: int, trajectory_length: float, chains: int, seed: int
) -> HMCSweep:
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
    return HMCSweep(eps, rms, np.asarray(acc), slope, timing)
