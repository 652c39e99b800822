"""One reverse step on fixed (x_t, ε̂, z) against the papers' formulas by hand."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diffusion import (
    conserve_norm,
    ddim_sigma,
    ddim_step,
    ddpm_posterior,
    ddpm_step,
    guide_eps,
    make_schedule,
    predict_x0,
    q_sample,
)

X_T, EPS, Z = 0.7, -0.3, 0.45


def _hand_ddim(ab, abp, eta):
    """Song et al. eq. 12 with σ from eq. 16, in plain floats."""
    x0 = (X_T - math.sqrt(1 - ab) * EPS) / math.sqrt(ab)
    sigma = eta * math.sqrt((1 - abp) / (1 - ab)) * math.sqrt(1 - ab / abp)
    return math.sqrt(abp) * x0 + math.sqrt(1 - abp - sigma**2) * EPS + sigma * Z


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("t,t_prev", [(999, 998), (980, 960)])  # full and strided (50-step leading)
def test_ddim_step_by_hand(eta, t, t_prev):
    s = make_schedule("linear", 1000)
    ab, abp = s.alpha_bars[t], s.alpha_bars[t_prev]
    x0 = predict_x0(jnp.float32(X_T), jnp.float32(EPS), ab)
    sigma = ddim_sigma(ab, abp, eta)
    got = ddim_step(x0, jnp.float32(EPS), abp, sigma, jnp.float32(Z))
    assert float(got) == pytest.approx(_hand_ddim(ab, abp, eta), rel=1e-5)


@pytest.mark.parametrize("t,t_prev", [(500, 499), (500, 480)])
def test_ddpm_step_by_hand_in_the_epsilon_form(t, t_prev):
    """Ho et al. eq. 11: x_prev = (x_t − β/√(1−ᾱ)·ε̂)/√α + √β̃·z, with α = ᾱ_t/ᾱ_prev."""
    s = make_schedule("cosine", 1000)
    ab, abp = s.alpha_bars[t], s.alpha_bars[t_prev]
    alpha = ab / abp
    beta = 1 - alpha
    beta_tilde = (1 - abp) / (1 - ab) * beta
    hand = (X_T - beta / math.sqrt(1 - ab) * EPS) / math.sqrt(alpha) + math.sqrt(beta_tilde) * Z
    x0 = predict_x0(jnp.float32(X_T), jnp.float32(EPS), ab)
    got = ddpm_step(jnp.float32(X_T), x0, ab, abp, jnp.float32(Z))
    assert float(got) == pytest.approx(hand, rel=1e-5)
    if t_prev == t - 1:
        assert beta == pytest.approx(s.betas[t], rel=1e-9)


def test_ddim_eta_one_has_the_ddpm_posterior_variance():
    s = make_schedule("linear", 1000)
    for t, tp in [(10, 9), (700, 650)]:
        _, _, var = ddpm_posterior(s.alpha_bars[t], s.alpha_bars[tp])
        assert float(ddim_sigma(s.alpha_bars[t], s.alpha_bars[tp], 1.0)) ** 2 == pytest.approx(float(var))


def test_q_sample_moments():
    """x₀ fixed, n = 200000 noises: mean √ᾱ·x₀ and variance 1 − ᾱ within 5 SE."""
    ab, x0, n = 0.3, 1.5, 200_000
    noise = jax.random.normal(jax.random.key(0), (n,))
    x = np.asarray(q_sample(jnp.float32(x0), ab, noise), np.float64)
    assert abs(x.mean() - math.sqrt(ab) * x0) < 5 * math.sqrt((1 - ab) / n)
    assert abs(x.var() - (1 - ab)) < 5 * (1 - ab) * math.sqrt(2 / n)


def test_guidance_forms():
    eps, score = jnp.float32(0.2), jnp.float32(-1.0)
    assert float(guide_eps(eps, score, 0.64, 2.0, "document")) == pytest.approx(2.2)
    assert float(guide_eps(eps, score, 0.64, 2.0, "scaled")) == pytest.approx(0.2 + 2.0 * 0.6)
    with pytest.raises(ValueError):
        guide_eps(eps, score, 0.5, 1.0, "other")


def test_conserve_norm_matches_sum_of_squares():
    x0 = jax.random.normal(jax.random.key(1), (5, 5))
    xt = 3.0 * jax.random.normal(jax.random.key(2), (5, 5))
    fixed, factor = conserve_norm(x0, xt)
    np.testing.assert_allclose(float(jnp.sum(fixed**2)), float(jnp.sum(xt**2)), rtol=1e-5)
    assert float(factor) > 1.0
