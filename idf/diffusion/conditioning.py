"""Exact conditional denoisers for Gaussian data, and the exact moments of the
reverse loop that uses them.

Two kinds of conditioning, both exact for a Gaussian target:

- **Known Fourier modes** (the cascade of ``multiscale``): a coarse field of
  shape [h, w] fixes the fine field's modes in the band |q₁| < h/2, |q₂| < w/2
  (integer wavenumbers, ``band_mask``). Given x₀'s value there, ε is not
  estimated but known: x_t = √ᾱ·x₀ + √(1−ᾱ)·ε gives ε = (x_t − √ᾱ·x₀)/√(1−ᾱ)
  in those modes. The other modes of a free field are independent of the band,
  so E[ε | x_t, band of x₀] there is the unconditional exact formula
  √(1−ᾱ)·x̂_t/(ᾱ·P + 1 − ᾱ). Both halves are the Bayes-optimal ε̂ given the
  condition, so ``KnownModesDenoiser`` is the exact conditional denoiser.
- **Known sites** (inpainting): x₀ restricted to the unknown sites given the
  known ones is N(μ, S) (``conditional_gaussian``, dense linear algebra), and
  the exact denoiser of any Gaussian N(μ, S) is
  ε* = √(1−ᾱ)·(ᾱ·S + (1−ᾱ)·I)⁻¹·(x_t − √ᾱ·μ)       (DESIGN §4, shifted by μ)
  (``DenseGaussianDenoiser``). With S's known rows and columns zero, this gives
  the known-mode formula above at the known sites.

``loop_moments`` propagates the exact mean and covariance of the DDIM loop that
uses such a denoiser, with or without the replacement inpainting of
``sample(inpaint=Inpaint(...))``: the reference the sampling tests assert against.
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from idf._pytree import pytree_dataclass, static
from idf.diagnostics.distances import covariance_from_power
from idf.energy import QuadraticEnergy


def band_mask(coarse_shape: tuple[int, int], fine_shape: tuple[int, int]) -> np.ndarray:
    """Fine modes the coarse lattice determines exactly: |q₁| < h/2 and |q₂| < w/2
    (integer wavenumbers per box side), bool [H, W] in ``fft2`` layout.

    The coarse Nyquist lines (|q| = h/2) are left out: there a coarse mode is
    real while the fine lattice has two conjugate modes, so the coarse field
    does not determine them.
    """
    (h, w), (hf, wf) = coarse_shape, fine_shape
    q1 = np.abs(np.fft.fftfreq(hf) * hf)
    q2 = np.abs(np.fft.fftfreq(wf) * wf)
    return (q1[:, None] < h / 2) & (q2[None, :] < w / 2)


@pytree_dataclass
class KnownModesDenoiser:
    """Exact ε̂ for a free field whose band modes are known (the cascade).

    ``condition`` [H, W] is the coarse field lifted to the fine lattice by
    spectral (zero-padding) upsampling, so its band modes are x₀'s band modes.
    Works on one field; ``coarse_shape`` is static (it selects the band).
    """

    energy: QuadraticEnergy
    coarse_shape: tuple[int, int] = static()
    learns_variance: ClassVar[bool] = False

    def __call__(self, x_t, t, alpha_bar, condition=None):
        if condition is None:
            raise ValueError("KnownModesDenoiser needs the upsampled coarse field as condition")
        power = self.energy.covariance_spectrum(x_t.shape).astype(x_t.dtype)
        mask = jnp.asarray(band_mask(self.coarse_shape, x_t.shape))
        x_hat = jnp.fft.fft2(x_t, norm="ortho")
        x0_hat = jnp.fft.fft2(condition.astype(x_t.dtype), norm="ortho")
        eps_known = (x_hat - jnp.sqrt(alpha_bar) * x0_hat) / jnp.sqrt(1.0 - alpha_bar)
        eps_free = jnp.sqrt(1.0 - alpha_bar) * x_hat / (alpha_bar * power + 1.0 - alpha_bar)
        eps_hat = jnp.where(mask, eps_known, eps_free)
        return jnp.fft.ifft2(eps_hat, norm="ortho").real.astype(x_t.dtype)


def conditional_gaussian(
    cov: np.ndarray, values: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, C) conditioned on x[mask] = values[mask] (dense, float64).

    cov [N, N] with N = H·W (row-major sites), values and mask [H, W].
    Returns the conditional mean [H, W] (equal to ``values`` on the mask) and
    covariance [N, N] (zero in the known rows and columns):
    μ_U = C_UK·C_KK⁻¹·y,  S_UU = C_UU − C_UK·C_KK⁻¹·C_KU.
    """
    cov = np.asarray(cov, np.float64)
    known = np.asarray(mask, bool).reshape(-1)
    y = np.asarray(values, np.float64).reshape(-1)
    unk = ~known
    c_kk = cov[np.ix_(known, known)]
    c_uk = cov[np.ix_(unk, known)]
    gain = np.linalg.solve(c_kk, c_uk.T).T  # C_UK·C_KK⁻¹
    mean = np.where(known, y, 0.0)
    mean[unk] = gain @ y[known]
    cond = np.zeros_like(cov)
    cond[np.ix_(unk, unk)] = cov[np.ix_(unk, unk)] - gain @ c_uk.T
    return mean.reshape(np.shape(values)), 0.5 * (cond + cond.T)


