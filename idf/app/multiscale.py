"""Cached compute for the Multi-scale page: the coarse-to-fine run scored
shell by shell against the exact spectra, and inpainting against the exact
conditional Gaussian.

``MultiscalePage`` holds the page's controls, its defaults the page's
defaults, in two parts so that an inpainting control never reruns the
coarse-to-fine pipeline: ``MultiscaleConfig`` → ``multiscale_run`` →
``MultiscaleRun``, and ``InpaintConfig`` → ``inpainting_run`` → ``InpaintRun``.
The page only draws what these return and writes every caption.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf.app._common import ran
from idf.app.timing import Timing, timed
from idf.diagnostics import (
    RadialSpectrum,
    gaussian_shell_stderr,
    radial_average,
    radial_power_spectrum,
    reverse_output_variance,
    shell_z_scores,
)
from idf.diffusion import ExactGaussianDenoiser, Inpaint, make_schedule, sample, step_table, timesteps_for
from idf.diffusion.buckets import bucket
from idf.diffusion.conditioning import inpainting_denoiser, mask_preset
from idf.diffusion.multiscale import MultiscaleOptions, exact_multiscale_power, multiscale_sample, scale_target
from idf.energy import GaussianFreeField

SCALE_PRESETS = ("16,32,64", "32,64,128", "64,128,256", "32,128")
SCHEDULE = ("linear", 1000)  # both computations run on this training schedule


MAX_STEPS = 200  # the page's steps-per-scale slider: 10 … 200 (a traced trip count)
CHUNK = 16  # its batch slider (2 … 64) runs in chunks of this many fields: one program per scale
INPAINT_MAX_STEPS = 500  # the page's inpainting-steps slider: 20 … 500
INPAINT_BUCKETS = (256, 512, 1024, 2048)  # its samples slider: 64 … 2048 (the default 512 fills one)
INPAINT_SIDES = (6, 16, 2)  # its lattice-side slider: lo, hi, step (each side compiled by the warm-up)

@dataclasses.dataclass(frozen=True)
class MultiscaleConfig:
    """The coarse-to-fine controls (URL keys in brackets where they differ):
    scales (lattice sides, coarse → fine, comma-separated), refinement [method],
    upsampling [up], t_star [tstar], steps (reverse steps per scale), mass2 [m2]
    and kT of the finest lattice's GFF, n, seed."""

    scales: str = "32,64,128"
    refinement: str = "sdedit"
    upsampling: str = "spectral"
    t_star: float = 0.3
    steps: int = 50
    mass2: float = 0.1
    kT: float = 1.0
    n: int = 16
    seed: int = 0

    @property
    def sides(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.scales.split(","))


@dataclasses.dataclass(frozen=True)
class InpaintConfig:
    """The inpainting controls: lattice side [L_inp], mask preset [mask], reverse
    steps [inp_steps], samples n [inp_n]; m², kT and the seed are the page's."""

    size: int = 12
    preset: str = "centre hole"
    steps: int = 100
    n: int = 512
    mass2: float = 0.1
    kT: float = 1.0
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class MultiscalePage:
    """Every control of the Multi-scale page."""

    multiscale: MultiscaleConfig = MultiscaleConfig()
    inpaint: InpaintConfig = InpaintConfig()


class ScaleRun(NamedTuple):
    """One scale of the pipeline (radial spectra in that lattice's own normalisation).

    samples     [n, L, L]  the generated fields
    measured    radial power of the samples, with standard errors
    exact       radial power the pipeline has exactly at this scale
    target      radial power of the scale's target (the truncation of the fine GFF)
    coarse_gff  radial power of the same GFF sampled on this lattice (not the target)
    max_z       largest |z| over shells of measured against exact
    """

    side: int
    samples: np.ndarray
    measured: RadialSpectrum
    exact: RadialSpectrum
    target: RadialSpectrum
    coarse_gff: RadialSpectrum
    max_z: float


