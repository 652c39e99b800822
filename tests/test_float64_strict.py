"""The pure step functions in float64 with strict rank promotion, as Diffrax's
test conftest runs everything: ``jax_enable_x64`` and
``jax.numpy_rank_promotion("raise")``, so a silent downcast to float32 or an
implicit broadcast of mismatched ranks fails loudly.

Both settings are global to a JAX process, so the checks run in one child
process (``_child_main``) and never leak into the other tests; each check is
reported as its own test. Every check compares with a NumPy float64
evaluation of the same formula at 1e-12, or asserts float64 outputs of the
stated shapes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKS: dict[str, Callable[[], None]] = {}
B, H, W = 3, 4, 4
RTOL = 1e-12


def check(fn: Callable[[], None]) -> Callable[[], None]:
    CHECKS[fn.__name__] = fn
    return fn


def _f64(*arrays):
    for a in arrays:
        assert a.dtype == np.float64, a.dtype


def _inputs():
    """x0, noise [B, H, W] float64 and ᾱ_t, ᾱ_prev as 0-d float64 arrays."""
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    x0, noise = rng.normal(size=(B, H, W)), rng.normal(size=(B, H, W))
    return jnp.asarray(x0), jnp.asarray(noise), jnp.asarray(0.6), jnp.asarray(0.8)


@check
def q_sample_and_predict_x0():
    from idf.diffusion import q_sample
    from idf.diffusion.reverse import eps_from_x0, predict_x0

    x0, noise, ab, _ = _inputs()
    x_t = q_sample(x0, ab, noise)
    _f64(x_t)
    np.testing.assert_allclose(x_t, np.sqrt(0.6) * np.asarray(x0) + np.sqrt(0.4) * np.asarray(noise), rtol=RTOL)
    ab_batch = ab * np.ones((B, 1, 1))
    np.testing.assert_allclose(q_sample(x0, ab_batch, noise), x_t, rtol=RTOL)
    np.testing.assert_allclose(predict_x0(x_t, noise, ab), x0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(eps_from_x0(x_t, x0, ab), noise, rtol=1e-10, atol=1e-12)


@check
def ddim_step_and_sigma():
    import jax.numpy as jnp

    from idf.diffusion.reverse import ddim_sigma, ddim_step

    x0, eps, ab, ab_prev = _inputs()
    sigma = ddim_sigma(ab, ab_prev, jnp.asarray(0.5))
    expected_sigma = 0.5 * np.sqrt(0.2 / 0.4) * np.sqrt(1 - 0.6 / 0.8)
    np.testing.assert_allclose(sigma, expected_sigma, rtol=RTOL)
    z = eps[::-1]
    out = ddim_step(x0, eps, ab_prev, sigma, z)
    _f64(sigma, out)
    expected = (np.sqrt(0.8) * np.asarray(x0) + np.sqrt(1 - 0.8 - expected_sigma**2) * np.asarray(eps)
                + expected_sigma * np.asarray(z))
    np.testing.assert_allclose(out, expected, rtol=RTOL)


@check
def ddpm_step_fixed_and_learned_variance():
    import jax.numpy as jnp

    from idf.diffusion.reverse import ddpm_posterior, ddpm_step, learned_variance

    x0, x_t, ab, ab_prev = _inputs()
    z = x0[::-1]
    c0, ct, var = ddpm_posterior(ab, ab_prev)
    alpha, beta = 0.6 / 0.8, 1 - 0.6 / 0.8
    np.testing.assert_allclose([c0, ct, var], [np.sqrt(0.8) * beta / 0.4, np.sqrt(alpha) * 0.2 / 0.4,
                                               0.2 / 0.4 * beta], rtol=RTOL)
    out = ddpm_step(x_t, x0, ab, ab_prev, z)
    _f64(out)
    np.testing.assert_allclose(out, c0 * np.asarray(x0) + ct * np.asarray(x_t) + np.sqrt(var) * np.asarray(z),
                               rtol=RTOL)
    frac = jnp.full((B, H, W), 0.25)
    learned = learned_variance(frac, ab, ab_prev)
    _f64(learned)
    np.testing.assert_allclose(learned, np.exp(0.25 * np.log(beta) + 0.75 * np.log(float(var))), rtol=RTOL)
    np.testing.assert_allclose(ddpm_step(x_t, x0, ab, ab_prev, z, frac),
                               c0 * np.asarray(x0) + ct * np.asarray(x_t) + np.sqrt(learned) * np.asarray(z),
                               rtol=RTOL)


@check
def gaussian_kl_and_nll():
    from idf.training.losses import LOG_2PI, gaussian_nll, normal_kl

    x0, x1, _, _ = _inputs()
    lv1, lv2 = 0.1 * x1, -0.2 * x0
    kl = normal_kl(x0, lv1, x1, lv2)
    nll = gaussian_nll(x0, x1, lv1)
    _f64(kl, nll)
    m1, m2, a, b = (np.asarray(v) for v in (x0, x1, lv1, lv2))
    np.testing.assert_allclose(kl, 0.5 * (b - a + np.exp(a - b) - 1 + (m1 - m2) ** 2 * np.exp(-b)), rtol=1e-10)
    np.testing.assert_allclose(nll, 0.5 * (LOG_2PI + a + (m1 - m2) ** 2 * np.exp(-a)), rtol=RTOL)


@check
def eps_mse_hybrid_and_vlb():
    import jax
    import jax.numpy as jnp

    from idf.diffusion import make_schedule
    from idf.training.losses import eps_mse, hybrid_loss, vlb_terms

    alpha_bars = jnp.asarray(make_schedule("linear", 50).alpha_bars)
    x0, _, _, _ = _inputs()

    def predict(x_t, t, ab):
        assert x_t.shape == (B, H, W) and t.shape == (B,) and ab.shape == (B,)
        return 0.5 * x_t

    def predict_with_variance(x_t, t, ab):
        return 0.5 * x_t, jnp.full_like(x_t, 0.5)

    key = jax.random.key(0)
    loss, metrics = eps_mse(key, predict, x0, alpha_bars)
    _f64(loss, metrics["per_sample"])
    assert metrics["per_sample"].shape == (B,)
    hybrid, hm = hybrid_loss(key, predict_with_variance, x0, alpha_bars, 1e-3)
    _f64(hybrid, hm["mse"], hm["vlb"])
    np.testing.assert_allclose(hm["mse"], loss, rtol=RTOL)  # the same t and ε draws
    t = jnp.array([0, 10, 49])
    terms = vlb_terms(x0, x0, t, x0, jnp.full_like(x0, 0.5), alpha_bars)
    _f64(terms)
    assert terms.shape == (B,) and np.all(np.isfinite(terms))


@check
def sampler_kernel_steps():
    import jax
    import jax.numpy as jnp

    from idf.energy import GaussianFreeField
    from idf.samplers import HMC, MALA, Langevin, RandomWalkMH

    energy = GaussianFreeField(mass2=1.0)
    x = jnp.asarray(np.random.default_rng(1).normal(size=(H, W)))
    for sampler in (Langevin(step_size=0.01), MALA(step_size=0.05), RandomWalkMH(step_size=0.2),
                    HMC(step_size=0.1, num_leapfrog=3)):
        state = sampler.init(x, energy)
        new, info = jax.jit(sampler.step)(jax.random.key(2), state, energy)
        name = type(sampler).__name__
        assert new.position.shape == (H, W) and new.position.dtype == np.float64, (name, new.position.dtype)
        for field, value in zip(type(new)._fields, new, strict=True):
            if value is not None and jnp.issubdtype(jnp.result_type(value), jnp.floating):
                assert jnp.result_type(value) == jnp.float64, (name, field, jnp.result_type(value))
        assert np.isfinite(float(info.acceptance_prob)), name
        np.testing.assert_allclose(new.energy, energy.energy(new.position), rtol=1e-12, err_msg=name)


def _child_main() -> None:
    """Run every check with float64 and strict rank promotion; print a JSON
    line {name: "ok" or the error}."""
    import jax

    jax.config.update("jax_enable_x64", True)
    results = {}
    with jax.numpy_rank_promotion("raise"):
        for name, fn in CHECKS.items():
            try:
                fn()
                results[name] = "ok"
            except Exception as err:  # noqa: BLE001 - reported to the parent test, by name
                results[name] = f"{type(err).__name__}: {err}"[:2000]
    print("STRICT-RESULTS " + json.dumps(results))


@pytest.fixture(scope="module")
def strict_results() -> dict[str, str]:
    env = {**os.environ, "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)}
    code = "from tests.test_float64_strict import _child_main; _child_main()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("STRICT-RESULTS ")]
    assert out.returncode == 0 and lines, out.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("STRICT-RESULTS "))


@pytest.mark.parametrize("name", list(CHECKS))
def test_step_function_in_float64_with_strict_rank_promotion(strict_results, name):
    assert strict_results[name] == "ok", strict_results[name]


def test_the_strict_settings_do_not_leak_into_this_process():
    import jax
    import jax.numpy as jnp

    assert jnp.zeros(1).dtype == jnp.float32 or os.environ.get("JAX_ENABLE_X64")
    assert jax.config.jax_numpy_rank_promotion != "raise"