@pytree_dataclass
class DenseGaussianDenoiser:
    """The exact ε̂ for data N(μ, S) with a dense covariance (small lattices).

    mean [H, W]; S = eigvecs·diag(eigvals)·eigvecsᵀ, eigvecs [N, N], eigvals [N].
        ε*(x_t) = √(1−ᾱ)·(ᾱ·S + (1−ᾱ)·I)⁻¹·(x_t − √ᾱ·μ)
    """

    mean: jax.Array
    eigvecs: jax.Array
    eigvals: jax.Array
    learns_variance: ClassVar[bool] = False

    def __call__(self, x_t, t, alpha_bar, condition=None):
        resid = (x_t - jnp.sqrt(alpha_bar) * self.mean).reshape(-1)
        gain = jnp.sqrt(1.0 - alpha_bar) / (alpha_bar * self.eigvals + 1.0 - alpha_bar)
        eps = self.eigvecs @ (gain * (self.eigvecs.T @ resid))
        return eps.reshape(x_t.shape).astype(x_t.dtype)


def dense_denoiser(mean: np.ndarray, cov: np.ndarray, dtype=None) -> DenseGaussianDenoiser:
    """``DenseGaussianDenoiser`` for N(mean [H, W], cov [N, N])."""
    evals, evecs = np.linalg.eigh(np.asarray(cov, np.float64))
    dtype = dtype or jnp.result_type(float)
    return DenseGaussianDenoiser(
        jnp.asarray(mean, dtype), jnp.asarray(evecs, dtype), jnp.asarray(np.clip(evals, 0.0, None), dtype)
    )


def inpainting_denoiser(
    energy: QuadraticEnergy, values: np.ndarray, mask: np.ndarray
) -> tuple[DenseGaussianDenoiser, np.ndarray, np.ndarray]:
    """Exact conditional denoiser for a free field with the sites ``mask`` [H, W]
    fixed at ``values`` [H, W]. Returns (denoiser, conditional mean [H, W],
    conditional covariance [N, N]); the last two are the exact reference.
    """
    shape = np.shape(values)
    cov = covariance_from_power(np.asarray(energy.covariance_spectrum(shape), np.float64))
    mean, cond = conditional_gaussian(cov, values, mask)
    return dense_denoiser(mean, cond), mean, cond


def loop_moments(
    data_mean: np.ndarray,
    data_cov: np.ndarray,
    alpha_bar: np.ndarray,
    alpha_bar_prev: np.ndarray,
    *,
    eta: float = 0.0,
    known: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean [N] and covariance [N, N] of x₀ from ``sample(solver="ddim")``
    with the exact denoiser of N(data_mean [H, W], data_cov [N, N]).

    Each DDIM step (Song et al. eq. 12) with ε̂ = K·x + e is affine,
    x_prev = A·x + b + σ·z, so the moments propagate as m ← A·m + b,
    C ← A·C·Aᵀ + σ²·I, from x_T ~ N(0, I). With ``known`` = (values, mask), the
    replacement step of ``sample(inpaint=Inpaint(values, mask))`` follows: known sites are reset to
    √ᾱ_prev·y plus fresh noise of variance 1 − ᾱ_prev.
    """
    mu = np.asarray(data_mean, np.float64).reshape(-1)
    evals, evecs = np.linalg.eigh(np.asarray(data_cov, np.float64))
    evals = np.clip(evals, 0.0, None)
    n = mu.size
    eye = np.eye(n)
    m, c = np.zeros(n), eye.copy()
    if known is not None:
        y = np.asarray(known[0], np.float64).reshape(-1)
        kmask = np.asarray(known[1], bool).reshape(-1)
    for ab, abp in zip(np.asarray(alpha_bar, np.float64), np.asarray(alpha_bar_prev, np.float64), strict=True):
        k = (evecs * (np.sqrt(1.0 - ab) / (ab * evals + 1.0 - ab))) @ evecs.T
        e = -np.sqrt(ab) * (k @ mu)
        sigma2 = eta**2 * (1.0 - abp) / (1.0 - ab) * (1.0 - ab / abp)
        c2 = np.sqrt(max(1.0 - abp - sigma2, 0.0))
        a = np.sqrt(abp / ab) * (eye - np.sqrt(1.0 - ab) * k) + c2 * k
        b = (c2 - np.sqrt(abp * (1.0 - ab) / ab)) * e
        m = a @ m + b
        c = a @ c @ a.T + sigma2 * eye
        if known is not None:
            m = np.where(kmask, np.sqrt(abp) * y, m)
            c[kmask, :] = 0.0
            c[:, kmask] = 0.0
            c[kmask, kmask] = 1.0 - abp
    return m, 0.5 * (c + c.T)


MASK_PRESETS = ("centre hole", "left half", "stripes", "random 50 %", "sparse 10 %")


def mask_preset(name: str, shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Known-site masks for inpainting demos, bool [H, W] (True = observed).

    "centre hole": all but the central H/2 × W/2 block; "left half": columns
    < W/2; "stripes": every other column; "random 50 %" / "sparse 10 %":
    each site observed with that probability (NumPy generator seeded by ``seed``).
    """
    h, w = shape
    if name == "centre hole":
        mask = np.ones(shape, bool)
        mask[h // 4 : h // 4 + h // 2, w // 4 : w // 4 + w // 2] = False
    elif name == "left half":
        mask = np.zeros(shape, bool)
        mask[:, : w // 2] = True
    elif name == "stripes":
        mask = np.zeros(shape, bool)
        mask[:, ::2] = True
    elif name in ("random 50 %", "sparse 10 %"):
        p = 0.5 if name.startswith("random") else 0.1
        mask = np.random.default_rng(seed).random(shape) < p
    else:
        raise ValueError(f"unknown mask preset {name!r}: choose one of {', '.join(MASK_PRESETS)}")
    if mask.all() or not mask.any():
        raise ValueError(f"mask preset {name!r} leaves nothing to inpaint or nothing observed at {shape}")
    return mask
