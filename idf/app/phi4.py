"""φ⁴ configurations for the pages (HMC from idf.samplers), cached per setting."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf.app._common import ran
from idf.app.timing import Timing, timed
from idf.energy import Phi4
from idf.samplers import HMC, run_chains

# The HMC run: fixed step size (dual-averaging adaptation is left off so the
# pages show a plain, reproducible HMC run), BURN_IN + NUM_STEPS steps in all.
STEP_SIZE, NUM_LEAPFROG, BURN_IN, NUM_STEPS = 0.1, 10, 300, 50


class Phi4Configurations(NamedTuple):
    """``fields`` [chains, size, size]: each chain's last state; ``acceptance``:
    the mean acceptance probability over chains and kept steps."""

    fields: np.ndarray
    acceptance: float
    timing: Timing


@st.cache_data(max_entries=16, show_spinner="HMC on φ⁴ …")
def phi4_configurations(size: int, mass2: float, coupling: float, kT: float, chains: int,
                        seed: int) -> Phi4Configurations:
    """φ⁴ fields [chains, size, size] after BURN_IN HMC burn-in steps and NUM_STEPS
    more (ε = STEP_SIZE, L = NUM_LEAPFROG), from 0.1·N(0, 1) starts."""
    ran()
    energy = Phi4(mass2=mass2, coupling=coupling, kT=kT)
    key_init, key_run = jax.random.split(jax.random.key(seed))
    x_init = 0.1 * jax.random.normal(key_init, (chains, size, size), jnp.result_type(float))
    with timed("HMC on φ⁴") as timing:
        result = run_chains(HMC(step_size=STEP_SIZE, num_leapfrog=NUM_LEAPFROG), energy, key_run, x_init,
                            NUM_STEPS, burn_in=BURN_IN, thin=NUM_STEPS, warn=False)
        fields = np.asarray(jax.block_until_ready(result.positions[:, -1]))
    return Phi4Configurations(fields, float(np.mean(np.asarray(result.acceptance_prob))), timing)
