"""Training the neural energy through ε̂ = √(1−ᾱ_t)·∇ₓE_θ: the training
predictor equals the sampling adapter, the loss falls on GFF data, and the
hybrid loss is refused where there is no variance to learn."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from idf.diffusion import make_schedule
from idf.models import EnergyNetConfig, EnergyNetDenoiser, UNetConfig, init_energy_net
from idf.training import eval_loss, gff_dataset, init_train_state, make_optimizer, train_step
from idf.training.train_step import predict_fn

CONFIG = EnergyNetConfig(channels=8, depth=2, time_dim=8)
SCHEDULE = make_schedule("linear", 100)


def test_the_training_predictor_is_the_sampling_adapter():
    graphdef, state = nnx.split(init_energy_net(jax.random.key(0), CONFIG))
    leaves, treedef = jax.tree_util.tree_flatten(state)
    keys = jax.random.split(jax.random.key(1), len(leaves))
    state = jax.tree_util.tree_unflatten(
        treedef, [0.2 * jax.random.normal(k, x.shape) for k, x in zip(keys, leaves, strict=True)]
    )
    x = jax.random.normal(jax.random.key(2), (3, 8, 8))
    t = jnp.array([2, 40, 90])
    ab = jnp.asarray(SCHEDULE.alpha_bars, jnp.float32)[t]
    batched = jax.jit(predict_fn(graphdef, state))(x, t, ab)
    den = EnergyNetDenoiser(state=state, graphdef=graphdef)
    single = jax.jit(jax.vmap(den.__call__))(x, t, ab)
    # float32 rounding on CPU; TF32 convolutions on GPUs: 1e-3 of the output's scale.
    np.testing.assert_allclose(batched, single, atol=1e-3 * float(jnp.max(jnp.abs(single))))
    assert float(jnp.std(batched)) > 0.1


def test_energy_training_lowers_the_held_out_eps_mse():
    fields = gff_dataset(jax.random.key(0), 8, 1280).fields
    valid = jnp.asarray(fields[1024:])
    state = init_train_state(jax.random.key(1), CONFIG, SCHEDULE, make_optimizer(3e-3, 60, warmup=5))
    before = float(eval_loss(state, valid, jax.random.key(9)))
    for step in range(60):
        state, metrics = train_step(state, jnp.asarray(fields[(32 * step) % 1024 :][:32]), jax.random.key(step))
    after = float(eval_loss(state, valid, jax.random.key(9)))
    assert np.isfinite(float(metrics["loss"])) and "vlb" not in metrics
    assert after < 0.9 * before, (before, after)


def test_the_hybrid_loss_needs_a_variance_output():
    tx = make_optimizer(1e-3, 10)
    with pytest.raises(ValueError, match="learn_sigma"):
        init_train_state(jax.random.key(0), CONFIG, SCHEDULE, tx, loss="hybrid")
    with pytest.raises(ValueError, match="learn_sigma"):
        init_train_state(jax.random.key(0), UNetConfig(base_channels=8, groups=4), SCHEDULE, tx, loss="hybrid")
    with pytest.raises(ValueError, match="unknown loss"):
        init_train_state(jax.random.key(0), CONFIG, SCHEDULE, tx, loss="l1")
