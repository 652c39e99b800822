"""The Reverse page's compute: one reverse loop x_T → x₀ and its scores against the exact target."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app import data
from idf.app._common import MAX_FRAMES, mean_sd, ran
from idf.app.timing import Timing, timed
from idf.diffusion import (
    EnergyDenoiser,
    ExactGaussianDenoiser,
    Guidance,
    divergence_report,
    make_schedule,
    sample,
    step_table,
    timesteps_for,
)
from idf.energy import (
    GaussianFreeField,
    LatticeEnergy,
    QuadraticEnergy,
)
from idf.viz import subsample_frames


def reverse_target(target: str, mass2: float, kT: float, w_kinetic: float, w_potential: float) -> QuadraticEnergy:
    if target == "lattice":
        return LatticeEnergy(w_kinetic=w_kinetic, w_potential=w_potential, w_thermal=0.0, mass2=mass2, kT=kT)
    return GaussianFreeField(mass2=mass2, kT=kT)


def denoiser_options() -> list[str]:
    return ["exact", "energy"] + (["unet"] if data.unet_checkpoint() is not None else [])


def _denoiser(name: str, target: QuadraticEnergy):
    if name == "exact":
        return ExactGaussianDenoiser(target)
    if name == "energy":
        return EnergyDenoiser(target)
    return _unet(data.unet_checkpoint()["path"])


@st.cache_resource(max_entries=2, show_spinner="Loading the U-Net …")
def _unet(path: str):
    from idf.models import load_denoiser

    return load_denoiser(path)[0]


@st.cache_data(max_entries=32, show_spinner=False)
def reverse_run(target_name: str, size: int, mass2: float, kT: float, w_kinetic: float, w_potential: float,
                schedule: str, num_steps: int, beta_start: float, beta_end: float, method: str,
                inference_steps: int, eta: float, spacing: str, temperature: float, guidance_scale: float,
                guidance_form: str, denoiser: str, conserve: bool, seed: int, batch: int) -> dict[str, Any]:
    """One reverse loop x_T → x₀ and its scores against the exact target.

    The guidance energy is always passed (scale 0 leaves ε̂ unchanged), so the
    guidance slider never changes what is compiled.
    """
    ran()
    shape = (size, size)
    target = reverse_target(target_name, mass2, kT, w_kinetic, w_potential)
    improper = target.improper_reason(shape)
    if improper is not None:
        return {"improper": improper, "timing": Timing("reverse loop")}
    sched = make_schedule(schedule, num_steps, beta_start, beta_end)
    with timed("reverse loop") as timing:
        res = sample(jax.random.key(seed), _denoiser(denoiser, target), sched, shape, batch,
                     inference_steps=inference_steps, solver=method, eta=eta, spacing=spacing,
                     temperature=temperature, guidance=Guidance(target, guidance_scale, guidance_form),
                     conserve_energy=conserve, metric_energy=target, keep=4)
        samples = np.asarray(jax.block_until_ready(res.samples), np.float64)
    steps = np.asarray(res.timesteps)
    out: dict[str, Any] = {"improper": None, "timing": timing, "timesteps": steps}
    idx = subsample_frames(len(steps) + 1, MAX_FRAMES)
    out["frames"] = np.asarray(res.trajectory[idx, 0])
    out["frame_t"] = np.concatenate([steps + 1, [0]])[idx]  # x_{t+1} before the step at t; x₀ last
    out["energy"] = mean_sd(res.energy)
    out["entropy"] = mean_sd(res.entropy)
    out["norm_ratio"] = mean_sd(res.norm_ratio)
    out["scale"] = mean_sd(res.scale)
    out["mean_energy"] = target.mean_energy(shape)
    out["panel"] = samples[:8]
    # Diverged samples are frozen at their last finite state by the loop;
    # they are reported and left out of every statistic.
    out["diverged"] = divergence_report(res)
    good = samples[np.asarray(res.diverged) < 0]
    out["n"] = int(good.shape[0])
    out["finite"] = good.shape[0] >= 2
    power = np.asarray(target.covariance_spectrum(shape), np.float64)
    out["power"] = power
    if out["finite"]:
        out["fourier_kl"] = diagnostics.fourier_kl(good, power)
        out["frechet"] = diagnostics.frechet_distance(good, power)
        out["kl_bias"] = diagnostics.fourier_kl_bias(shape, good.shape[0])
        out["empirical_power"] = diagnostics.empirical_power(good)
    out["samples"] = samples
    if denoiser == "exact" and guidance_scale == 0.0 and not conserve:
        ab, ab_prev = step_table(sched, timesteps_for(sched, inference_steps, spacing))
        v = diagnostics.reverse_output_variance(power, ab, ab_prev, method=method, eta=eta,
                                                temperature=temperature)
        out["exact_loop_kl"] = diagnostics.gaussian_kl(v, power)
    return out
