"""The hybrid loss L_simple + λ·L_vlb: the Gaussian KL and NLL against closed
forms and numerical integrals, the stop-gradient, agreement with ε-MSE at
λ = 0, the exact optimal reverse variance of GFF data, and a tiny U-Net run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, optimize, stats

from idf._pytree import pytree_dataclass
from idf.diffusion import ExactGaussianDenoiser, make_schedule, q_sample
from idf.diffusion.reverse import ddpm_posterior, learned_variance
from idf.energy import GaussianFreeField
from idf.models import UNetConfig, UNetDenoiser
from idf.training import (
    eps_mse,
    gaussian_nll,
    gff_dataset,
    hybrid_loss,
    init_train_state,
    make_optimizer,
    normal_kl,
    train_step,
    vlb_terms,
)
from idf.training.train_step import loss_fn

SCHEDULE = make_schedule("linear", 100)
ALPHA_BARS = jnp.asarray(SCHEDULE.alpha_bars, jnp.float32)
GFF = GaussianFreeField(mass2=1.0)

CASES = [(0.0, 1.0, 0.0, 1.0), (0.3, 0.5, -0.2, 1.7), (1.0, 2.0, 0.0, 0.4), (-0.5, 0.01, -0.49, 0.0125)]


@pytest.mark.parametrize("m1, s1, m2, s2", CASES)
def test_normal_kl_matches_the_closed_form_and_a_numerical_integral(m1, s1, m2, s2):
    got = float(normal_kl(m1, 2 * np.log(s1), m2, 2 * np.log(s2)))
    closed = np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    p, q = stats.norm(m1, s1), stats.norm(m2, s2)
    numeric, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), m1 - 12 * s1, m1 + 12 * s1)
    assert got == pytest.approx(closed, rel=1e-5, abs=1e-7)
    assert got == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    nll = float(gaussian_nll(m1 + s1, m2, 2 * np.log(s2)))
    assert nll == pytest.approx(-q.logpdf(m1 + s1), rel=1e-5, abs=1e-6)


def test_normal_kl_keeps_its_precision_for_nearly_equal_variances():
    # KL(N(0, 1) ‖ N(0, e^δ)) = ½(δ + e^−δ − 1) ≈ δ²/4: 2.5e-11 at δ = 1e-5, float32 inputs.
    delta = 1e-5
    got = float(normal_kl(jnp.float32(0.0), jnp.float32(0.0), jnp.float32(0.0), jnp.float32(delta)))
    assert got == pytest.approx(0.5 * (delta + np.expm1(-delta)), rel=1e-2)


def _linear_predict(a, b):
    """ε̂ = a·x_t and v' = b at every site: a two-parameter 'network'."""
    return lambda x_t, t, ab: (a * x_t, jnp.full_like(x_t, b))


@pytest.fixture(scope="module")
def x0():
    return jnp.asarray(GFF.sample_exact(jax.random.key(0), (8, 8), 64), jnp.float32)


def test_hybrid_with_zero_weight_is_eps_mse(x0):
    key = jax.random.key(3)
    predict = _linear_predict(0.7, 0.3)
    loss, aux = hybrid_loss(key, predict, x0, ALPHA_BARS, 0.0)
    ref, ref_aux = eps_mse(key, lambda x_t, t, ab: predict(x_t, t, ab)[0], x0, ALPHA_BARS)
    assert float(loss) == float(ref) == float(aux["mse"])
    np.testing.assert_array_equal(aux["t"], ref_aux["t"])
    np.testing.assert_array_equal(aux["per_sample"], ref_aux["per_sample"])
    assert bool(jnp.isfinite(aux["vlb"])) and float(aux["vlb"]) != 0.0


def test_vlb_trains_only_the_variance_and_mse_only_the_mean(x0):
    def part(name, a, b):
        return hybrid_loss(jax.random.key(4), _linear_predict(a, b), x0, ALPHA_BARS, 1e-3)[1][name]

    d_vlb = jax.grad(lambda a, b: part("vlb", a, b), argnums=(0, 1))(0.7, 0.3)
    d_mse = jax.grad(lambda a, b: part("mse", a, b), argnums=(0, 1))(0.7, 0.3)
    assert float(d_vlb[0]) == 0.0 and abs(float(d_vlb[1])) > 1e-3
    assert float(d_mse[1]) == 0.0 and abs(float(d_mse[0])) > 1e-3


