"""Cached compute for the Multi-scale page: the coarse-to-fine run scored
shell by shell against the exact spectra, and inpainting against the exact
conditional Gaussian. The page only draws what these return."""

from __future__ import annotations

import jax
import numpy as np
import streamlit as st

from idf.app.timing import timed
from idf.diagnostics import (
    gaussian_shell_stderr,
    radial_average,
    radial_power_spectrum,
    reverse_output_variance,
    shell_z_scores,
)
from idf.diffusion import ExactGaussianDenoiser, Inpaint, make_schedule, sample, step_table, timesteps_for
from idf.diffusion.conditioning import inpainting_denoiser, mask_preset
from idf.diffusion.multiscale import (
    MultiscaleOptions,
    exact_multiscale_power,
    multiscale_sample,
    scale_target,
)
from idf.energy import GaussianFreeField


@st.cache_data(max_entries=16, show_spinner="Coarse-to-fine sampling …")
def multiscale_run(scales: str, method: str, upsampling: str, t_star: float, steps: int, mass2: float,
                   kT: float, n: int, seed: int) -> dict:
    """Every scale's samples, radial spectra (measured, exact pipeline, target) and timings."""
    sides = tuple(int(s) for s in scales.split(","))
    gff, sched = GaussianFreeField(mass2=mass2, kT=kT), make_schedule("linear", 1000)
    options = MultiscaleOptions(refinement=method, upsampling=upsampling, t_star=t_star, inference_steps=steps)
    with timed("multi-scale") as timing:
        res = multiscale_sample(jax.random.key(seed), gff, sched, sides, n, options)
    exact = exact_multiscale_power(gff, sched, sides, options)
    fine = (sides[-1], sides[-1])
    out = {"scales": sides, "seconds": res.seconds, "timing": timing, "samples": {}, "measured": {},
           "exact": {}, "target": {}, "coarse_gff": {}, "z": {}}
    for side, x, v in zip(sides, res.samples, exact, strict=True):
        x = np.asarray(x)
        shape = (side, side)
        target = np.asarray(scale_target(gff, fine, shape).covariance_spectrum(shape), np.float64)
        measured = radial_power_spectrum(x)
        out["samples"][side] = x
        out["measured"][side] = measured
        out["exact"][side] = radial_average(v)
        out["target"][side] = radial_average(target)
        out["coarse_gff"][side] = radial_average(np.asarray(gff.covariance_spectrum(shape), np.float64))
        se = gaussian_shell_stderr(v, n)
        out["z"][side] = float(np.max(np.abs(shell_z_scores(measured, out["exact"][side], se))))
    ab, abp = step_table(sched, timesteps_for(sched, steps, "trailing"))
    p_fine = np.asarray(gff.covariance_spectrum(fine), np.float64)
    single = radial_average(reverse_output_variance(p_fine, ab, abp, method="ddim")).power
    want = out["target"][sides[-1]].power
    out["bias"] = float(np.max(np.abs(out["exact"][sides[-1]].power / want - 1.0)))
    out["single_bias"] = float(np.max(np.abs(single / want - 1.0)))
    return out


@st.cache_data(max_entries=16, show_spinner="Inpainting …")
def inpainting_run(size: int, mass2: float, kT: float, preset: str, steps: int, n: int, seed: int) -> dict:
    """Replacement inpainting and the exact conditional denoiser, against the exact conditional Gaussian."""
    gff, sched = GaussianFreeField(mass2=mass2, kT=kT), make_schedule("linear", 1000)
    shape = (size, size)
    key_obs, key_rep, key_cond = jax.random.split(jax.random.key(seed), 3)
    y = np.asarray(gff.sample_exact(key_obs, shape, 1)[0], np.float64)
    mask = mask_preset(preset, shape, seed)
    denoiser, mu, cond = inpainting_denoiser(gff, y, mask)
    kw = dict(inference_steps=steps, spacing="trailing", inpaint=Inpaint(y, mask))
    with timed("inpainting") as timing:
        rep = np.asarray(sample(key_rep, ExactGaussianDenoiser(gff), sched, shape, n, **kw).samples)
        ex = np.asarray(sample(key_cond, denoiser, sched, shape, n, **kw).samples)
    unk = ~mask
    sd = np.sqrt(np.diag(cond)).reshape(shape)
    out = {"y": y, "mask": mask, "mu": mu, "sd": sd, "timing": timing, "rep": rep, "cond": ex}
    for name, x in (("rep", rep), ("cond", ex)):
        m, s = x.mean(0), x.std(0, ddof=1)
        out[f"{name}_mean"], out[f"{name}_sd"] = m, s
        out[f"{name}_zmean"] = float(np.max(np.abs(m[unk] - mu[unk]) / (sd[unk] / np.sqrt(n))))
        out[f"{name}_sdratio"] = float(np.max(np.abs(s[unk] / sd[unk] - 1.0)))
        out[f"{name}_exact_known"] = bool(np.all(x[:, mask] == y.astype(x.dtype)[mask]))
    return out
