"""Exact expected spectra of the coarse-to-fine pipeline.

Every reverse loop with the exact Gaussian denoiser is linear-Gaussian and
diagonal in Fourier space, so the expected power of every mode at every scale
follows mode by mode: the reference the tests assert against (it includes
DDIM's own discretisation bias).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from idf.diagnostics.gaussian import reverse_mode_gains
from idf.diffusion.conditioning import band_mask
from idf.diffusion.multiscale.pipeline import MultiscaleOptions, check_scales, steps_per_scale
from idf.diffusion.multiscale.target import scale_target
from idf.diffusion.multiscale.upsampling import upsample_power
from idf.diffusion.options import Refinement, Solver, Upsampling
from idf.diffusion.schedules import Schedule, step_table, timesteps_for
from idf.energy import QuadraticEnergy


def mode_gains(
    power: np.ndarray, alpha_bar: np.ndarray, alpha_bar_prev: np.ndarray, *, solver: Solver | str, eta: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-mode (G², N) of a reverse loop with the exact denoiser of spectrum
    ``power``: the output variance is G²·v_start + N
    (``diagnostics.reverse_mode_gains``; any start variance works).
    """
    return reverse_mode_gains(power, alpha_bar, alpha_bar_prev, method=Solver(solver).value, eta=eta)


def exact_multiscale_power(
    energy: QuadraticEnergy,
    schedule: Schedule,
    scales: Sequence[int],
    options: MultiscaleOptions = MultiscaleOptions(),  # noqa: B008 - frozen, so a shared default is safe
) -> list[np.ndarray]:
    """Exact E|x̂_k|² [L_s, L_s] at every scale of ``multiscale_sample`` with the
    same ``options`` (float64). Mode by mode: the coarse loop from v = 1; SDEdit
    from v = ᾱ_first·u + 1 − ᾱ_first with u the upsampled power; the cascade
    keeps u in the known band and runs the unconditional loop elsewhere.

    Exact for spectral upsampling, and for bilinear when every ratio
    L_{s+1}/L_s is an integer: periodic upsampling is then zero-insertion plus a
    fine-lattice filter, so every fine mode is fed by exactly one coarse mode and
    the correlations that bilinear aliasing creates between fine modes never
    enter a variance. Bilinear with a non-integer ratio: the first refinement is
    exact, later ones neglect those correlations.
    """
    scales = check_scales(scales)
    fine_shape = (scales[-1], scales[-1])
    counts = steps_per_scale(options.inference_steps, len(scales))
    start_step = options.start_step(schedule)
    gains = dict(solver=options.solver, eta=options.eta)
    out = []
    for i, (side, count) in enumerate(zip(scales, counts, strict=True)):
        shape = (side, side)
        p = np.asarray(scale_target(energy, fine_shape, shape).covariance_spectrum(shape), np.float64)
        if i == 0 or options.refinement is Refinement.CASCADE:
            full = step_table(schedule, timesteps_for(schedule, count, options.spacing))
            g2, nz = mode_gains(p, *full, **gains)
            v = g2 + nz
            if i > 0:
                u = upsample_power(out[-1], shape, Upsampling.SPECTRAL)
                v = np.where(band_mask((scales[i - 1],) * 2, shape), u, v)
        else:
            u = upsample_power(out[-1], shape, options.upsampling)
            part = step_table(schedule, timesteps_for(schedule, count, options.spacing, start_step=start_step))
            g2, nz = mode_gains(p, *part, **gains)
            ab0 = part[0][0]
            v = g2 * (ab0 * u + 1.0 - ab0) + nz
        out.append(v)
    return out
