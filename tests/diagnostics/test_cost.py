"""The cost comparison (idf.diagnostics.cost) on numbers worked by hand."""

import math

import pytest

from idf.diagnostics.cost import Cost, break_even, compare, relative_cost, training_cost

# HMC: 1000 ESS in 10 s and 11 000 gradients; diffusion: 4000 ESS in 4 s, 20 000 ge, trained in 100 s / 1e6 ge
HMC = Cost("hmc", ess=1000.0, draws=10_000, seconds=10.0, gradients=11_000.0)
DIFF = Cost("diffusion-mh", ess=4000.0, draws=10_000, seconds=4.0, gradients=20_000.0,
            training_seconds=100.0, training_gradients=1e6)


def test_rates_with_and_without_training():
    assert HMC.per_second() == pytest.approx(100.0)
    assert HMC.per_second(1e6) == pytest.approx(100.0)  # nothing to amortise
    assert DIFF.per_second() == pytest.approx(1000.0)
    # training over 10 000 draws: 4 s + 100 s for 4000 ESS
    assert DIFF.per_second(10_000) == pytest.approx(4000.0 / 104.0)
    assert DIFF.per_gradient(10_000) == pytest.approx(4000.0 / 1.02e6)
    assert DIFF.per_second(1e12) == pytest.approx(DIFF.per_second(), rel=1e-6)


def test_break_even_by_hand():
    # seconds: a = 0.01 s/ESS, b = 0.001 s/ESS -> n* = 100/0.009 ESS, draws = n* · 10 000/4000
    n_eff, draws = break_even(HMC, DIFF, "seconds")
    assert n_eff == pytest.approx(100.0 / 0.009)
    assert draws == pytest.approx(n_eff * 2.5)
    # gradients: a = 11 ge/ESS, b = 5 ge/ESS -> n* = 1e6/6
    assert break_even(HMC, DIFF, "gradients")[0] == pytest.approx(1e6 / 6.0)
    # a trained sampler that costs more per ESS never breaks even; one with no ESS neither
    slow = Cost("slow", 10.0, 100, 10.0, 1e5, 1.0, 1.0)
    assert break_even(HMC, slow) == (math.inf, math.inf)
    assert break_even(HMC, Cost("dead", 0.0, 10, 1.0, 1.0)) == (math.inf, math.inf)
    # a baseline that never decorrelates (ESS 0: HMC across the φ⁴ modes) is beaten from the first draw
    assert break_even(Cost("stuck", 0.0, 10, 1.0, 1.0), DIFF) == (0.0, 0.0)
    with pytest.raises(ValueError, match="by must be"):
        break_even(HMC, DIFF, "joules")


def test_compare_table_and_training_cost_from_meta():
    table = compare(HMC, DIFF, amortised_over=(10_000,))
    assert table.rows["diffusion-mh"]["ESS/s (training over 10000 draws)"] == pytest.approx(4000.0 / 104.0)
    assert table.rows["hmc"]["ESS/ge"] == pytest.approx(1000.0 / 11_000.0)
    assert table.break_even_gradients[0] == pytest.approx(1e6 / 6.0)
    meta = {"step": 100, "train_config": {"batch_size": 8}, "train_seconds": 5.0, "data_seconds": 1.0}
    data = {"chains": 4, "num_samples": 40, "burn_in": 10, "thin": 2, "leapfrog": 9}
    cost = training_cost(meta, data, network_ge=2.0)
    assert cost["seconds"] == 6.0
    assert cost["network_gradients"] == 100 * 8 * 3 * 2.0
    assert cost["data_gradients"] == 4 * (10 + 2 * 10) * 10
    assert cost["missing"] == ""
    assert "train_seconds" in training_cost({}, {}, 1.0)["missing"]


def test_relative_cost_is_a_time_ratio():
    import time

    ratio = relative_cost(lambda: time.sleep(0.004), lambda: time.sleep(0.001), repeats=3)
    assert 1.5 < ratio < 8.0