@pytest.mark.parametrize("t", [0, 1, 5, 20, 60])
def test_the_vlb_optimum_is_the_exact_reverse_variance_of_gff_data(t):
    # With the exact (Bayes) ε̂, E[L_t] is smallest at σ² = Var(x_{t−1} | x_t), which for
    # N(0, diag P) data is, per Fourier mode, β_t·s_{t−1}/s_t with s_t = ᾱ_t·P + 1 − ᾱ_t
    # (at t = 0, s_{−1} = P); an isotropic σ² takes its mean over modes. We find the
    # root of ∂L/∂v' and compare σ² − β̃ (what the data add to β̃) with the closed form.
    n = 4096
    power = np.asarray(GFF.covariance_spectrum((8, 8)), np.float64)
    key_x, key_n = jax.random.split(jax.random.key(10 + t))
    x0 = jnp.asarray(GFF.sample_exact(key_x, (8, 8), n), jnp.float32)
    ts = jnp.full((n,), t, jnp.int32)
    ab = ALPHA_BARS[t]
    x_t = q_sample(x0, ab, jax.random.normal(key_n, x0.shape))
    eps = jax.vmap(lambda x: ExactGaussianDenoiser(GFF)(x, t, ab))(x_t)
    grad = jax.jit(jax.grad(lambda v: jnp.mean(vlb_terms(x0, x_t, ts, eps, jnp.full_like(x0, v), ALPHA_BARS))))
    frac = optimize.brentq(lambda v: float(grad(jnp.float32(v))), -3.0, 5.0, xtol=1e-7)

    abs_ = SCHEDULE.alpha_bars
    ab_prev = abs_[t - 1] if t else 1.0
    beta = 1.0 - abs_[t] / ab_prev
    beta_tilde = float(ddpm_posterior(abs_[1], abs_[0])[2]) if t == 0 else (1 - ab_prev) / (1 - abs_[t]) * beta
    sigma2 = np.exp(frac * np.log(beta) + (1 - frac) * np.log(beta_tilde))
    s_t, s_prev = abs_[t] * power + 1 - abs_[t], ab_prev * power + 1 - ab_prev
    exact = np.mean(beta * s_prev / s_t)
    # The optimum is β̃ + mean |μ̃ − μ_θ|² (t ≥ 1; the KL) or mean |x₀ − μ_θ|² (t = 0; the
    # NLL, true β̃ = 0): a mean over 64 modes and n fields of terms of variance V_k each.
    # Conjugate modes are equal, so the standard error is at most 2·√(Σ_k V_k²)/(N·√n).
    per_mode = beta * s_prev / s_t - (beta_tilde if t else 0.0)
    se = 2.0 * np.sqrt(np.sum(per_mode**2)) / power.size / np.sqrt(n)
    assert abs(sigma2 - exact) < 5 * se, (sigma2 - exact) / se
    assert (exact - beta_tilde) > 20 * se  # the data's share is resolved, not lost in the noise


def test_hybrid_training_lowers_the_loss_and_learns_a_variance_between_beta_tilde_and_beta():
    # 80 steps of a learn_sigma U-Net (no preconditioning, so ε̂ starts at 0 and v' at ½).
    config = UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4, learn_sigma=True)
    state = init_train_state(jax.random.key(1), config, SCHEDULE, make_optimizer(3e-3, 80, warmup=10), loss="hybrid")
    fields = gff_dataset(jax.random.key(0), 8, 1280).fields
    valid = jnp.asarray(fields[1024:])
    held_out = jax.jit(lambda st: loss_fn(st.params, st, valid, jax.random.key(77))[1])
    before = held_out(state)
    for step in range(80):
        state, metrics = train_step(state, jnp.asarray(fields[(32 * step) % 1024 :][:32]), jax.random.key(100 + step))
    after = held_out(state)
    assert float(after["loss"]) < 0.7 * float(before["loss"]) and float(after["vlb"]) < float(before["vlb"])
    assert float(metrics["loss"]) == pytest.approx(float(metrics["mse"]) + 1e-3 * float(metrics["vlb"]), rel=1e-5)

    den = UNetDenoiser(state=state.params, graphdef=state.graphdef)
    assert den.learns_variance
    x0 = jnp.asarray(GFF.sample_exact(jax.random.key(5), (8, 8), 16), jnp.float32)
    noise = jax.random.normal(jax.random.key(6), x0.shape)
    for t in (1, 3, 10):
        ab, ab_prev = ALPHA_BARS[t], ALPHA_BARS[t - 1]
        _, frac = jax.vmap(lambda x, t=t, ab=ab: den.eps_and_variance(x, t, ab))(q_sample(x0, ab, noise))
        sigma2 = float(jnp.mean(learned_variance(frac, ab, ab_prev)))
        _, _, beta_tilde = ddpm_posterior(ab, ab_prev)
        # The exact optimum of v' is 0.999 (t = 1), 0.994 (3), 0.958 (10): σ² just below β.
        assert float(beta_tilde) < sigma2 < 1.0 - float(ab / ab_prev), t
        assert float(jnp.mean(frac)) > 0.8, (t, float(jnp.mean(frac)))


@pytree_dataclass
class _FixedFraction:
    """A stand-in denoiser (a pytree, like the real ones) that predicts ε̂ = 0 and the same v' everywhere."""

    frac: float
    learns_variance = True

    def __call__(self, x_t, t, alpha_bar, condition=None):
        return jnp.zeros_like(x_t)

    def eps_and_variance(self, x_t, t, alpha_bar, condition=None):
        return jnp.zeros_like(x_t), jnp.full_like(x_t, self.frac)


def test_variance_curve_reads_the_bounds_and_the_exact_optimum_lies_between():
    from idf.diffusion import make_schedule
    from idf.energy import GaussianFreeField
    from idf.training.evaluation import variance_curve

    schedule = make_schedule("linear", 200)
    fields = np.asarray(jax.random.normal(jax.random.key(0), (16, 8, 8)))
    power = np.asarray(GaussianFreeField(1.0).covariance_spectrum((8, 8)))
    low = variance_curve(jax.random.key(1), _FixedFraction(0.0), schedule, fields, power, points=10)
    high = variance_curve(jax.random.key(1), _FixedFraction(1.0), schedule, fields, power, points=10)
    np.testing.assert_allclose(low["learned"], low["beta_tilde"], rtol=1e-4)
    np.testing.assert_allclose(high["learned"], high["beta"], rtol=1e-4)
    assert np.all(low["beta_tilde"] <= low["exact"] * (1 + 1e-9)) and np.all(low["exact"] <= low["beta"] * (1 + 1e-9))
    assert low["t"][0] == 1 and low["t"][-1] == 199
