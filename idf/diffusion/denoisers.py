"""Noise predictors ε̂(x_t, t) on one unbatched field [H, W]: the ``Denoiser``
interface and the analytic ones.

Every denoiser is a pytree (its parameters are traced leaves) that satisfies
``Denoiser``:

    __call__(x_t, t, alpha_bar, condition) -> ε̂  (same shape as x_t)
    learns_variance: bool                       (declared, never guessed)

where ``t`` is the integer training timestep, ``alpha_bar`` its ᾱ_t and
``condition`` an optional field (ignored by the analytic denoisers).

A denoiser that also predicts the reverse variance (a U-Net trained with the
hybrid loss, ``idf.models.UNetDenoiser``) has ``learns_variance`` True and is a
``VarianceDenoiser``:

    eps_and_variance(x_t, t, alpha_bar, condition) -> (ε̂, v')

with v' the per-site fraction of ``reverse.learned_variance``; the DDPM loop
uses it, every other path only ε̂. The conditional denoisers for Gaussian data
live in ``conditioning``; the network adapters in ``idf.models``.
"""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass
from idf.energy import Energy, QuadraticEnergy


@runtime_checkable
class Denoiser(Protocol):
    """ε̂(x_t [H, W], t int, ᾱ_t scalar, condition [H, W] | None) -> ε̂ [H, W].

    ``learns_variance`` says whether the object is also a ``VarianceDenoiser``
    (the DDPM loop then uses its σ²_θ instead of the fixed β̃).
    """

    @property
    def learns_variance(self) -> bool: ...

    def __call__(
        self, x_t: jax.Array, t: jax.Array, alpha_bar: jax.Array, condition: jax.Array | None = None
    ) -> jax.Array: ...


@runtime_checkable
class VarianceDenoiser(Denoiser, Protocol):
    """A ``Denoiser`` with ``learns_variance`` True that also predicts v' [H, W]."""

    def eps_and_variance(
        self, x_t: jax.Array, t: jax.Array, alpha_bar: jax.Array, condition: jax.Array | None = None
    ) -> tuple[jax.Array, jax.Array]: ...


@pytree_dataclass
class ExactGaussianDenoiser:
    """The Bayes-optimal ε̂ for data N(0, C), C = the energy's exact covariance:

        ε*(x_t) = √(1−ᾱ_t)·(ᾱ_t·C + (1−ᾱ_t)·I)⁻¹·x_t     (DESIGN §4)

    diagonal in Fourier space for a translation-invariant free field, so any
    lattice size is cheap. With it every reverse step is linear-Gaussian.
    """

    energy: QuadraticEnergy
    learns_variance: ClassVar[bool] = False

    def __call__(self, x_t, t, alpha_bar, condition=None):
        power = self.energy.covariance_spectrum(x_t.shape).astype(x_t.dtype)
        x_hat = jnp.fft.fft2(x_t, norm="ortho")
        eps_hat = jnp.sqrt(1.0 - alpha_bar) * x_hat / (alpha_bar * power + 1.0 - alpha_bar)
        return jnp.fft.ifft2(eps_hat, norm="ortho").real.astype(x_t.dtype)


@pytree_dataclass
class EnergyDenoiser:
    """ε̂ = −√(1−ᾱ_t)·∇log p_φ(x_t): uses the energy's score as if x_t were
    distributed as exp(−φ/kT) at every t. Exact only as t → 0; at large t it
    ignores the noise entirely. A baseline that needs no training.
    """

    energy: Energy
    learns_variance: ClassVar[bool] = False

    def __call__(self, x_t, t, alpha_bar, condition=None):
        return -jnp.sqrt(1.0 - alpha_bar) * self.energy.score(x_t)


def apply_batched(
    denoiser: Denoiser, x_t: jax.Array, t: jax.Array, alpha_bar: jax.Array, condition, *, with_variance: bool = False
):
    """ε̂ for a batch [B, H, W]; ``condition`` is [B, H, W] or None. With
    ``with_variance`` (for a denoiser that ``learns_variance``): (ε̂, v') [B, H, W] each."""
    fn = denoiser.eps_and_variance if with_variance else denoiser
    if condition is None:
        return jax.vmap(lambda x: fn(x, t, alpha_bar, None))(x_t)
    return jax.vmap(lambda x, c: fn(x, t, alpha_bar, c))(x_t, condition)
