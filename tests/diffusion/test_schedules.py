"""Schedules against the papers' and diffusers' definitions, written out here
independently (per-step loops in float64 / float32 as diffusers computes them)."""

import math

import numpy as np
import pytest

from idf.diffusion import inference_timesteps, make_schedule, step_table


@pytest.mark.parametrize("name", ["linear", "cosine", "sqrt"])
def test_alpha_bar_is_cumprod_of_one_minus_beta(name):
    s = make_schedule(name, 500)
    assert s.betas.dtype == np.float64
    np.testing.assert_allclose(s.alphas, 1.0 - s.betas, rtol=0, atol=0)
    np.testing.assert_allclose(s.alpha_bars, np.cumprod(1.0 - s.betas), rtol=1e-15)
    assert np.all((s.betas > 0) & (s.betas <= 0.999))


def test_linear_equals_diffusers_linear_in_float32():
    # diffusers: torch.linspace(beta_start, beta_end, T, dtype=float32)
    ref = np.linspace(np.float32(1e-4), np.float32(0.02), 1000, dtype=np.float32)
    np.testing.assert_allclose(make_schedule("linear", 1000).betas.astype(np.float32), ref, rtol=1e-6)
    # The well-known DDPM figure: ᾱ_T ≈ 4.036e-5 for this schedule.
    assert make_schedule("linear", 1000).alpha_bars[-1] == pytest.approx(4.0358e-5, rel=1e-4)


def _betas_for_alpha_bar(alpha_bar, T, max_beta=0.999):
    """diffusers' betas_for_alpha_bar, as a plain loop."""
    out = []
    for i in range(T):
        t1, t2 = i / T, (i + 1) / T
        out.append(min(1 - alpha_bar(t2) / alpha_bar(t1), max_beta))
    return np.array(out, dtype=np.float32)


def test_cosine_equals_squaredcos_cap_v2():
    ref = _betas_for_alpha_bar(lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2, 1000)
    ours = make_schedule("cosine", 1000).betas.astype(np.float32)
    np.testing.assert_allclose(ours, ref, rtol=2e-6, atol=1e-9)
    assert ours[-1] == pytest.approx(0.999)  # the cap bites at the last step


def test_sqrt_follows_diffusion_lm():
    T = 200
    s = make_schedule("sqrt", T)
    t = np.arange(1, T + 1) / T
    # ᾱ(t) = 1 − √(t + s) relative to ᾱ(0) = 1 − √s, until the β cap is reached
    expected = (1 - np.sqrt(t + 1e-4)) / (1 - np.sqrt(1e-4))
    uncapped = s.betas < 0.999
    np.testing.assert_allclose(s.alpha_bars[uncapped], expected[uncapped], rtol=1e-10)


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="choose one of"):
        make_schedule("quadratic")
    with pytest.raises(ValueError, match="beta_start"):
        make_schedule("linear", 10, beta_start=0.5, beta_end=0.1)
    with pytest.raises(ValueError):
        make_schedule("linear", 0)


def test_spacings_match_diffusers():
    np.testing.assert_array_equal(inference_timesteps(1000, 10, "leading"), np.arange(900, -1, -100))
    np.testing.assert_array_equal(inference_timesteps(1000, 10, "trailing"), np.arange(999, 0, -100))
    np.testing.assert_array_equal(inference_timesteps(1000, 1000, "leading"), np.arange(999, -1, -1))
    with pytest.raises(ValueError):
        inference_timesteps(100, 101)
    with pytest.raises(ValueError, match="spacing"):
        inference_timesteps(100, 10, "linspace")


def test_step_table_uses_the_subsequence_and_ends_at_one():
    s = make_schedule("linear", 1000)
    steps = inference_timesteps(1000, 50, "leading")
    ab, ab_prev = step_table(s, steps)
    assert ab_prev[-1] == 1.0
    np.testing.assert_array_equal(ab_prev[:-1], s.alpha_bars[steps[1:]])
    np.testing.assert_array_equal(ab, s.alpha_bars[steps])
