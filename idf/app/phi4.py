"""φ⁴ configurations for the pages (HMC from idf.samplers), cached per setting."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf.app._common import ran
from idf.app.timing import timed
from idf.energy import (
    Phi4,
)


@st.cache_data(max_entries=16, show_spinner="HMC on φ⁴ …")
def phi4_configurations(size: int, mass2: float, coupling: float, kT: float, chains: int, seed: int) -> dict:
    """φ⁴ fields [chains, size, size] after 300 HMC burn-in steps (ε = 0.1, L = 10).

    The step size is fixed: dual-averaging adaptation is left off so the page
    shows a plain, reproducible HMC run.
    """
    ran()
    from idf.samplers import HMC, run_chains

    energy = Phi4(mass2=mass2, coupling=coupling, kT=kT)
    key_init, key_run = jax.random.split(jax.random.key(seed))
    x_init = 0.1 * jax.random.normal(key_init, (chains, size, size), jnp.result_type(float))
    with timed("HMC on φ⁴") as timing:
        result = run_chains(HMC(step_size=0.1, num_leapfrog=10), energy, key_run, x_init, 50,
                            burn_in=300, thin=50, warn=False)
        fields = np.asarray(jax.block_until_ready(result.positions[:, -1]))
    return {"fields": fields, "acceptance": float(np.mean(np.asarray(result.acceptance_prob))),
            "timing": timing}
