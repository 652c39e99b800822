"""The Reverse page's compute: one reverse loop x_T → x₀ and its scores against the exact target.

``ReverseConfig`` holds every control of the page, its defaults the page's
defaults (the warm-up computes ``reverse_run(ReverseConfig())``);
``reverse_run`` returns a ``ReverseRun``, or ``ImproperTarget`` when the energy
has no Boltzmann distribution. The page writes every caption.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app import data
from idf.app._common import MAX_FRAMES, MeanSd, mean_sd, ran
from idf.app.timing import Timing, timed
from idf.diffusion import (
    Denoiser,
    EnergyDenoiser,
    ExactGaussianDenoiser,
    Guidance,
    divergence_report,
    make_schedule,
    sample,
    step_table,
    timesteps_for,
)
from idf.diffusion.buckets import bucket
from idf.energy import GaussianFreeField, LatticeEnergy, QuadraticEnergy
from idf.viz import subsample_frames

LATTICE_MASS2 = 5.0  # m² when the target is the document's energy (normalisable: m² > 4·w_p)
# Count and shape controls (the page's slider ranges): S runs as a traced trip count
# in a loop of MAX_INFERENCE_STEPS, n is padded to a bucket, every L is warmed up.
SIZE_RANGE = (4, 32)
MAX_INFERENCE_STEPS = 500
BATCH_RANGE = (4, 1024)
BATCH_BUCKETS = (64, 256, 512, 1024)


@dataclasses.dataclass(frozen=True)
class ReverseConfig:
    """The Reverse page's controls (URL keys in brackets where they differ).

    target       "gff" or "lattice" (the document's energy with w_th = 0)
    size [L], mass2 [m2], kT, w_kinetic [wk], w_potential [wp]: the target
    schedule, num_steps [T], beta_start, beta_end: the training schedule
    solver [method], inference_steps [steps], eta, spacing, temperature [temp]: the loop
    guidance_scale [guidance], guidance_form [gform]: energy guidance by the target
    denoiser     "exact", "energy" or "unet" (a shipped checkpoint)
    conserve     the document's rescaling constraint
    seed, batch [n]
    """

    target: str = "gff"
    size: int = 16
    mass2: float = 1.0
    kT: float = 1.0
    w_kinetic: float = 1.0
    w_potential: float = 1.0
    schedule: str = "linear"
    num_steps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    solver: str = "ddim"
    inference_steps: int = 50
    eta: float = 0.0
    spacing: str = "leading"
    temperature: float = 1.0
    guidance_scale: float = 0.0
    guidance_form: str = "document"
    denoiser: str = "exact"
    conserve: bool = False
    seed: int = 0
    batch: int = 256


class ImproperTarget(NamedTuple):
    """The target has no Boltzmann distribution: ``reason`` says why and how to fix it."""

    reason: str
    timing: Timing


class Scores(NamedTuple):
    """The finite samples against the exact target (needs n ≥ 2).

    fourier_kl       Fourier-diagonal KL estimate (nats)
    frechet          Fréchet W₂² between fitted and exact Gaussians (field units²)
    kl_bias          the KL estimator's finite-sample bias, fourier_kl_bias ≈ (N + n_self)/(4n) (nats)
    empirical_power  [L, L] measured E|x̂_k|²
    """

    fourier_kl: float
    frechet: float
    kl_bias: float
    empirical_power: np.ndarray


class ReverseRun(NamedTuple):
    """One reverse loop on n samples.

    frames, frame_t  [F, L, L] sample 0 and the timestep before each frame [F]
    timesteps        [S] the training timesteps visited, descending
    energy, entropy  φ(x_t) and S(x_t) over the batch, mean and s.d. [S+1]
    norm_ratio       Σx̂₀²/Σx_t² per step, mean and s.d. [S]
    scale            the factor the constraint applied, mean and s.d. [S]
    mean_energy      exact Boltzmann ⟨φ⟩ = N·kT/2
    samples, panel   [n, L, L] all samples; [≤ 8, L, L] the first ones
    diverged         None, or the sentence ``divergence_report`` wrote
    n                samples that stayed finite (the scores use only these)
    power            [L, L] the target's exact E|x̂_k|²
    scores           None when fewer than 2 samples stayed finite
    exact_loop_kl    the loop's exact output KL (exact denoiser, no guidance,
                     no rescaling), else None
    """

    frames: np.ndarray
    frame_t: np.ndarray
    timesteps: np.ndarray
    energy: MeanSd
    entropy: MeanSd
    norm_ratio: MeanSd
    scale: MeanSd
    mean_energy: float
    samples: np.ndarray
    panel: np.ndarray
    diverged: str | None
    n: int
    power: np.ndarray
    scores: Scores | None
    exact_loop_kl: float | None
    timing: Timing


def reverse_target(config: ReverseConfig) -> QuadraticEnergy:
    c = config
    if c.target == "lattice":
        return LatticeEnergy(w_kinetic=c.w_kinetic, w_potential=c.w_potential, w_thermal=0.0, mass2=c.mass2, kT=c.kT)
    return GaussianFreeField(mass2=c.mass2, kT=c.kT)


def denoiser_options() -> list[str]:
    return ["exact", "energy"] + (["unet"] if data.unet_checkpoint() is not None else [])


def _denoiser(name: str, target: QuadraticEnergy) -> Denoiser:
    if name == "exact":
        return ExactGaussianDenoiser(target)
    if name == "energy":
        return EnergyDenoiser(target)
    return _unet(data.unet_checkpoint()["path"])


@st.cache_resource(max_entries=2, show_spinner="Loading the U-Net …")
def _unet(path: str) -> Denoiser:
    from idf.models import load_denoiser

    return load_denoiser(path)[0]


def _scores(good: np.ndarray, power: np.ndarray, shape: tuple[int, int]) -> Scores | None:
    if good.shape[0] < 2:
        return None
    return Scores(
        fourier_kl=diagnostics.fourier_kl(good, power),
        frechet=diagnostics.frechet_distance(good, power),
        kl_bias=diagnostics.fourier_kl_bias(shape, good.shape[0]),
        empirical_power=diagnostics.empirical_power(good),
    )


def loop_inputs(c: ReverseConfig, target: QuadraticEnergy, sched: Any) -> tuple:
    """(key, denoiser, schedule, shape, n): the loop's positional inputs (the page's result and
    its live view run the same loop)."""
    return jax.random.key(c.seed), _denoiser(c.denoiser, target), sched, (c.size, c.size), c.batch


def loop_options(c: ReverseConfig, target: QuadraticEnergy) -> dict:
    """The loop's options: guidance always passed (scale 0 leaves ε̂ unchanged), S a traced
    count up to MAX_INFERENCE_STEPS, n padded to a bucket."""
    return dict(inference_steps=c.inference_steps, solver=c.solver, eta=c.eta, spacing=c.spacing,
                temperature=c.temperature, guidance=Guidance(target, c.guidance_scale, c.guidance_form),
                conserve_energy=c.conserve, metric_energy=target, max_steps=MAX_INFERENCE_STEPS,
                batch_capacity=bucket(c.batch, BATCH_BUCKETS))


def compute(config: ReverseConfig) -> ReverseRun | ImproperTarget:
    """One reverse loop x_T → x₀ and its scores against the exact target (uncached;
    the page calls ``reverse_run``).

    The guidance energy is always passed (scale 0 leaves ε̂ unchanged), so the
    guidance slider never changes what is compiled; S ≤ MAX_INFERENCE_STEPS is a
    traced trip count and n is padded to a bucket of BATCH_BUCKETS, so neither
    does a count. Frames and samples are kept as float32 (what a cache entry
    holds: at most 1024·32²·4 B = 4 MiB of samples).
    """
    ran()
    c = config
    shape = (c.size, c.size)
    target = reverse_target(c)
    improper = target.improper_reason(shape)
    if improper is not None:
        return ImproperTarget(improper, Timing("reverse loop"))
    sched = make_schedule(c.schedule, c.num_steps, c.beta_start, c.beta_end)
    with timed("reverse loop") as timing:
        res = sample(*loop_inputs(c, target, sched), keep=4, **loop_options(c, target))
        samples = np.asarray(jax.block_until_ready(res.samples), np.float64)
    steps = np.asarray(res.timesteps)
    idx = subsample_frames(len(steps) + 1, MAX_FRAMES)
    power = np.asarray(target.covariance_spectrum(shape), np.float64)
    # Diverged samples are frozen at their last finite state by the loop;
    # they are reported and left out of every statistic.
    good = samples[np.asarray(res.diverged) < 0]
    exact_loop_kl = None
    if c.denoiser == "exact" and c.guidance_scale == 0.0 and not c.conserve:
        ab, ab_prev = step_table(sched, timesteps_for(sched, c.inference_steps, c.spacing))
        v = diagnostics.reverse_output_variance(power, ab, ab_prev, method=c.solver, eta=c.eta,
                                                temperature=c.temperature)
        exact_loop_kl = diagnostics.gaussian_kl(v, power)
    return ReverseRun(
        frames=np.asarray(res.trajectory[idx, 0], np.float32),
        frame_t=np.concatenate([steps + 1, [0]])[idx],  # x_{t+1} before the step at t; x₀ last
        timesteps=steps,
        energy=mean_sd(res.energy),
        entropy=mean_sd(res.entropy),
        norm_ratio=mean_sd(res.norm_ratio),
        scale=mean_sd(res.scale),
        mean_energy=target.mean_energy(shape),
        samples=samples.astype(np.float32),
        panel=samples[:8].astype(np.float32),
        diverged=divergence_report(res),
        n=int(good.shape[0]),
        power=power,
        scores=_scores(good, power, shape),
        exact_loop_kl=exact_loop_kl,
        timing=timing,
    )


reverse_run = st.cache_data(max_entries=32, show_spinner=False)(compute)
reverse_run.__doc__ = "``compute``, through Streamlit's process-wide cache (what the page and the warm-up call)."
