"""The coarse-to-fine pipeline: sample the coarsest lattice, upsample, refine
(SDEdit or the exact cascade), one jitted ``sample`` call per scale.

``MultiscaleOptions`` holds every choice of the pipeline once; the sampler
(``multiscale_sample``) and its exact reference (``exact_multiscale_power``)
take the same object, so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from idf.diffusion.conditioning import KnownModesDenoiser
from idf.diffusion.denoisers import ExactGaussianDenoiser
from idf.diffusion.forward import q_sample
from idf.diffusion.multiscale.target import scale_target
from idf.diffusion.multiscale.upsampling import upsample
from idf.diffusion.options import Refinement, Solver, Spacing, Upsampling, choose, values
from idf.diffusion.sample import Start, sample
from idf.diffusion.schedules import Schedule, timesteps_for
from idf.energy import QuadraticEnergy

REFINERS = values(Refinement)


@dataclasses.dataclass(frozen=True)
class MultiscaleOptions:
    """How each scale is generated from the one below it.

    refinement       "sdedit" (noise the upsampled field to t* and denoise) or
                     "cascade" (exact known-modes conditional denoiser, the full
                     loop from T at each scale; ``t_star`` is not used).
    upsampling       "spectral" or "bilinear" (SDEdit's start; the cascade
                     always conditions on the spectral lift, which holds the
                     coarse field's information losslessly).
    t_star           SDEdit's start as a fraction of the schedule, in (0, 1].
    inference_steps  reverse steps per scale (for SDEdit: on [0, t*]): one int
                     for all, or one per scale, coarse to fine (coarse scales
                     are cheap, and their loops work on smaller per-mode powers
                     P/r², where few DDIM steps are more biased).
    solver, eta      "ddim" (η ∈ [0, 1]) or "ddpm", as in ``sample``.
    spacing          sub-sequence spacing; "trailing" starts exactly at t*.
    """

    refinement: Refinement | str = Refinement.SDEDIT
    upsampling: Upsampling | str = Upsampling.SPECTRAL
    t_star: float = 0.5
    inference_steps: int | tuple[int, ...] = 50
    solver: Solver | str = Solver.DDIM
    eta: float = 0.0
    spacing: Spacing | str = Spacing.TRAILING

    def __post_init__(self) -> None:
        object.__setattr__(self, "refinement", choose(Refinement, self.refinement, "refinement"))
        object.__setattr__(self, "upsampling", choose(Upsampling, self.upsampling, "upsampling"))
        if not isinstance(self.inference_steps, int | np.integer):
            object.__setattr__(self, "inference_steps", tuple(int(s) for s in self.inference_steps))

    def start_step(self, schedule: Schedule) -> int | None:
        """SDEdit's start timestep (``start_step_for``); None for the cascade."""
        return start_step_for(schedule, self.t_star) if self.refinement is Refinement.SDEDIT else None


class MultiscaleResult(NamedTuple):
    """Per scale s = 0 … S−1 (coarse to fine), every entry a tuple:

    samples    [n, L_s, L_s]   the generated fields
    upsampled  [n, L_s, L_s]   for s ≥ 1 only (S − 1 entries): scale s − 1 upsampled
                               (SDEdit's start before noising; the cascade's condition)
    timesteps  [steps_s]       training timesteps the scale's loop visited
    seconds    float           wall time of the scale, compile included on a first call
    """

    scales: tuple[int, ...]
    samples: tuple[jax.Array, ...]
    upsampled: tuple[jax.Array, ...]
    timesteps: tuple[np.ndarray, ...]
    seconds: tuple[float, ...]


def start_step_for(schedule: Schedule, t_star: float) -> int:
    """Training timestep for the fraction t* ∈ (0, 1] of the schedule."""
    if not 0.0 < float(t_star) <= 1.0:
        raise ValueError(f"t* must be in (0, 1], got {t_star}")
    return int(min(max(round(float(t_star) * schedule.num_steps) - 1, 0), schedule.num_steps - 1))


def check_scales(scales: Sequence[int]) -> tuple[int, ...]:
    """``scales`` as a tuple of ints, or ValueError unless they are lattice sides ≥ 2, strictly increasing."""
    scales = tuple(int(s) for s in scales)
    if not scales or any(s < 2 for s in scales):
        raise ValueError(f"scales must be lattice sides ≥ 2, got {scales}")
    if any(b <= a for a, b in zip(scales, scales[1:], strict=False)):
        raise ValueError(f"scales must increase strictly, coarse to fine, got {scales}")
    return scales


def steps_per_scale(inference_steps: int | Sequence[int], num_scales: int) -> tuple[int, ...]:
    """One step count per scale: an int for all, or a sequence, coarse to fine."""
    if isinstance(inference_steps, int | np.integer):
        return (int(inference_steps),) * num_scales
    steps = tuple(int(s) for s in inference_steps)
    if len(steps) != num_scales:
        raise ValueError(f"{len(steps)} step counts for {num_scales} scales")
    return steps


@functools.partial(jax.jit, static_argnames=("shape", "upsampling"))
def _sdedit_start(key: jax.Array, x: jax.Array, alpha_bar: jax.Array, *, shape: tuple[int, int],
                  upsampling: Upsampling) -> tuple[jax.Array, jax.Array]:
    """SDEdit's start from the coarse fields x [B, h, w]: the upsampled fields x_up [B, H, W]
    and x_t = q_sample(x_up, ᾱ_t, ε). One program per (B, shapes, upsampling): run eagerly,
    these steps compiled some thirty small programs for every new B."""
    x_up = upsample(x, shape, upsampling)
    noise = jax.random.normal(key, x_up.shape, x_up.dtype)  # row i does not depend on B (partitionable threefry)
    return x_up, q_sample(x_up, alpha_bar, noise)


@functools.partial(jax.jit, static_argnames="shape")
def _spectral_lift(x: jax.Array, *, shape: tuple[int, int]) -> jax.Array:
    """The cascade's condition [B, H, W]: x [B, h, w] upsampled spectrally, one program per shape."""
    return upsample(x, shape, Upsampling.SPECTRAL)


def multiscale_sample(
    key: jax.Array,
    energy: QuadraticEnergy,
    schedule: Schedule,
    scales: Sequence[int],
    num_samples: int,
    options: MultiscaleOptions = MultiscaleOptions(),  # noqa: B008 - frozen, so a shared default is safe
    *,
    keep: int = 4,
    max_steps: int | None = None,
    batch_capacity: int | None = None,
) -> MultiscaleResult:
    """Coarse-to-fine samples of the free field ``energy`` on the finest scale.

    scales   lattice sides, coarse to fine (e.g. (64, 128, 256)); the target at
             each coarser side is ``TruncatedSpectrum``.
    options  refinement, upsampling, t*, steps per scale, solver, η, spacing
             (``MultiscaleOptions``).
    keep     trajectories kept per loop (``sample``).
    max_steps       passed to every ``sample`` call: the step count runs as a
             traced trip count, so no count up to it recompiles.
    batch_capacity  the whole pipeline (every loop, and the upsampling and
             noising between them) runs on this many fields (≥ n) and the
             first n are returned, so no n up to it compiles anything new.
             Row i of every draw does not depend on the batch, so the samples
             are the unpadded run's exactly.

    Each scale is one jitted ``sample`` call and, above the coarsest, one
    jitted step that builds its start or condition (one compilation each per
    scale shape and batch).
    """
    scales = check_scales(scales)
    fine_shape = (scales[-1], scales[-1])
    start_step = options.start_step(schedule)
    counts = steps_per_scale(options.inference_steps, len(scales))
    # The batch is padded here, once, not by each ``sample`` call: there the padding of a start
    # or condition, and ``keep`` = min(keep, n), would still depend on n.
    padded = max(int(batch_capacity or num_samples), num_samples)
    trim = (lambda v: v) if padded == num_samples else (lambda v: np.asarray(v)[:num_samples])  # noqa: E731
    kw = dict(solver=options.solver, eta=options.eta, spacing=options.spacing, keep=keep, max_steps=max_steps)
    key_coarse, *keys_refine = jax.random.split(key, len(scales))

    shape = (scales[0], scales[0])
    tic = time.perf_counter()
    denoiser = ExactGaussianDenoiser(scale_target(energy, fine_shape, shape))
    out = sample(key_coarse, denoiser, schedule, shape, padded, inference_steps=counts[0], **kw)
    x = jax.block_until_ready(out.samples)
    samples, ups, steps, secs = [trim(x)], [], [np.asarray(out.timesteps)], [time.perf_counter() - tic]

    for side, key_scale, count in zip(scales[1:], keys_refine, counts[1:], strict=True):
        shape = (side, side)
        tic = time.perf_counter()
        target = scale_target(energy, fine_shape, shape)
        if options.refinement is Refinement.SDEDIT:
            key_noise, key_loop = jax.random.split(key_scale)
            first = timesteps_for(schedule, count, options.spacing, start_step=start_step)[0]
            alpha_bar = jnp.asarray(schedule.alpha_bars[first], jnp.result_type(float))
            x_up, x_start = _sdedit_start(key_noise, x, alpha_bar, shape=shape, upsampling=options.upsampling)
            out = sample(key_loop, ExactGaussianDenoiser(target), schedule, shape, padded,
                         start=Start(x_start, start_step), inference_steps=count, **kw)
        else:
            x_up = _spectral_lift(x, shape=shape)
            denoiser = KnownModesDenoiser(target, (x.shape[-2], x.shape[-1]))
            out = sample(key_scale, denoiser, schedule, shape, padded, condition=x_up, inference_steps=count, **kw)
        x = jax.block_until_ready(out.samples)
        samples.append(trim(x))
        ups.append(trim(x_up))
        steps.append(np.asarray(out.timesteps))
        secs.append(time.perf_counter() - tic)
    return MultiscaleResult(scales, tuple(samples), tuple(ups), tuple(steps), tuple(secs))
