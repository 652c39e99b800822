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

Refinement, two ways (``Refinement``; ``MultiscaleOptions.refinement``):
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

Layout (one module per part):

    upsampling  ``upsample``, ``upsample_power``: periodic lifts and their exact mode variances
    target      ``TruncatedSpectrum``, ``scale_target``, ``coarse_lattice_mismatch``: each scale's target
    pipeline    ``MultiscaleOptions``, ``multiscale_sample``: the sampler, one ``sample`` call per scale
    exact       ``exact_multiscale_power``, ``mode_gains``: the exact expected power of the pipeline
"""

from idf.diffusion.multiscale.exact import exact_multiscale_power, mode_gains
from idf.diffusion.multiscale.pipeline import (
    REFINERS,
    MultiscaleOptions,
    MultiscaleResult,
    check_scales,
    multiscale_sample,
    start_step_for,
    steps_per_scale,
)
from idf.diffusion.multiscale.target import TruncatedSpectrum, coarse_lattice_mismatch, scale_target
from idf.diffusion.multiscale.upsampling import UPSAMPLERS, upsample, upsample_power
from idf.diffusion.options import Refinement, Upsampling

__all__ = [
    "REFINERS",
    "UPSAMPLERS",
    "MultiscaleOptions",
    "MultiscaleResult",
    "Refinement",
    "TruncatedSpectrum",
    "Upsampling",
    "check_scales",
    "coarse_lattice_mismatch",
    "exact_multiscale_power",
    "mode_gains",
    "multiscale_sample",
    "scale_target",
    "start_step_for",
    "steps_per_scale",
    "upsample",
    "upsample_power",
]
