"""Scoring trained denoisers against exact answers.

- GFF: samples of the model and of the exact Gaussian denoiser, drawn with the
  same start noise and the same DDIM sub-sequence, scored with the
  Fourier-diagonal KL and the Fréchet (W₂²) distance to the exact target; the
  exact loop's own KL (no sampling error) is reported beside them. The
  Bayes-optimal ε-MSE tells how far a training loss is from perfect.
- φ⁴: magnetisation observables with standard errors (``phi4_summary``) and
  the histogram of m with Poisson error bars, to set beside HMC's.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from idf import diagnostics
from idf.diffusion import Denoiser, ExactGaussianDenoiser, VarianceDenoiser, apply_batched, q_sample, sample, step_table
from idf.diffusion.reverse import ddpm_posterior, learned_variance
from idf.diffusion.schedules import Schedule, inference_timesteps
from idf.energy import GaussianFreeField


def optimal_eps_mse(power: np.ndarray, alpha_bars: np.ndarray) -> float:
    """The smallest ε-MSE any network can reach on Gaussian data N(0, diag P):

    per mode and t, Var(ε | x_t) = ᾱP/(ᾱP + 1 − ᾱ); averaged over modes and
    uniform t. power [H, W] (unitary-FFT spectrum), alpha_bars [T].
    """
    p = np.asarray(power, np.float64)[None]
    ab = np.asarray(alpha_bars, np.float64)[:, None, None]
    return float(np.mean(ab * p / (ab * p + 1.0 - ab)))


def evaluate_gff(
    key: jax.Array,
    denoiser: Denoiser,
    schedule: Schedule,
    target: GaussianFreeField,
    size: int,
    num_samples: int,
    *,
    inference_steps: int = 50,
    spacing: str = "leading",
    method: str = "ddim",
    keep_samples: bool = False,
) -> dict[str, Any]:
    """KL and Fréchet of ``denoiser``'s samples (DDIM with η = 0, or DDPM, which
    uses a learned variance when the model has one) and of the exact
    denoiser's, same key, same steps, same method. Returns a flat dict of floats: kl_model,
    kl_exact, kl_exact_loop (exact, no sampling error), frechet_model,
    frechet_exact, kl_bias (``fourier_kl_bias``: ≈ (N + n_self)/(4n), the
    estimator's finite-sample bias for i.i.d. draws), kl_exact_expected and
    kl_exact_sd (what the exact samples' KL̂ should be, exact loop KL + bias,
    and its sd: ``fourier_kl_moments``), kl_model_z = (kl_model −
    kl_exact_expected)/kl_exact_sd, num_samples, inference_steps; with
    ``keep_samples`` also samples_model and samples_exact [n, H, W]. kl_model
    is a lower bound on the model's distance to the target: the Fourier KL
    sees only mode variances, not non-stationarity or non-Gaussianity."""
    shape = (size, size)
    power = np.asarray(target.covariance_spectrum(shape), np.float64)
    out: dict[str, Any] = {"num_samples": num_samples, "inference_steps": inference_steps, "method": method}
    for name, den in (("model", denoiser), ("exact", ExactGaussianDenoiser(target))):
        result = sample(
            key, den, schedule, shape, num_samples, inference_steps=inference_steps, spacing=spacing, solver=method
        )
        samples = np.asarray(result.samples, np.float64)
        finite = bool(np.all(np.isfinite(samples)))
        if keep_samples:
            out[f"samples_{name}"] = samples
        out[f"kl_{name}"] = diagnostics.fourier_kl(samples, power) if finite else float("inf")
        out[f"frechet_{name}"] = diagnostics.frechet_distance(samples, power) if finite else float("inf")
    ab, ab_prev = step_table(schedule, inference_timesteps(schedule.num_steps, inference_steps, spacing))
    v = diagnostics.reverse_output_variance(power, ab, ab_prev, method=method, eta=0.0)
    out["kl_exact_loop"] = diagnostics.gaussian_kl(v, power)
    out["kl_bias"] = diagnostics.fourier_kl_bias((size, size), num_samples)
    out["kl_exact_expected"], out["kl_exact_sd"] = diagnostics.fourier_kl_moments(shape, num_samples, v, power)
    out["kl_model_z"] = (out["kl_model"] - out["kl_exact_expected"]) / out["kl_exact_sd"]
    return out


K_SD = 4.0  # how many sd of KL̂ a model may sit from the exact loop's expectation


def matches_exact_loop(scores: dict[str, Any], k: float = K_SD) -> bool:
    """True when the model's Fourier KL̂ (an ``evaluate_gff`` result) lies within
    k sd of what the exact denoiser's samples score on average: the exact
    loop's KL + the estimator's bias (``kl_model_z``). Two-sided: at few steps
    the exact loop is far from the target, and a wrong model (an untrained,
    preconditioned U-Net is the white-noise denoiser) can score below it."""
    return bool(abs(float(scores["kl_model_z"])) < k)


def phi4_summary(fields: np.ndarray, groups: int = 16) -> dict[str, float]:
    """⟨|m|⟩, χ₂, U₄, P(m > 0) with ``*_error`` of independent fields [n, H, W]
    (diffusion samples), via ``idf.diagnostics.phi4_observables`` on ``groups``
    pseudo-chains; scalars only."""
    x = np.asarray(fields, np.float64)
    n = (len(x) // groups) * groups
    obs = diagnostics.phi4_observables(x[:n].reshape(groups, n // groups, *x.shape[1:]))
    return {k: float(v) for k, v in obs.items() if np.ndim(v) == 0}


def magnetisation_histogram(fields: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Density histogram of m over ``edges`` [k+1] and its Poisson error bars [k]."""
    m = np.asarray(fields, np.float64).reshape(len(fields), -1).mean(axis=1)
    counts, _ = np.histogram(m, bins=edges)
    widths = np.diff(edges)
    norm = max(len(m), 1) * widths
    return counts / norm, np.sqrt(counts) / norm


def variance_curve(
    key: jax.Array,
    denoiser: VarianceDenoiser,
    schedule: Schedule,
    fields: np.ndarray,
    power: np.ndarray | None = None,
    points: int = 24,
) -> dict[str, np.ndarray]:
    """A learned reverse variance against its bounds, at ``points`` timesteps t ≥ 1.

    σ²_θ(t) is the site mean of exp(v'·log β_t + (1−v')·log β̃_t) on ``fields``
    noised to x_t. Returns t, learned, beta (β_t), beta_tilde (β̃_t) and, with
    the data's Fourier ``power`` (a GFF), exact: the mean over modes of the
    posterior variance β_t·s_{t−1}/s_t, s_t = ᾱ_t·P + 1 − ᾱ_t, which is the
    σ² that minimises L_vlb for Gaussian data.
    """
    ab_all = np.asarray(schedule.alpha_bars, np.float64)
    t = np.unique(np.geomspace(1, len(ab_all) - 1, points).astype(int))
    ab, ab_prev = ab_all[t], ab_all[t - 1]
    fracs = _variance_fractions(denoiser, jax.numpy.asarray(fields, jax.numpy.float32), key,
                                jax.numpy.asarray(t, jax.numpy.int32), jax.numpy.asarray(ab, jax.numpy.float32))
    learned = np.array([np.mean(np.asarray(learned_variance(f, a, a_prev), np.float64))
                        for f, a, a_prev in zip(fracs, ab, ab_prev, strict=True)])
    _, _, beta_tilde = ddpm_posterior(ab, ab_prev)
    beta = 1.0 - ab / ab_prev
    out = {"t": t, "learned": learned, "beta": beta, "beta_tilde": np.asarray(beta_tilde, np.float64)}
    if power is not None:
        p = np.asarray(power, np.float64).ravel()[None, :]
        s_t, s_prev = ab[:, None] * p + 1 - ab[:, None], ab_prev[:, None] * p + 1 - ab_prev[:, None]
        out["exact"] = np.mean(beta[:, None] * s_prev / s_t, axis=1)
    return out


@jax.jit
def _variance_fractions(denoiser, x0, key, t, ab):
    """v' [P, n, H, W] of ``x0`` noised to each (t, ᾱ_t): every timestep in one compiled call."""

    def one(i, step, a):
        noise = jax.random.normal(jax.random.fold_in(key, i), x0.shape, x0.dtype)
        return apply_batched(denoiser, q_sample(x0, a, noise), step, a, None, with_variance=True)[1]

    return jax.vmap(one)(jax.numpy.arange(t.shape[0]), t, ab)