class MultiscaleRun(NamedTuple):
    """Every scale, coarse to fine, their wall times [s], and at the finest scale the
    pipeline's exact bias and that of single-scale DDIM with the same steps (largest
    relative shell error against the target)."""

    scales: tuple[ScaleRun, ...]
    seconds: tuple[float, ...]
    bias: float
    single_bias: float
    timing: Timing


class InpaintScore(NamedTuple):
    """One inpainting sampler against the exact conditional Gaussian.

    samples      [n, L, L]
    mean, sd     [L, L] per-site sample mean and s.d.
    max_z_mean   largest |mean − μ| over unknown sites, in standard errors of the mean
    max_sd_err   largest |s.d./exact s.d. − 1| over unknown sites
    exact_known  whether every known site equals the observation exactly
    """

    samples: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    max_z_mean: float
    max_sd_err: float
    exact_known: bool


class InpaintRun(NamedTuple):
    """The observation ``y`` and ``mask`` [L, L] (True = known), the exact conditional
    mean ``mu`` and s.d. ``sd`` [L, L], and the two samplers: replacement with the
    unconditional exact denoiser, and the exact conditional denoiser."""

    y: np.ndarray
    mask: np.ndarray
    mu: np.ndarray
    sd: np.ndarray
    replacement: InpaintScore
    conditional: InpaintScore
    timing: Timing


def _power(energy, shape: tuple[int, int]) -> np.ndarray:
    return np.asarray(energy.covariance_spectrum(shape), np.float64)


_CHUNK_KEYS = 4  # the page's n ≤ 64 = 4 chunks: one key program for all of them


@functools.partial(jax.jit, static_argnums=1)
def _chunk_keys(key: jax.Array, count: int) -> jax.Array:
    """[count] keys: ``key``, then ``fold_in(key, k)`` for k = 1 … count − 1 (one program)."""
    rest = jax.vmap(lambda k: jax.random.fold_in(key, k))(jnp.arange(1, count))
    return jnp.concatenate([key[None], rest])


