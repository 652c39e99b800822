"""The Physics-checks page's checks, run as tests: each must hold."""

import numpy as np
import pytest

from idf import checks, diagnostics

FAST = {"forward_kl_monotone", "entropy_not_monotone", "default_energy_improper"}


def _params():
    for check in checks.CHECKS:
        marks = () if check.__name__ in FAST else (pytest.mark.slow,)
        yield pytest.param(check, id=check.__name__, marks=marks)


@pytest.mark.parametrize("check", list(_params()))
def test_check_holds(check):
    result = checks.run_check(check, seed=0)
    assert result.status in ("pass", "truth"), result
    assert result.n > 0 and result.detail


def test_a_broken_check_becomes_a_red_badge():
    def broken(seed):
        raise RuntimeError("boom")

    result = checks.run_check(broken)
    assert result.status == "fail" and "boom" in result.detail


def test_per_mode_standard_errors_make_z_unit_variance():
    """White-noise draws: z = (P̂/P − 1)/SE has sd 1 on every mode when SE is
    √(2/n) on the 4 self-conjugate modes and √(1/n) on the conjugate pairs
    (one √(2/n) for all gave sd 0.71 on the pairs). R = 400 data sets of
    n = 256; the sd of z is checked within 4 of its SE ≈ 1/√(2R·m) for m modes."""
    rng = np.random.default_rng(0)
    shape, n, reps = (8, 8), 256, 400
    z = np.array([checks.mode_z(diagnostics.empirical_power(rng.standard_normal((n, *shape))), np.ones(shape), n)
                  for _ in range(reps)])
    mask = diagnostics.self_conjugate_mask(shape)
    for modes, count in ((mask, 4), (~mask, 30)):  # 30 pairs: each pair's two entries are one estimate
        sd = z[:, modes].std()
        assert abs(sd - 1.0) < 4.0 / np.sqrt(2 * reps * count), (count, sd)


def test_truth_badges_fail_when_the_numbers_stop_refuting_the_claim():
    rising = np.linspace(0.0, 1.0, 50)
    assert checks.entropy_verdict(rising).status == "fail"
    assert "holds" in checks.entropy_verdict(rising).detail
    wavy = np.sin(np.linspace(0.0, 6.0, 50))
    assert checks.entropy_verdict(wavy).status == "truth" and "false" in checks.entropy_verdict(wavy).detail
    assert checks.improper_verdict(-4.0, True, 1.0).status == "truth"
    assert checks.improper_verdict(-4.0, False, 1.0).status == "fail"  # improper but sampled anyway
    proper = checks.improper_verdict(0.5, False, 1.0)
    assert proper.status == "fail" and "0.5" in proper.detail and "normalisable" in proper.detail


def test_kl_check_states_expected_value_and_sd_and_fails_beyond_k_sd():
    """DDPM's KL̂ is expected at 0.0089 ± 0.0018: 0.019 passed the old "< 0.02" but is 5.6 sd off."""
    good = checks.kl_check("k", 0.0100, (0.0089, 0.0018), 4096, "why")
    assert good.status == "pass" and "0.0089 ± 0.0018" in good.detail and good.tolerance == checks.K_SE
    assert checks.kl_check("k", 0.019, (0.0089, 0.0018), 4096, "why").status == "fail"


def test_weighted_slope_and_its_standard_error():
    x = np.log([0.05, 0.1, 0.2])
    slope, se = checks.weighted_slope(x, 2.0 * x + 1.0, np.full(3, 0.1))
    assert slope == pytest.approx(2.0) and se == pytest.approx(0.1 / np.sqrt(np.sum((x - x.mean()) ** 2)))


def test_chain_jackknife_removes_the_bias_and_catches_a_2_percent_error():
    """32 'chains' of 400 white-noise fields: the jackknife over chains removes
    the i.i.d. bias (KL̂ ≈ fourier_kl_bias, corrected ≈ 0 within 4 SE); fields
    2 % too wide (true KL = 32·(1.0404 − 1 − ln 1.0404) = 0.0253 nats) passed
    the old "KL < 0.05" and are now over 8 SE (≈ 12) from 0, and match the true KL."""
    rng = np.random.default_rng(1)
    shape, power = (8, 8), np.ones((8, 8))
    x = rng.standard_normal((32, 400, *shape))
    kl, corrected, se = checks.chain_jackknife_kl(x, power)
    assert abs(kl - diagnostics.fourier_kl_bias(shape, x.shape[0] * x.shape[1])) < 4 * se
    assert abs(corrected) < checks.K_SE * se
    kl, corrected, se = checks.chain_jackknife_kl(1.02 * x, power)
    truth = diagnostics.gaussian_kl(np.full(shape, 1.02**2), power)
    assert kl < 0.05 and corrected / se > 2 * checks.K_SE and abs(corrected - truth) < 4 * se
