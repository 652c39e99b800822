"""The learned reverse variance: the interpolation's end points, the U-Net's
variance channel, the training and sampling paths agreeing, and the DDPM loop
reproducing the fixed-variance loop when v' = 0 (β̃)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from idf._pytree import pytree_dataclass
from idf.diffusion import make_schedule, sample
from idf.diffusion.reverse import ddpm_posterior, learned_variance
from idf.models import UNetConfig, UNetDenoiser, init_unet, variance_fraction
from idf.training.train_step import predict_fn

TINY = UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4, learn_sigma=True)
SCHEDULE = make_schedule("linear", 50)


def randomized(model, key, scale=0.05):
    """Every weight drawn N(0, scale²): the zero-initialised output layer would hide the inputs."""
    graphdef, state = nnx.split(model)
    leaves, treedef = jax.tree_util.tree_flatten(state)
    keys = jax.random.split(key, len(leaves))
    new = [scale * jax.random.normal(k, x.shape, x.dtype) for k, x in zip(keys, leaves, strict=True)]
    return nnx.merge(graphdef, jax.tree_util.tree_unflatten(treedef, new))


def with_constant_v(model, v):
    """The same ε channel, and a variance channel equal to ``v`` at every site."""
    model.conv_out.kernel[...] = model.conv_out.kernel[...].at[..., 1].set(0.0)
    model.conv_out.bias[...] = model.conv_out.bias[...].at[1].set(v)
    return model


@pytree_dataclass
class FixedVariance:
    """A denoiser that declares ``learns_variance`` False: the loop falls back to β̃."""

    inner: UNetDenoiser
    learns_variance = False  # not a field: the Denoiser protocol's class attribute

    def __call__(self, x_t, t, alpha_bar, condition=None):
        return self.inner(x_t, t, alpha_bar, condition)


def test_learned_variance_end_points():
    ab = jnp.asarray(SCHEDULE.alpha_bars, jnp.float32)
    pairs = [(ab[10], ab[9]), (ab[40], ab[30]), (ab[49], ab[0])]
    for a, a_prev in pairs:
        _, _, beta_tilde = ddpm_posterior(a, a_prev)
        beta = 1.0 - a / a_prev
        np.testing.assert_array_equal(learned_variance(jnp.float32(0.0), a, a_prev), beta_tilde)
        np.testing.assert_allclose(learned_variance(jnp.float32(1.0), a, a_prev), beta, rtol=1e-6)
        np.testing.assert_allclose(learned_variance(jnp.float32(0.5), a, a_prev), np.sqrt(beta * beta_tilde), rtol=1e-6)
    # The last step (ᾱ_prev = 1) returns the mean: σ² = 0 for any v', and no NaN.
    last = learned_variance(jnp.asarray([0.0, 0.5, 1.3], jnp.float32), ab[3], jnp.float32(1.0))
    np.testing.assert_array_equal(last, 0.0)
    assert float(variance_fraction(jnp.float32(-1.0))) == 0.0 and float(variance_fraction(jnp.float32(1.0))) == 1.0


def test_the_variance_channel_skips_the_preconditioning():
    model = init_unet(jax.random.key(0), UNetConfig(**{**TINY.to_dict(), "data_std": 0.7}))
    x = jax.random.normal(jax.random.key(1), (2, 8, 8, 1))
    ab = jnp.array([0.9, 0.1])
    out = nnx.jit(lambda m, x: m(x, jnp.array([3, 40]), None, ab))(model, x)
    assert out.shape == (2, 8, 8, 2)
    white = (jnp.sqrt(1 - ab) / (ab * 0.49 + 1 - ab))[:, None, None, None] * x
    np.testing.assert_allclose(out[..., :1], white, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[..., 1], 0.0)  # v starts at 0: v' = ½


def test_training_and_sampling_see_the_same_outputs():
    model = randomized(init_unet(jax.random.key(0), TINY), jax.random.key(1))
    graphdef, state = nnx.split(model)
    den = UNetDenoiser(state=state, graphdef=graphdef)
    x = jax.random.normal(jax.random.key(2), (3, 8, 8))
    t, ab = jnp.array([4, 4, 4]), jnp.full((3,), 0.7, jnp.float32)
    eps, frac = jax.jit(predict_fn(graphdef, state, with_variance=True))(x, t, ab)
    eps_only = jax.jit(predict_fn(graphdef, state))(x, t, ab)
    ref_eps, ref_frac = jax.jit(jax.vmap(lambda x: den.eps_and_variance(x, 4, 0.7)))(x)
    # Batched and vmapped convolutions agree to float32 rounding on CPU; GPUs run them in
    # TF32 (10-bit mantissa), hence 1e-3 of the output's scale.
    np.testing.assert_allclose(eps, ref_eps, atol=1e-3 * float(jnp.max(jnp.abs(ref_eps))))
    np.testing.assert_allclose(frac, ref_frac, atol=1e-3 * float(jnp.max(jnp.abs(ref_frac))))
    np.testing.assert_array_equal(eps, eps_only)
    plain = UNetDenoiser.from_model(
        init_unet(jax.random.key(0), UNetConfig(**{**TINY.to_dict(), "learn_sigma": False}))
    )
    assert den.learns_variance and not plain.learns_variance
    with pytest.raises(ValueError, match="no variance"):
        plain.eps_and_variance(x[0], 4, 0.7)


def net(v):
    """A randomised learn_sigma U-Net whose variance channel is ``v`` at every site."""
    return UNetDenoiser.from_model(
        with_constant_v(randomized(init_unet(jax.random.key(0), TINY), jax.random.key(1)), v)
    )


@pytest.mark.parametrize("steps", [50, 10])
def test_beta_tilde_fraction_reproduces_the_fixed_variance_loop(steps):
    # v = −1 everywhere means v' = 0, σ² = β̃ bit for bit: the DDPM loop must draw the same
    # samples as the fixed-variance loop with the same ε̂ and keys (full chain and strided).
    den = net(-1.0)
    kw = dict(inference_steps=steps, solver="ddpm", keep=1)
    learned = sample(jax.random.key(3), den, SCHEDULE, (8, 8), 6, **kw)
    fixed = sample(jax.random.key(3), FixedVariance(den), SCHEDULE, (8, 8), 6, **kw)
    assert bool(jnp.all(jnp.isfinite(learned.samples)))
    np.testing.assert_allclose(learned.samples, fixed.samples, rtol=0, atol=1e-6)  # bit-equal on CPU


def test_ddpm_uses_the_learned_variance_and_ddim_ignores_it():
    wide = net(1.0)  # v' = 1: σ² = β
    kw = dict(inference_steps=10, solver="ddpm", keep=1)
    ddpm = sample(jax.random.key(3), wide, SCHEDULE, (8, 8), 6, **kw).samples
    assert not np.allclose(ddpm, sample(jax.random.key(3), FixedVariance(wide), SCHEDULE, (8, 8), 6, **kw).samples)
    ddim = dict(inference_steps=10, solver="ddim", eta=1.0, keep=1)
    np.testing.assert_array_equal(
        sample(jax.random.key(3), wide, SCHEDULE, (8, 8), 6, **ddim).samples,
        sample(jax.random.key(3), FixedVariance(wide), SCHEDULE, (8, 8), 6, **ddim).samples,
    )
