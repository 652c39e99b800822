"""The Forward page's compute: one forward chain x₀ → x_T and the exact curves beside it."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app import data
from idf.app._common import MAX_FRAMES, mean_sd, ran
from idf.app.phi4 import phi4_configurations
from idf.app.timing import timed
from idf.diffusion import (
    SCHEDULES,
    forward_trajectory,
    make_schedule,
)
from idf.energy import (
    GaussianFreeField,
    Phi4,
)
from idf.viz import subsample_frames


def forward_data_energy(data_name: str, mass2: float, kT: float, coupling: float):
    """The energy behind the data: a GFF for ``gff`` and ``image`` (metric
    only), φ⁴ for ``phi4``."""
    if data_name == "phi4":
        return Phi4(mass2=mass2, coupling=coupling, kT=kT)
    return GaussianFreeField(mass2=mass2, kT=kT)


@st.cache_data(max_entries=32, show_spinner=False)
def schedule_curves(num_steps: int, beta_start: float, beta_end: float) -> dict[str, dict[str, np.ndarray]]:
    """ᾱ_t and SNR(t) for every schedule (linear with the given β range)."""
    out = {}
    for name in SCHEDULES:
        s = make_schedule(name, num_steps, beta_start, beta_end)
        out[name] = {"alpha_bar": s.alpha_bars, "snr": s.snr(), "beta": s.betas}
    return out


@st.cache_data(max_entries=32, show_spinner=False)
def forward_run(data_name: str, size: int, batch: int, mass2: float, kT: float, coupling: float,
                schedule: str, num_steps: int, beta_start: float, beta_end: float,
                guided: bool, strength: float, seed: int, field: np.ndarray | None = None) -> dict[str, Any]:
    """One forward chain x₀ → x_T on a batch, with per-step φ and S, and the
    exact H(t), KL(q_t‖N(0, I)) and ⟨φ(x_t)⟩ when the data are a GFF.

    ``field`` [size, size]: a given x₀ (an upload; ``data_name`` "upload"), the
    same in every batch member like the shipped image, with the GFF as metric."""
    ran()
    shape = (size, size)
    energy = forward_data_energy(data_name, mass2, kT, coupling)
    sched = make_schedule(schedule, num_steps, beta_start, beta_end)
    key_data, key_noise = jax.random.split(jax.random.key(seed))
    dtype = jnp.result_type(float)
    out: dict[str, Any] = {}
    with timed("forward chain") as timing:
        if data_name == "gff":
            x0 = energy.sample_exact(key_data, shape, batch)
        elif data_name in ("image", "upload"):
            given = data.image_field(size) if field is None else field
            x0 = jnp.broadcast_to(jnp.asarray(given, dtype), (batch, *shape))
        else:
            x0 = jnp.asarray(phi4_configurations(size, mass2, coupling, kT, batch, seed).fields, dtype)
        res = forward_trajectory(key_noise, x0, sched, guidance_energy=energy if guided else None,
                                 guidance_strength=jnp.asarray(strength, dtype), metric_energy=energy)
        idx = subsample_frames(num_steps + 1, MAX_FRAMES)
        out["frames"] = np.asarray(jax.block_until_ready(res.trajectory)[idx, 0])
    out["frame_t"] = idx
    out["t"] = np.arange(num_steps + 1)
    out["energy"] = mean_sd(res.energy)
    out["entropy"] = mean_sd(res.entropy)
    out["alpha_bar"] = sched.alpha_bars
    out["x0"] = np.asarray(x0[:8])
    out["xT"] = np.asarray(res.trajectory[-1, :8])
    if data_name == "gff":
        power = np.asarray(energy.covariance_spectrum(shape), np.float64)
        out["exact_energy"] = diagnostics.forward_mean_energy(power, energy.spectrum(shape), sched.alpha_bars)
        out["H"] = diagnostics.forward_entropy(power, sched.alpha_bars)
        out["KL"] = diagnostics.forward_kl_to_prior(power, sched.alpha_bars)
        out["H_rise_share"] = float(np.mean(np.diff(out["H"]) > 0))
        out["falling_modes"] = int(np.sum(power > 1.0))  # mode entropy ½ln v_k falls iff P_k > 1
        out["num_modes"] = int(power.size)
        out["KL_rise_share"] = float(np.mean(np.diff(out["KL"]) > 1e-12 * max(out["KL"][0], 1.0)))
    out["timing"] = timing
    return out
