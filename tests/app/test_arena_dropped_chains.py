"""The Arena's pooled numbers leave out stuck and frozen chains (issue 16, item 12)."""

import jax
import numpy as np
import pytest

from idf import diagnostics
from idf.app.arena_diagnostics import summarize
from idf.energy import Phi4
from idf.samplers import HMC, run_chains, select_chains


def test_a_stuck_chain_is_left_out_of_the_pooled_numbers_and_counted():
    """Chain 1 starts at x = 30, where every leapfrog proposal overflows (NaN) and is
    rejected: it is stuck at its start. The row pools the three healthy chains only:
    its acceptance and R̂ are those of the three alone, and it says one chain was left out."""
    energy = Phi4(-4.0, 8.0)
    x0 = 0.3 * jax.random.normal(jax.random.key(2), (4, 6, 6))
    x0 = x0.at[1].set(30.0)
    with pytest.warns(RuntimeWarning, match="stuck"):
        r = jax.device_get(run_chains(HMC(0.05, 5), energy, jax.random.key(0), x0, 200))
    row, _, _ = summarize("phi4", energy, "hmc", r, power=None, spectrum=None, seconds_warm=1.0,
                          grad_evals=1.0, exact_kl=float("nan"))  # fmt: skip
    healthy = select_chains(r, np.array([True, False, True, True]))
    assert row.dropped_chains == 1 and row.frozen_chains == 0
    assert row.acceptance == pytest.approx(float(np.mean(healthy.acceptance_prob)))
    assert row.acceptance > 0.5 > float(np.mean(r.acceptance_prob[1])) == 0.0
    m = diagnostics.magnetization(np.asarray(healthy.positions))
    phi = np.asarray(healthy.energy, np.float64)
    expected = max(float(diagnostics.split_rhat(m)), float(diagnostics.split_rhat(phi)))
    assert row.rhat == pytest.approx(expected)
    everyone = diagnostics.split_rhat(diagnostics.magnetization(np.asarray(r.positions)))
    assert float(everyone) > expected + 0.5  # pooling the chain stuck at m = 30 inflates R̂ (1.81 against 1.23)
