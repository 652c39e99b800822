"""Training state and the pure, jitted ``train_step(state, batch, key)``.

``TrainState`` is a pytree: the step count, the weights, the optimizer state,
the EMA weights, ᾱ [T], the EMA decay and the L_vlb weight λ are leaves; the
NNX graph definition, the optax transformation and the loss name are static.
``train_step`` therefore compiles once per (architecture, optimizer, loss,
batch shape) and is the only jit here.

Two model kinds train through the same step: a U-Net predicting ε̂ (and, for
the hybrid loss, the variance fraction v'), and a neural energy E_θ whose
ε̂ = √(1−ᾱ_t)·∇ₓE_θ(x_t, t) (``idf.models.energy_net``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from idf._pytree import pytree_dataclass, replace, static
from idf.diffusion.schedules import Schedule
from idf.models.denoiser import network_eps
from idf.models.energy_net import EnergyNetConfig
from idf.models.loading import init_model
from idf.models.unet import UNetConfig
from idf.training.losses import eps_mse, hybrid_loss

LOSSES = ("eps_mse", "hybrid")


@pytree_dataclass
class TrainState:
    """step       int32 scalar, optimizer steps taken
    params     nnx.State, the weights being optimised
    opt_state  optax state for ``params``
    ema        nnx.State, exponential moving average of ``params`` (for sampling)
    alpha_bars [T] float32, ᾱ of the training schedule
    ema_decay  float32 scalar; the effective decay is min(decay, (1+k)/(10+k))
    vlb_weight float32 scalar λ of the hybrid loss (unused by "eps_mse")
    graphdef   static: the network's NNX graph definition
    tx         static: the optax transformation
    loss       static: "eps_mse" (L_simple) or "hybrid" (L_simple + λ·L_vlb;
               needs a U-Net with ``learn_sigma``), see ``idf.training.losses``
    """

    step: jax.Array
    params: nnx.State
    opt_state: optax.OptState
    ema: nnx.State
    alpha_bars: jax.Array
    ema_decay: jax.Array
    vlb_weight: jax.Array
    graphdef: nnx.GraphDef = static()
    tx: optax.GradientTransformation = static()
    loss: str = static("eps_mse")


def make_optimizer(
    learning_rate: float, num_steps: int, warmup: int = 100, clip: float = 1.0
) -> optax.GradientTransformation:
    """Adam with linear warm-up, cosine decay to 10 % and global-norm clipping."""
    warmup = max(1, min(warmup, num_steps // 2))
    lr = optax.warmup_cosine_decay_schedule(
        0.0, learning_rate, warmup, max(num_steps, warmup + 1), end_value=0.1 * learning_rate
    )
    return optax.chain(optax.clip_by_global_norm(clip), optax.adam(lr))


def init_train_state(
    key: jax.Array,
    config: UNetConfig | EnergyNetConfig,
    schedule: Schedule,
    tx: optax.GradientTransformation,
    ema_decay: float = 0.999,
    *,
    loss: str = "eps_mse",
    vlb_weight: float = 1e-3,
) -> TrainState:
    """A fresh state: weights of the network ``config`` describes (U-Net or
    energy) drawn from ``key``, EMA = weights. ``loss`` is "eps_mse" or
    "hybrid" (U-Net with ``learn_sigma`` only); ValueError otherwise."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)}")
    if loss == "hybrid" and not (isinstance(config, UNetConfig) and config.learn_sigma):
        raise ValueError("the hybrid loss needs a U-Net with learn_sigma=True (a variance output)")
    if not vlb_weight >= 0.0:
        raise ValueError(f"vlb_weight must be ≥ 0, got {vlb_weight}")
    graphdef, params = nnx.split(init_model(key, config))
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=tx.init(params),
        ema=params,
        alpha_bars=jnp.asarray(np.asarray(schedule.alpha_bars), jnp.float32),
        ema_decay=jnp.asarray(ema_decay, jnp.float32),
        vlb_weight=jnp.asarray(vlb_weight, jnp.float32),
        graphdef=graphdef,
        tx=tx,
        loss=loss,
    )


def predict_fn(graphdef: nnx.GraphDef, params: nnx.State, *, with_variance: bool = False):
    """(x_t [B, H, W], t [B], ᾱ_t [B]) → ε̂ [B, H, W] for a network's weights;
    with ``with_variance`` (a U-Net with ``learn_sigma``) → (ε̂, v') [B, H, W] each.

    The network's output becomes ε̂ in ``idf.models.network_eps``, as when sampling.
    """

    def predict(x_t, t, alpha_bar):
        return network_eps(nnx.merge(graphdef, params), x_t, t, alpha_bar, with_variance=with_variance)

    return predict


def loss_fn(params: nnx.State, state: TrainState, batch: jax.Array, key: jax.Array):
    if state.loss == "hybrid":
        predict = predict_fn(state.graphdef, params, with_variance=True)
        return hybrid_loss(key, predict, batch, state.alpha_bars, state.vlb_weight)
    return eps_mse(key, predict_fn(state.graphdef, params), batch, state.alpha_bars)


@jax.jit
def train_step(state: TrainState, batch: jax.Array, key: jax.Array) -> tuple[TrainState, dict[str, jax.Array]]:
    """One Adam step on the loss ``state.loss`` of ``batch`` [B, H, W] (float32).

    Returns (new state, metrics): ``loss`` (before the update), ``grad_norm``,
    ``per_sample`` [B] and their timesteps ``t`` [B]; for the hybrid loss also
    ``mse`` (its L_simple part) and ``vlb`` (the batch's estimate of L_vlb,
    nats per site). Every metric has a fixed shape, so the step scans.
    """
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params, state, batch, key)
    updates, opt_state = state.tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    k = state.step.astype(jnp.float32)
    decay = jnp.minimum(state.ema_decay, (1.0 + k) / (10.0 + k))
    ema = jax.tree_util.tree_map(lambda e, p: decay * e + (1.0 - decay) * p, state.ema, params)
    metrics = dict(metrics, grad_norm=optax.tree.norm(grads))
    return replace(state, step=state.step + 1, params=params, opt_state=opt_state, ema=ema), metrics


@jax.jit
def eval_loss(state: TrainState, batch: jax.Array, key: jax.Array) -> jax.Array:
    """ε-MSE of the EMA weights on ``batch`` [B, H, W] with fixed ``key``, whatever
    ``state.loss`` is, so validation losses of simple and hybrid runs compare."""
    return eps_mse(key, predict_fn(state.graphdef, state.ema), batch, state.alpha_bars)[0]
