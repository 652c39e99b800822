"""Cached compute wrappers for the pages: each takes plain (hashable) values,
builds the ``idf`` objects, runs one library entry point and returns NumPy
arrays plus a ``Timing``. ``st.cache_data`` serves repeats; the jitted loops
underneath take every continuous value as a traced argument, so a cache miss
after a slider move runs the compiled loop again without compiling.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf import diagnostics
from idf._pytree import replace
from idf.app import data
from idf.app.timing import Timing, timed
from idf.diffusion import (
    SCHEDULES,
    EnergyDenoiser,
    ExactGaussianDenoiser,
    divergence_report,
    forward_trajectory,
    make_schedule,
    sample,
    step_table,
)
from idf.diffusion.sample import timesteps_for
from idf.energy import (
    TOYS,
    GaussianFreeField,
    LatticeEnergy,
    Phi4,
    QuadraticEnergy,
    laplacian_eigenvalues,
    make_energy,
)
from idf.viz import subsample_frames

MAX_FRAMES = 60
_calls = {"count": 0}


def calls() -> int:
    """How many cached computations actually ran (not served from cache)."""
    return _calls["count"]


def _ran() -> None:
    _calls["count"] += 1


def _mean_sd(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, np.float64)
    return v.mean(axis=1), v.std(axis=1)


# -- φ⁴ configurations (HMC from idf.samplers) -------------------------------------
@st.cache_data(max_entries=16, show_spinner="HMC on φ⁴ …")
def phi4_configurations(size: int, mass2: float, coupling: float, kT: float, chains: int, seed: int) -> dict:
    """φ⁴ fields [chains, size, size] after 300 HMC burn-in steps (ε = 0.1, L = 10).

    The step size is fixed: dual-averaging adaptation is left off so the page
    shows a plain, reproducible HMC run.
    """
    _ran()
    from idf.samplers import HMC, run_chains

    energy = Phi4(mass2=mass2, coupling=coupling, kT=kT)
    key_init, key_run = jax.random.split(jax.random.key(seed))
    x_init = 0.1 * jax.random.normal(key_init, (chains, size, size), jnp.result_type(float))
    with timed("HMC on φ⁴") as timing:
        result = run_chains(HMC(step_size=0.1, num_leapfrog=10), energy, key_run, x_init, 50,
                            burn_in=300, thin=50, warn=False)
        fields = np.asarray(jax.block_until_ready(result.positions[:, -1]))
    return {"fields": fields, "acceptance": float(np.mean(np.asarray(result.acceptance_prob))),
            "timing": timing}


# -- Energy landscape ------------------------------------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def energy_view(name: str, params: tuple[tuple[str, float], ...], size: int, seed: int) -> dict[str, Any]:
    """Everything the Energy page shows for one energy.

    Lattice energies: verdict (``improper`` reason or None), A(k) and λ_k for
    quadratic ones, one field (exact where possible, else labelled), its terms.
    Toys: exact samples (kT = 1 only); the figure evaluates φ and the score.
    """
    _ran()
    energy = make_energy(name, **dict(params))
    shape = (size, size)
    key = jax.random.key(seed)
    out: dict[str, Any] = {"name": name, "shape": shape}
    with timed("energy view") as timing:
        if name in TOYS:
            out["samples"] = (np.asarray(energy.sample_exact(key, 500))
                              if float(energy.kT) == 1.0 else None)
        else:
            out["improper"] = energy.improper_reason(shape)
            if isinstance(energy, QuadraticEnergy):
                out["spectrum"] = np.asarray(energy.spectrum(shape), np.float64)
                out["lam"] = laplacian_eigenvalues(shape)
                out["mean_energy"] = energy.mean_energy(shape)
            field, source = _field_for(energy, key, shape, out["improper"])
            out["field"], out["field_source"] = field, source
            if field is not None:
                out["terms"] = {k: float(v) for k, v in energy.terms(jnp.asarray(field)).items()}
            if isinstance(energy, Phi4):
                c = np.linspace(-1.6, 1.6, 161)
                ones = jnp.ones(shape)
                out["site_c"] = c
                out["site_potential"] = np.array([float(energy.energy(v * ones)) for v in c]) / math.prod(shape)
    out["timing"] = timing
    return out


def _field_for(energy, key, shape, improper) -> tuple[np.ndarray | None, str]:
    if improper is not None:
        return (np.asarray(jax.random.normal(key, shape)),
                "white noise N(0, 1): there is no Boltzmann distribution to sample")
    if isinstance(energy, LatticeEnergy):
        quad = replace(energy, w_thermal=0.0)
        note = "" if float(energy.w_thermal) == 0.0 else (
            " of the quadratic part (w_th set to 0; the thermal term is bounded, 0 ≤ S ≤ ln N, "
            "and is evaluated on it below)")
        return np.asarray(quad.sample_exact(key, shape, 1)[0]), "exact sample" + note
    if isinstance(energy, QuadraticEnergy):
        return np.asarray(energy.sample_exact(key, shape, 1)[0]), "exact sample"
    if isinstance(energy, Phi4):
        if not data.samplers_available():
            return None, "φ⁴ needs a sampler (idf.samplers not available yet)"
        cfg = phi4_configurations(shape[0], float(energy.mass2), float(energy.coupling), float(energy.kT), 4,
                                  int(jax.random.randint(key, (), 0, 2**30)))
        return cfg["fields"][0], f"HMC sample (ε = 0.1, L = 10, 350 steps; acceptance {cfg['acceptance']:.2f})"
    return None, "no sampler for this energy"


# -- Forward diffusion -----------------------------------------------------------
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
    _ran()
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
            x0 = jnp.asarray(phi4_configurations(size, mass2, coupling, kT, batch, seed)["fields"], dtype)
        res = forward_trajectory(key_noise, x0, sched, guidance_energy=energy if guided else None,
                                 guidance_strength=jnp.asarray(strength, dtype), metric_energy=energy)
        idx = subsample_frames(num_steps + 1, MAX_FRAMES)
        out["frames"] = np.asarray(jax.block_until_ready(res.trajectory)[idx, 0])
    out["frame_t"] = idx
    out["t"] = np.arange(num_steps + 1)
    out["energy"] = _mean_sd(res.energy)
    out["entropy"] = _mean_sd(res.entropy)
    out["alpha_bar"] = sched.alpha_bars
    out["x0"] = np.asarray(x0[:8])
    out["xT"] = np.asarray(res.trajectory[-1, :8])
    if data_name == "gff":
        power = np.asarray(energy.covariance_spectrum(shape), np.float64)
        v = diagnostics.forward_variances(power, sched.alpha_bars)
        a = np.asarray(energy.spectrum(shape), np.float64)
        out["exact_energy"] = 0.5 * np.sum(a * v, axis=(1, 2))  # ⟨φ(x_t)⟩ = ½ Σ_k A_k v_k(t)
        out["H"] = diagnostics.forward_entropy(power, sched.alpha_bars)
        out["KL"] = diagnostics.forward_kl_to_prior(power, sched.alpha_bars)
        out["H_rise_share"] = float(np.mean(np.diff(out["H"]) > 0))
        out["falling_modes"] = int(np.sum(power > 1.0))  # mode entropy ½ln v_k falls iff P_k > 1
        out["num_modes"] = int(power.size)
        out["KL_rise_share"] = float(np.mean(np.diff(out["KL"]) > 1e-12 * max(out["KL"][0], 1.0)))
    out["timing"] = timing
    return out


# -- Reverse diffusion -----------------------------------------------------------
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
    _ran()
    shape = (size, size)
    target = reverse_target(target_name, mass2, kT, w_kinetic, w_potential)
    improper = target.improper_reason(shape)
    if improper is not None:
        return {"improper": improper, "timing": Timing("reverse loop")}
    sched = make_schedule(schedule, num_steps, beta_start, beta_end)
    with timed("reverse loop") as timing:
        res = sample(jax.random.key(seed), _denoiser(denoiser, target), sched, shape, batch,
                     inference_steps=inference_steps, method=method, eta=eta, spacing=spacing,
                     temperature=temperature, guidance_energy=target, guidance_scale=guidance_scale,
                     guidance_form=guidance_form, conserve_energy=conserve, metric_energy=target, keep=4)
        samples = np.asarray(jax.block_until_ready(res.samples), np.float64)
    steps = np.asarray(res.timesteps)
    out: dict[str, Any] = {"improper": None, "timing": timing, "timesteps": steps}
    idx = subsample_frames(len(steps) + 1, MAX_FRAMES)
    out["frames"] = np.asarray(res.trajectory[idx, 0])
    out["frame_t"] = np.concatenate([steps + 1, [0]])[idx]  # x_{t+1} before the step at t; x₀ last
    out["energy"] = _mean_sd(res.energy)
    out["entropy"] = _mean_sd(res.entropy)
    out["norm_ratio"] = _mean_sd(res.norm_ratio)
    out["scale"] = _mean_sd(res.scale)
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
        out["kl_bias"] = math.prod(shape) / (2.0 * good.shape[0])
        out["empirical_power"] = diagnostics.empirical_power(good)
    out["samples"] = samples
    if denoiser == "exact" and guidance_scale == 0.0 and not conserve:
        ab, ab_prev = step_table(sched, timesteps_for(sched, inference_steps, spacing))
        v = diagnostics.reverse_output_variance(power, ab, ab_prev, method=method, eta=eta,
                                                temperature=temperature)
        out["exact_loop_kl"] = diagnostics.gaussian_kl(v, power)
    return out


@st.cache_data(max_entries=4, show_spinner=False)
def gff_picture(size: int = 64, mass2: float = 0.05, seed: int = 7) -> np.ndarray:
    """One exact GFF field [size, size] for the Home page's picture."""
    return np.asarray(GaussianFreeField(mass2=mass2).sample_exact(jax.random.key(seed), (size, size), 1)[0])


