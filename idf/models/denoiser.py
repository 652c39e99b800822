"""Adapters from NNX networks to the denoiser protocol of ``idf.diffusion``:

    denoiser(x_t [H, W], t int, alpha_bar, condition [H, W] | None) -> ε̂ [H, W]

The adapters are pytrees whose leaves are the network weights (an
``nnx.State``) and whose static part is the ``nnx.GraphDef``, so
``idf.diffusion.sample`` traces the weights: loading another checkpoint of the
same architecture does not recompile. A U-Net with ``learn_sigma`` also gives
``eps_and_variance`` (ε̂ and the variance fraction v'), which DDPM sampling uses.
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from idf._pytree import pytree_dataclass, static
from idf.models.energy_net import EnergyNet
from idf.models.unet import split_output, variance_fraction


class _NetworkAdapter:
    """What both adapters share: built from an NNX module, split into weights
    (``state``, pytree leaves) and a static graph definition."""

    learns_variance: ClassVar[bool] = False  # the Denoiser protocol; UNetDenoiser reads its config

    @classmethod
    def from_model(cls, model: nnx.Module):
        graphdef, state = nnx.split(model)
        return cls(state=state, graphdef=graphdef)

    def model(self) -> nnx.Module:
        return nnx.merge(self.graphdef, self.state)


@pytree_dataclass
class UNetDenoiser(_NetworkAdapter):
    """ε̂ from a ``UNet`` on one field. ``condition`` [H, W] (or [H, W, C])
    is passed as extra input channels when the network has them."""

    state: nnx.State
    graphdef: nnx.GraphDef = static()

    @property
    def learns_variance(self) -> bool:
        """True for a U-Net with ``learn_sigma`` (static: read from the architecture)."""
        return bool(self.model().config.learn_sigma)

    def _outputs(self, x_t, t, alpha_bar, condition):
        cond = None
        if condition is not None:
            cond = condition[None, :, :, None] if condition.ndim == 2 else condition[None]
        t_batch = jnp.reshape(jnp.asarray(t, jnp.int32), (1,))
        ab_batch = jnp.reshape(jnp.asarray(alpha_bar, jnp.float32), (1,))
        return network_eps(self.model(), x_t[None].astype(jnp.float32), t_batch, ab_batch, cond, with_variance=True)

    def __call__(self, x_t, t, alpha_bar, condition=None):
        eps, _ = self._outputs(x_t, t, alpha_bar, condition)
        return eps[0].astype(x_t.dtype)

    def eps_and_variance(self, x_t, t, alpha_bar, condition=None):
        """(ε̂ [H, W], v' [H, W]): v' = (v + 1)/2 of the variance channel, for
        ``idf.diffusion.reverse.learned_variance``. Needs ``learn_sigma``."""
        eps, v = self._outputs(x_t, t, alpha_bar, condition)
        if v is None:
            raise ValueError("this U-Net predicts no variance (trained without learn_sigma)")
        return eps[0].astype(x_t.dtype), v[0].astype(x_t.dtype)


@pytree_dataclass
class EnergyNetDenoiser(_NetworkAdapter):
    """ε̂ = √(1−ᾱ_t)·∇ₓE_θ(x_t, t) from a scalar ``EnergyNet``: the score of
    p_t ∝ exp(−E_θ) is −∇E_θ, and ε̂ = −√(1−ᾱ_t)·score (Song et al. 2021)."""

    state: nnx.State
    graphdef: nnx.GraphDef = static()

    def __call__(self, x_t, t, alpha_bar, condition=None):
        t_batch = jnp.reshape(jnp.asarray(t, jnp.int32), (1,))
        ab_batch = jnp.reshape(jnp.asarray(alpha_bar), (1,))
        return network_eps(self.model(), x_t[None], t_batch, ab_batch)[0].astype(x_t.dtype)


def network_eps(
    model: nnx.Module,
    x_t: jax.Array,
    t: jax.Array,
    alpha_bar: jax.Array,
    condition: jax.Array | None = None,
    *,
    with_variance: bool = False,
):
    """ε̂ [B, H, W] of a ``UNet`` or an ``EnergyNet`` on a batch, the one place
    a network's output becomes a noise prediction (sampling and training).

    x_t [B, H, W], t [B] int, alpha_bar [B] (ᾱ_t), condition [B, H, W, C] or
    None (extra U-Net input channels). For an ``EnergyNet``,
    ε̂ = √(1−ᾱ_t)·∇ₓE_θ(x_t, t): the gradient of the batch's summed energy,
    which is per sample since E_θ couples no samples. With ``with_variance``
    returns (ε̂, v') with v' [B, H, W] the variance fraction of a U-Net with
    ``learn_sigma``, or None when the network predicts no variance.
    """
    if isinstance(model, EnergyNet):
        grad = jax.grad(lambda x: jnp.sum(model(x[..., None].astype(jnp.float32), t)))(x_t)
        eps = jnp.sqrt(1.0 - alpha_bar)[:, None, None] * grad
        return (eps, None) if with_variance else eps
    eps, v = split_output(model.config, model(x_t[..., None], t, condition, alpha_bar))
    if not with_variance:
        return eps[..., 0]
    return eps[..., 0], None if v is None else variance_fraction(v[..., 0])


def denoiser_from_state(graphdef: nnx.GraphDef, state: nnx.State) -> UNetDenoiser | EnergyNetDenoiser:
    """The adapter that fits the network ``graphdef`` describes (U-Net or energy)."""
    if isinstance(nnx.merge(graphdef, state), EnergyNet):
        return EnergyNetDenoiser(state=state, graphdef=graphdef)
    return UNetDenoiser(state=state, graphdef=graphdef)
