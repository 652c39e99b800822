"""Training state and the pure, jitted ``train_step(state, batch, key)``.

``TrainState`` is a pytree: the step count, the weights, the optimizer state,
the EMA weights, ᾱ [T] and the EMA decay are leaves; the NNX graph definition
and the optax transformation are static. ``train_step`` therefore compiles
once per (architecture, optimizer, batch shape) and is the only jit here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from idf._pytree import pytree_dataclass, replace, static
from idf.diffusion.schedules import Schedule
from idf.models.unet import UNetConfig, init_unet
from idf.training.losses import eps_mse


@pytree_dataclass
class TrainState:
    """step       int32 scalar, optimizer steps taken
    params     nnx.State, the weights being optimised
    opt_state  optax state for ``params``
    ema        nnx.State, exponential moving average of ``params`` (for sampling)
    alpha_bars [T] float32, ᾱ of the training schedule
    ema_decay  float32 scalar; the effective decay is min(decay, (1+k)/(10+k))
    graphdef   static: the network's NNX graph definition
    tx         static: the optax transformation
    """

    step: jax.Array
    params: nnx.State
    opt_state: optax.OptState
    ema: nnx.State
    alpha_bars: jax.Array
    ema_decay: jax.Array
    graphdef: nnx.GraphDef = static()
    tx: optax.GradientTransformation = static()


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
    config: UNetConfig,
    schedule: Schedule,
    tx: optax.GradientTransformation,
    ema_decay: float = 0.999,
) -> TrainState:
    """A fresh state: U-Net weights drawn from ``key``, EMA = weights."""
    graphdef, params = nnx.split(init_unet(key, config))
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=tx.init(params),
        ema=params,
        alpha_bars=jnp.asarray(np.asarray(schedule.alpha_bars), jnp.float32),
        ema_decay=jnp.asarray(ema_decay, jnp.float32),
        graphdef=graphdef,
        tx=tx,
    )


def predict_fn(graphdef: nnx.GraphDef, params: nnx.State):
    """(x_t [B, H, W], t [B], ᾱ_t [B]) → ε̂ [B, H, W] for a U-Net's weights."""

    def predict(x_t, t, alpha_bar):
        model = nnx.merge(graphdef, params)
        return model(x_t[..., None], t, None, alpha_bar)[..., 0]

    return predict


def loss_fn(params: nnx.State, state: TrainState, batch: jax.Array, key: jax.Array):
    return eps_mse(key, predict_fn(state.graphdef, params), batch, state.alpha_bars)


@jax.jit
def train_step(state: TrainState, batch: jax.Array, key: jax.Array) -> tuple[TrainState, dict[str, jax.Array]]:
    """One Adam step on the ε-MSE of ``batch`` [B, H, W] (float32).

    Returns (new state, metrics): ``loss`` (before the update), ``grad_norm``,
    ``per_sample`` [B] and their timesteps ``t`` [B].
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
    """ε-MSE of the EMA weights on ``batch`` [B, H, W] with fixed ``key``."""
    return eps_mse(key, predict_fn(state.graphdef, state.ema), batch, state.alpha_bars)[0]