def parse_params(text: str) -> dict[str, float]:
    """'m2=1, lam=0.5' -> {'m2': 1.0, 'lam': 0.5}; ValueError with the bad item."""
    out: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip() or not math.isfinite(number):
            raise ValueError(f"parameter {item!r}: write NAME=NUMBER, e.g. m2=1")
        out[name.strip()] = number
    return out


@st.cache_data(max_entries=32, show_spinner="Parsing and probing the energy …")
def custom_view(source: str, params_text: str, kT: float, size: int, seed: int) -> dict[str, Any]:
    """The Energy page for a typed energy: parse it (safe language, never
    eval'd), probe it for directions where φ is unbounded below, and when it
    passes draw one field with MALA (step size adapted during burn-in).

    Returns ``error`` (parse or parameter problem, else None), ``improper``
    (the probe's verdict, else None), ``field`` and its ``terms``, ``field_source``.
    """
    from idf.energy import ExpressionError, ImproperEnergyError, parse_energy
    from idf.samplers import MALA, divergence_report, run_chains

    _ran()
    shape = (size, size)
    out: dict[str, Any] = {"error": None, "improper": None, "field": None, "terms": {}, "field_source": ""}
    with timed("custom energy") as timing:
        try:
            energy = parse_energy(source, parse_params(params_text), kT=kT)
        except (ExpressionError, ValueError) as err:
            out["error"] = str(err)
            out["timing"] = timing
            return out
        key_probe, key_init, key_run = jax.random.split(jax.random.key(seed), 3)
        try:
            energy.check_normalizable(shape, key_probe)
        except ImproperEnergyError as err:
            out["improper"] = str(err)
        if out["improper"] is None:
            x0 = 0.1 * jax.random.normal(key_init, (4, *shape))
            res = run_chains(MALA(step_size=0.05), energy, key_run, x0, 200, burn_in=400, thin=200, adapt=True,
                             target_accept=0.6, warn=False)
            report = divergence_report(res)
            ok = int(np.argmin(np.asarray(res.divergent)))
            field = np.asarray(res.positions[ok, -1])
            out["field_source"] = (f"MALA, 600 steps (step size adapted to {float(res.step_size):.3g}, "
                                   f"acceptance {float(np.mean(res.acceptance_prob[ok])):.2f})")
            out["report"] = report
        else:
            field = np.asarray(jax.random.normal(key_init, shape))
            out["field_source"] = "white noise N(0, 1): there is no Boltzmann distribution to sample"
        out["field"] = field
        out["terms"] = {k: float(v) for k, v in energy.terms(jnp.asarray(field)).items()}
    out["timing"] = timing
    return out
