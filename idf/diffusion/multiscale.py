"""Coarse-to-fine generation: sample the coarsest lattice, upsample, refine.

How the scales relate. The target is a free field on the finest lattice
[L, L] with per-mode power P(q) (unitary FFT, integer wavenumbers q per box
side). A coarse lattice [l, l], r = L/l, holds the *Fourier truncation* of that
field: its target (``TruncatedSpectrum``) is

    P_l(q) = P_L(q) / r²      for the l² wavenumbers q of the coarse lattice,

because spectral (zero-padding) upsampling multiplies unitary modes by r
(‖x‖² grows by r² while the modes are unchanged in the unnormalised FFT). This
is *not* the same GFF sampled on the coarse lattice: there
P = kT/(λ_l(q) + m²) with λ_l(q) = 4 sin²(πq₁/l) + 4 sin²(πq₂/l); at small q the
truncated target is kT/(λ_l + r²m²) (the mass in lattice units grows with the
spacing) and at large q the two lattice dispersions differ.
``coarse_lattice_mismatch`` measures the gap.

Refinement, two ways:
- **SDEdit** (Meng et al. 2022): noise the upsampled field to an intermediate
  t* (x_t* = √ᾱ_t*·x_up + √(1−ᾱ_t*)·ε) and run the unconditional reverse loop
  from there. Not exact: the modes the coarse scale lacks start with variance
  1 − ᾱ_t* instead of ᾱ_t*·P + 1 − ᾱ_t*, so the fine spectrum is too low at
  high |q| unless t* → T.
- **cascade**: run the whole reverse loop with ``KnownModesDenoiser``, which
  treats the band the coarse field determines (|q_i| < l/2) as known x₀ modes
  and the others with the exact unconditional formula. Exact: the band modes
  end equal to r·(coarse modes), and the other modes of a free field are
  independent of them, so the fine field is distributed as the fine GFF as far
  as each stage's reverse loop is (``exact_multiscale_power``).

Every reverse loop with the exact Gaussian denoiser is linear-Gaussian and
diagonal in Fourier space, so ``exact_multiscale_power`` gives the exact
expected power of every mode at every scale: the reference the tests assert
against (it includes DDIM's own discretisation bias).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from idf._pytree import pytree_dataclass, static
from idf.diagnostics.gaussian import reverse_mode_gains
from idf.diffusion.conditioning import KnownModesDenoiser, band_mask
from idf.diffusion.denoisers import ExactGaussianDenoiser
from idf.diffusion.forward import q_sample
from idf.diffusion.sample import sample, timesteps_for
from idf.diffusion.schedules import Schedule, step_table
from idf.energy import GaussianFreeField, QuadraticEnergy

UPSAMPLERS = ("spectral", "bilinear")
REFINERS = ("sdedit", "cascade")


# --- upsampling (periodic, separable, any l ≤ L) -------------------------------------------------


def _spectral_axis(x: jax.Array, m: int, axis: int) -> jax.Array:
    """Zero-pad the FFT along ``axis`` from n to m; the coarse Nyquist bin (even
    n) is split in half between ±n/2 so the result stays real and the coarse
    sites are reproduced exactly."""
    n = x.shape[axis]
    if m == n:
        return x
    spec = jnp.moveaxis(jnp.fft.fft(x, axis=axis), axis, -1)
    zeros = jnp.zeros((*spec.shape[:-1], m - n - (1 if n % 2 == 0 else 0)), spec.dtype)
    if n % 2 == 0:
        half = n // 2
        nyq = spec[..., half : half + 1] / 2.0
        padded = jnp.concatenate([spec[..., :half], nyq, zeros, nyq, spec[..., half + 1 :]], axis=-1)
    else:
        half = (n + 1) // 2
        padded = jnp.concatenate([spec[..., :half], zeros, spec[..., half:]], axis=-1)
    out = jnp.fft.ifft(padded, axis=-1).real * (m / n)
    return jnp.moveaxis(out, -1, axis).astype(x.dtype)


def _bilinear_axis(x: jax.Array, m: int, axis: int) -> jax.Array:
    """Periodic linear interpolation along ``axis``; fine site i sits at coarse
    coordinate i·n/m (fine site 0 on coarse site 0)."""
    n = x.shape[axis]
    if m == n:
        return x
    u = np.arange(m) * (n / m)
    i0 = np.floor(u).astype(np.int64)
    frac = jnp.asarray(u - i0, x.dtype)
    shape = [1] * x.ndim
    shape[axis] = m
    frac = frac.reshape(shape)
    lo = jnp.take(x, i0 % n, axis=axis)
    hi = jnp.take(x, (i0 + 1) % n, axis=axis)
    return (1.0 - frac) * lo + frac * hi


_AXIS_UPSAMPLERS = {"spectral": _spectral_axis, "bilinear": _bilinear_axis}


def upsample(x: jax.Array, shape: tuple[int, int], method: str = "spectral") -> jax.Array:
    """Periodic upsampling of fields [..., h, w] to [..., H, W] (H ≥ h, W ≥ w).

    "spectral": zero-padding in Fourier space (band-limited interpolation; the
    unitary modes are multiplied by √(HW/hw)); "bilinear": periodic bilinear.
    Both reproduce the coarse values on the coarse sites when H/h, W/w are
    integers.
    """
    if method not in UPSAMPLERS:
        raise ValueError(f"unknown upsampling {method!r}: choose one of {', '.join(UPSAMPLERS)}")
    if shape[0] < x.shape[-2] or shape[1] < x.shape[-1]:
        raise ValueError(f"cannot upsample {x.shape[-2:]} to the smaller {tuple(shape)}")
    fn = _AXIS_UPSAMPLERS[method]
    return fn(fn(x, shape[0], x.ndim - 2), shape[1], x.ndim - 1)


def upsample_power(power: np.ndarray, shape: tuple[int, int], method: str = "spectral") -> np.ndarray:
    """Exact E|û_k|² [H, W] of the upsampled field when the coarse field's modes
    are uncorrelated with E|ĉ_q|² = power[q] [h, w] (any stationary field).

    Upsampling is separable, so its matrix in the unitary Fourier basis is
    T₀ ⊗ T₁ and E|û_k|² = Σ_q |T₀[k₁, q₁]|²·|T₁[k₂, q₂]|²·P(q).
    """
    power = np.asarray(power, np.float64)
    mats = []
    for n, m in zip(power.shape, shape, strict=True):
        real = np.asarray(_AXIS_UPSAMPLERS[method](jnp.eye(n, dtype=jnp.float32), m, 0), np.float64)
        fourier = np.fft.fft(np.fft.ifft(np.eye(n), norm="ortho", axis=0).T @ real.T, norm="ortho", axis=1)
        mats.append(np.abs(fourier.T) ** 2)  # [m, n]
    return mats[0] @ power @ mats[1].T


# --- the coarse-scale target ---------------------------------------------------------------------


@pytree_dataclass
class TruncatedSpectrum(QuadraticEnergy):
    """The Fourier truncation of ``fine`` (a free field on ``fine_shape``) to a
    coarser lattice: E|x̂_q|² = P_fine(q)·(hw/HW) for the coarse wavenumbers q
    (see the module docstring). At ``fine_shape`` it equals ``fine``.
    """

    fine: QuadraticEnergy
    fine_shape: tuple[int, int] = static()

    @property
    def kT(self):
        return self.fine.kT

    def covariance_spectrum(self, shape: tuple[int, int]) -> jax.Array:
        (h, w), (hf, wf) = shape, self.fine_shape
        if h > hf or w > wf:
            raise ValueError(f"a truncation of {self.fine_shape} cannot have the larger shape {tuple(shape)}")
        p_fine = self.fine.covariance_spectrum(self.fine_shape)
        rows = (np.fft.fftfreq(h) * h).astype(np.int64) % hf
        cols = (np.fft.fftfreq(w) * w).astype(np.int64) % wf
        return p_fine[np.ix_(rows, cols)] * (h * w / (hf * wf))

    def spectrum(self, shape: tuple[int, int]) -> jax.Array:
        return self.kT / self.covariance_spectrum(shape)

    def energy(self, x: jax.Array) -> jax.Array:
        x_hat = jnp.fft.fft2(x, norm="ortho")
        return 0.5 * jnp.sum(self.spectrum(x.shape) * jnp.abs(x_hat) ** 2)


def scale_target(energy: QuadraticEnergy, fine_shape: tuple[int, int], shape: tuple[int, int]) -> QuadraticEnergy:
    """The target at ``shape``: ``energy`` itself at the finest scale, else its truncation."""
    return energy if tuple(shape) == tuple(fine_shape) else TruncatedSpectrum(energy, tuple(fine_shape))


def coarse_lattice_mismatch(mass2: float, kT: float, fine: int, coarse: int, *, matched: bool = False) -> float:
    """max_q |P_trunc(q)/P_GFF(q) − 1| between the truncated target at side
    ``coarse`` and a GFF sampled on that lattice: with the same m²
    (``matched=False``; off by 1/r² at q = 0 alone), or with the mass matched
    in lattice units, m² → r²·m² (``matched=True``; then only the two lattice
    dispersions differ, most at the coarse Nyquist)."""
    r2 = (fine / coarse) ** 2
    gff = GaussianFreeField(mass2=mass2, kT=kT)
    trunc = np.asarray(TruncatedSpectrum(gff, (fine, fine)).covariance_spectrum((coarse, coarse)))
    other = GaussianFreeField(mass2=mass2 * r2 if matched else mass2, kT=kT)
    return float(np.max(np.abs(trunc / np.asarray(other.covariance_spectrum((coarse, coarse))) - 1.0)))


# --- the pipeline --------------------------------------------------------------------------------


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


def _check_scales(scales: Sequence[int]) -> tuple[int, ...]:
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


def multiscale_sample(
    key: jax.Array,
    energy: QuadraticEnergy,
    schedule: Schedule,
    scales: Sequence[int],
    num_samples: int,
    *,
    method: str = "sdedit",
    upsampling: str = "spectral",
    t_star: float = 0.5,
    inference_steps: int | Sequence[int] = 50,
    sampler: str = "ddim",
    eta: float = 0.0,
    spacing: str = "trailing",
    keep: int = 4,
) -> MultiscaleResult:
    """Coarse-to-fine samples of the free field ``energy`` on the finest scale.

    scales           lattice sides, coarse to fine (e.g. (64, 128, 256)); the
                     target at each coarser side is ``TruncatedSpectrum``.
    method           "sdedit" (noise the upsampled field to t* and denoise) or
                     "cascade" (exact known-modes conditional denoiser, the full
                     loop from T at each scale; ``t_star`` is not used).
    upsampling       "spectral" or "bilinear" (SDEdit's start; the cascade
                     always conditions on the spectral lift, which holds the
                     coarse field's information losslessly).
    inference_steps  reverse steps per scale (for SDEdit: on [0, t*]): one int
                     for all, or one per scale (coarse scales are cheap, and
                     their loops work on smaller per-mode powers P/r², where
                     few DDIM steps are more biased).
    sampler, eta     "ddim" (η ∈ [0, 1]) or "ddpm", as in ``sample``.
    spacing          sub-sequence spacing; "trailing" starts exactly at t*.

    Each scale is one jitted ``sample`` call (one compilation per scale shape).
    """
    scales = _check_scales(scales)
    if method not in REFINERS:
        raise ValueError(f"unknown refinement {method!r}: choose one of {', '.join(REFINERS)}")
    if upsampling not in UPSAMPLERS:
        raise ValueError(f"unknown upsampling {upsampling!r}: choose one of {', '.join(UPSAMPLERS)}")
    fine_shape = (scales[-1], scales[-1])
    start_step = start_step_for(schedule, t_star) if method == "sdedit" else None
    counts = steps_per_scale(inference_steps, len(scales))
    kw = dict(method=sampler, eta=eta, spacing=spacing, keep=keep)
    key_coarse, *keys_refine = jax.random.split(key, len(scales))

    shape = (scales[0], scales[0])
    tic = time.perf_counter()
    denoiser = ExactGaussianDenoiser(scale_target(energy, fine_shape, shape))
    out = sample(key_coarse, denoiser, schedule, shape, num_samples, inference_steps=counts[0], **kw)
    x = jax.block_until_ready(out.samples)
    samples, ups, steps, secs = [x], [], [np.asarray(out.timesteps)], [time.perf_counter() - tic]

    for side, key_scale, count in zip(scales[1:], keys_refine, counts[1:], strict=True):
        shape = (side, side)
        tic = time.perf_counter()
        target = scale_target(energy, fine_shape, shape)
        if method == "sdedit":
            key_noise, key_loop = jax.random.split(key_scale)
            x_up = upsample(x, shape, upsampling)
            first = timesteps_for(schedule, count, spacing, start_step=start_step)[0]
            noise = jax.random.normal(key_noise, x_up.shape, x_up.dtype)
            x_start = q_sample(x_up, jnp.asarray(schedule.alpha_bars[first], x_up.dtype), noise)
            out = sample(key_loop, ExactGaussianDenoiser(target), schedule, shape, num_samples,
                         x_T=x_start, start_step=start_step, inference_steps=count, **kw)
        else:
            x_up = upsample(x, shape, "spectral")
            denoiser = KnownModesDenoiser(target, (x.shape[-2], x.shape[-1]))
            out = sample(key_scale, denoiser, schedule, shape, num_samples, condition=x_up,
                         inference_steps=count, **kw)
        x = jax.block_until_ready(out.samples)
        samples.append(x)
        ups.append(x_up)
        steps.append(np.asarray(out.timesteps))
        secs.append(time.perf_counter() - tic)
    return MultiscaleResult(scales, tuple(samples), tuple(ups), tuple(steps), tuple(secs))


# --- exact expected spectra ----------------------------------------------------------------------


def mode_gains(
    power: np.ndarray, alpha_bar: np.ndarray, alpha_bar_prev: np.ndarray, *, sampler: str, eta: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-mode (G², N) of a reverse loop with the exact denoiser of spectrum
    ``power``: the output variance is G²·v_start + N
    (``diagnostics.reverse_mode_gains``; any start variance works).
    """
    return reverse_mode_gains(power, alpha_bar, alpha_bar_prev, method=sampler, eta=eta)


def exact_multiscale_power(
    energy: QuadraticEnergy,
    schedule: Schedule,
    scales: Sequence[int],
    *,
    method: str = "sdedit",
    upsampling: str = "spectral",
    t_star: float = 0.5,
    inference_steps: int | Sequence[int] = 50,
    sampler: str = "ddim",
    eta: float = 0.0,
    spacing: str = "trailing",
) -> list[np.ndarray]:
    """Exact E|x̂_k|² [L_s, L_s] at every scale of ``multiscale_sample`` with the
    same arguments (float64). Mode by mode: the coarse loop from v = 1; SDEdit
    from v = ᾱ_first·u + 1 − ᾱ_first with u the upsampled power; the cascade
    keeps u in the known band and runs the unconditional loop elsewhere.

    Exact for spectral upsampling, and for bilinear when every ratio
    L_{s+1}/L_s is an integer: periodic upsampling is then zero-insertion plus a
    fine-lattice filter, so every fine mode is fed by exactly one coarse mode and
    the correlations that bilinear aliasing creates between fine modes never
    enter a variance. Bilinear with a non-integer ratio: the first refinement is
    exact, later ones neglect those correlations.
    """
    scales = _check_scales(scales)
    fine_shape = (scales[-1], scales[-1])
    counts = steps_per_scale(inference_steps, len(scales))
    start_step = start_step_for(schedule, t_star) if method == "sdedit" else None
    out = []
    for i, (side, count) in enumerate(zip(scales, counts, strict=True)):
        shape = (side, side)
        p = np.asarray(scale_target(energy, fine_shape, shape).covariance_spectrum(shape), np.float64)
        if i == 0 or method == "cascade":
            full = step_table(schedule, timesteps_for(schedule, count, spacing))
            g2, nz = mode_gains(p, *full, sampler=sampler, eta=eta)
            v = g2 + nz
            if i > 0:
                u = upsample_power(out[-1], shape, "spectral")
                v = np.where(band_mask((scales[i - 1],) * 2, shape), u, v)
        else:
            u = upsample_power(out[-1], shape, upsampling)
            part = step_table(schedule, timesteps_for(schedule, count, spacing, start_step=start_step))
            g2, nz = mode_gains(p, *part, sampler=sampler, eta=eta)
            ab0 = part[0][0]
            v = g2 * (ab0 * u + 1.0 - ab0) + nz
        out.append(v)
    return out
