"""U-Net shapes, time conditioning, periodic equivariance, the Gaussian
preconditioning, and the adapters inside ``idf.diffusion.sample``."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from idf import _tracing
from idf.diffusion import make_schedule, sample
from idf.models import (
    EnergyNet,
    EnergyNetConfig,
    EnergyNetDenoiser,
    UNetConfig,
    UNetDenoiser,
    count_params,
    init_unet,
)


@functools.partial(jax.jit, static_argnums=0)
def _apply(graphdef, state, x, t, condition, alpha_bar):
    return nnx.merge(graphdef, state)(x, t, condition, alpha_bar)


def apply(model, x, t, condition=None, alpha_bar=None):
    """The network under one jit (eager NNX dispatches op by op: slow on a busy CPU)."""
    graphdef, state = nnx.split(model)
    return _apply(graphdef, state, x, t, condition, alpha_bar)


TINY = UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4)


def randomized(model, key, scale=0.2):
    """The same architecture with every weight drawn N(0, scale²): the zero-initialised
    output layers would otherwise hide any dependence on the inputs."""
    graphdef, state = nnx.split(model)
    leaves, treedef = jax.tree_util.tree_flatten(state)
    keys = jax.random.split(key, len(leaves))
    new = [scale * jax.random.normal(k, x.shape, x.dtype) for k, x in zip(keys, leaves, strict=True)]
    return nnx.merge(graphdef, jax.tree_util.tree_unflatten(treedef, new))


@pytest.mark.parametrize(
    "config, shape",
    [
        (TINY, (8, 8)),
        (UNetConfig(base_channels=8, channel_mults=(1, 2, 2), time_dim=16, groups=4, periodic=False), (16, 12)),
        (UNetConfig(base_channels=8, channel_mults=(1,), time_dim=16, groups=4, num_res_blocks=2), (5, 7)),
    ],
)
def test_output_shape(config, shape):
    model = init_unet(jax.random.key(0), config)
    x = jnp.ones((3, *shape, 1))
    assert apply(model, x, jnp.array([0, 5, 999])).shape == (3, *shape, 1)


def test_condition_channels_and_bad_shapes():
    config = UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4, cond_channels=1)
    model = randomized(init_unet(jax.random.key(0), config), jax.random.key(1))
    x = jax.random.normal(jax.random.key(2), (2, 8, 8, 1))
    c0, c1 = jnp.zeros_like(x), jnp.ones_like(x)
    t = jnp.array([3, 3])
    assert not np.allclose(apply(model, x, t, c0), apply(model, x, t, c1))
    with pytest.raises(ValueError, match="condition"):
        apply(model, x, t)
    with pytest.raises(ValueError, match="divisible by 2"):
        apply(init_unet(jax.random.key(0), TINY), jnp.ones((1, 7, 8, 1)), jnp.array([0]))
    with pytest.raises(ValueError, match="time_dim"):
        UNetConfig(time_dim=7)


def test_time_conditioning_matters():
    model = randomized(init_unet(jax.random.key(0), TINY), jax.random.key(1))
    x = jax.random.normal(jax.random.key(2), (2, 8, 8, 1))
    early, late = apply(model, x, jnp.array([1, 1])), apply(model, x, jnp.array([900, 900]))
    assert float(jnp.mean((early - late) ** 2)) > 1e-3 * float(jnp.mean(early**2))


def test_periodic_unet_is_translation_equivariant():
    # Circular padding everywhere; pooling/upsampling commute with even shifts.
    model = randomized(init_unet(jax.random.key(0), TINY), jax.random.key(3))
    x = jax.random.normal(jax.random.key(4), (1, 8, 8, 1))
    t = jnp.array([100])
    shifted = apply(model, jnp.roll(x, (2, -4), axis=(1, 2)), t)
    np.testing.assert_allclose(shifted, jnp.roll(apply(model, x, t), (2, -4), axis=(1, 2)), atol=2e-5)


def test_preconditioned_init_is_the_white_gaussian_denoiser():
    # F_θ starts at zero, so ε̂ = √(1−ᾱ)/(ᾱσ² + 1 − ᾱ)·x_t: the exact ε for N(0, σ²I) data.
    sigma = 0.7
    model = init_unet(jax.random.key(0), UNetConfig(**{**TINY.to_dict(), "data_std": sigma}))
    x = jax.random.normal(jax.random.key(1), (2, 8, 8, 1))
    ab = jnp.array([0.9, 0.1])
    expected = jnp.sqrt(1 - ab)[:, None, None, None] / (ab * sigma**2 + 1 - ab)[:, None, None, None] * x
    np.testing.assert_allclose(apply(model, x, jnp.array([10, 800]), None, ab), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="alpha_bar"):
        apply(model, x, jnp.array([10, 800]))


def test_unet_denoiser_inside_sample_new_weights_do_not_recompile():
    schedule = make_schedule("linear", 100)
    den = UNetDenoiser.from_model(randomized(init_unet(jax.random.key(0), TINY), jax.random.key(1), 0.05))
    before = _tracing.traces("reverse_sample")
    out = sample(jax.random.key(2), den, schedule, (8, 8), 6, inference_steps=5)
    assert out.samples.shape == (6, 8, 8) and bool(jnp.all(jnp.isfinite(out.samples)))
    other = UNetDenoiser.from_model(randomized(init_unet(jax.random.key(0), TINY), jax.random.key(9), 0.05))
    out2 = sample(jax.random.key(2), other, schedule, (8, 8), 6, inference_steps=5)
    assert _tracing.traces("reverse_sample") == before + 1
    assert not np.allclose(out.samples, out2.samples)
    # The unbatched adapter equals the batched network.
    x = jax.random.normal(jax.random.key(3), (8, 8))
    batched = apply(den.model(), x[None, :, :, None], jnp.array([7]))[0, :, :, 0]
    np.testing.assert_allclose(jax.jit(den.__call__)(x, 7, 0.5), batched, atol=1e-6)


def test_energy_net_denoiser_is_a_gradient():
    net = EnergyNet(EnergyNetConfig(channels=8, depth=2, time_dim=8), rngs=nnx.Rngs(0))
    den = EnergyNetDenoiser.from_model(net)
    x = jax.random.normal(jax.random.key(1), (8, 8))
    # Zero-initialised output layer: E = ½Σx², so ε̂ = √(1−ᾱ)·x.
    np.testing.assert_allclose(jax.jit(den.__call__)(x, 10, 0.36), 0.8 * x, rtol=1e-5)
    out = sample(jax.random.key(2), den, make_schedule("linear", 50), (8, 8), 4, inference_steps=4)
    assert out.samples.shape == (4, 8, 8) and bool(jnp.all(jnp.isfinite(out.samples)))
    assert count_params(net) > 0


def test_unet_parameter_count_is_pinned():
    # The default widths (C₀ = 32, mults (1, 2), one res block, time_dim 64) and the
    # widths `idf train` uses by default (C₀ = 16, time_dim 32): any change to the
    # architecture changes these integers (counted once, by count_params).
    def params(config):
        return count_params(nnx.eval_shape(lambda: init_unet(jax.random.key(0), config)))

    assert params(UNetConfig()) == 459_009
    assert params(UNetConfig(learn_sigma=True)) == 459_298  # + the variance channel of the output conv
    assert params(UNetConfig(base_channels=16, time_dim=32)) == 115_585