def chunked_multiscale(key: jax.Array, gff: GaussianFreeField, sched, sides: tuple[int, ...], n: int,
                       options: MultiscaleOptions) -> tuple[tuple[np.ndarray, ...], tuple[float, ...]]:
    """n coarse-to-fine samples per scale [n, L_s, L_s] and each scale's wall time [s], run as
    ⌈n/CHUNK⌉ calls of CHUNK fields each (chunk k's key is ``fold_in(key, k)``; the first is
    ``key`` itself), so every n uses the same compiled programs, eager steps included, and costs
    at most CHUNK − 1 spare fields. (Padding n to buckets (16, 64) compiled a second set of
    programs and ran 64 fields for n = 18.)"""
    parts, seconds = [], np.zeros(len(sides))
    chunks = -(-n // CHUNK)
    keys = _chunk_keys(key, max(chunks, _CHUNK_KEYS))
    for k in range(chunks):
        res = multiscale_sample(keys[k], gff, sched, sides, CHUNK, options, max_steps=MAX_STEPS)
        parts.append([np.asarray(x) for x in res.samples])
        seconds += res.seconds
    samples = tuple(np.concatenate([p[s] for p in parts])[:n] for s in range(len(sides)))
    return samples, tuple(float(t) for t in seconds)


def multiscale_compute(config: MultiscaleConfig) -> MultiscaleRun:
    """Every scale's samples, radial spectra (measured, exact pipeline, target) and timings
    (uncached: the page calls ``multiscale_run``)."""
    ran()
    c = config
    sides = c.sides
    gff, sched = GaussianFreeField(mass2=c.mass2, kT=c.kT), make_schedule(*SCHEDULE)
    options = MultiscaleOptions(refinement=c.refinement, upsampling=c.upsampling, t_star=c.t_star,
                                inference_steps=c.steps)
    with timed("multi-scale") as timing:
        samples, seconds = chunked_multiscale(jax.random.key(c.seed), gff, sched, sides, c.n, options)
    exact = exact_multiscale_power(gff, sched, sides, options)
    fine = (sides[-1], sides[-1])
    scales = []
    for side, x, v in zip(sides, samples, exact, strict=True):
        shape = (side, side)
        measured, exact_radial = radial_power_spectrum(x), radial_average(v)
        z = shell_z_scores(measured, exact_radial, gaussian_shell_stderr(v, c.n))
        scales.append(ScaleRun(
            side=side, samples=x.astype(np.float32), measured=measured, exact=exact_radial,
            target=radial_average(_power(scale_target(gff, fine, shape), shape)),
            coarse_gff=radial_average(_power(gff, shape)), max_z=float(np.max(np.abs(z))),
        ))
    ab, abp = step_table(sched, timesteps_for(sched, c.steps, "trailing"))
    single = radial_average(reverse_output_variance(_power(gff, fine), ab, abp, method="ddim")).power
    want = scales[-1].target.power
    return MultiscaleRun(
        scales=tuple(scales),
        seconds=seconds,
        bias=float(np.max(np.abs(scales[-1].exact.power / want - 1.0))),
        single_bias=float(np.max(np.abs(single / want - 1.0))),
        timing=timing,
    )


multiscale_run = st.cache_data(max_entries=16, show_spinner="Coarse-to-fine sampling …")(multiscale_compute)


def _inpaint_score(x: np.ndarray, y: np.ndarray, mask: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> InpaintScore:
    n, unk = x.shape[0], ~mask
    mean, spread = x.mean(0), x.std(0, ddof=1)
    return InpaintScore(
        samples=x.astype(np.float32), mean=mean, sd=spread,
        max_z_mean=float(np.max(np.abs(mean[unk] - mu[unk]) / (sd[unk] / np.sqrt(n)))),
        max_sd_err=float(np.max(np.abs(spread[unk] / sd[unk] - 1.0))),
        exact_known=bool(np.all(x[:, mask] == y.astype(x.dtype)[mask])),
    )


def inpainting_compute(config: InpaintConfig) -> InpaintRun:
    """Replacement inpainting and the exact conditional denoiser, against the exact conditional
    Gaussian (uncached: the page calls ``inpainting_run``)."""
    ran()
    c = config
    gff, sched = GaussianFreeField(mass2=c.mass2, kT=c.kT), make_schedule(*SCHEDULE)
    shape = (c.size, c.size)
    key_obs, key_rep, key_cond = jax.random.split(jax.random.key(c.seed), 3)
    y = np.asarray(gff.sample_exact(key_obs, shape, 1)[0], np.float64)
    mask = mask_preset(c.preset, shape, c.seed)
    denoiser, mu, cond = inpainting_denoiser(gff, y, mask)
    # The step count is a traced trip count and n is padded to a bucket: neither recompiles.
    kw = dict(inference_steps=c.steps, spacing="trailing", inpaint=Inpaint(y, mask), max_steps=INPAINT_MAX_STEPS,
              batch_capacity=bucket(c.n, INPAINT_BUCKETS))
    with timed("inpainting") as timing:
        rep = np.asarray(sample(key_rep, ExactGaussianDenoiser(gff), sched, shape, c.n, **kw).samples)
        ex = np.asarray(sample(key_cond, denoiser, sched, shape, c.n, **kw).samples)
    sd = np.sqrt(np.diag(cond)).reshape(shape)
    return InpaintRun(y=y, mask=mask, mu=mu, sd=sd, replacement=_inpaint_score(rep, y, mask, mu, sd),
                      conditional=_inpaint_score(ex, y, mask, mu, sd), timing=timing)


inpainting_run = st.cache_data(max_entries=16, show_spinner="Inpainting …")(inpainting_compute)
