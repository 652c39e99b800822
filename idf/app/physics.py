"""The Physics-checks page's compute: the exact entropy and KL curves of the
forward marginals for every schedule. The checks themselves are ``idf.checks``."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app._common import ran, rise_share
from idf.diffusion import SCHEDULES, make_schedule
from idf.energy import GaussianFreeField


@dataclasses.dataclass(frozen=True)
class PhysicsConfig:
    """The page's controls: the seed of the statistical checks, and kT of the
    GFF in the entropy plot (H(t) rises only in modes whose P_k = kT/A(k) < 1).
    The plot's lattice, mass and schedule length are fixed here too."""

    seed: int = 0
    kT: float = 4.0
    size: int = 8
    mass2: float = 1.0
    num_steps: int = 1000


class EntropyCurves(NamedTuple):
    """Per schedule name: the exact H(t) and KL(q_t ‖ N(0, I)) [T+1] (nats), and the
    share of steps on which H rises; ``kl_rising_steps`` counts the steps on which
    any schedule's KL rises (0: it never does)."""

    t: np.ndarray
    entropy: dict[str, np.ndarray]
    kl: dict[str, np.ndarray]
    entropy_rises: dict[str, float]
    kl_rising_steps: int


@st.cache_data(max_entries=16, show_spinner=False)
def entropy_curves(config: PhysicsConfig) -> EntropyCurves:
    """Exact, instant: the forward marginal's entropy and its KL to the prior, per schedule."""
    ran()
    c = config
    power = np.asarray(GaussianFreeField(mass2=c.mass2, kT=c.kT).covariance_spectrum((c.size, c.size)), np.float64)
    entropy, kl = {}, {}
    for name in SCHEDULES:
        ab = make_schedule(name, c.num_steps).alpha_bars
        entropy[name] = diagnostics.forward_entropy(power, ab)
        kl[name] = diagnostics.forward_kl_to_prior(power, ab)
    return EntropyCurves(
        t=np.arange(c.num_steps + 1),
        entropy=entropy,
        kl=kl,
        entropy_rises={name: rise_share(h) for name, h in entropy.items()},
        kl_rising_steps=sum(int(np.sum(np.diff(v) > 1e-12)) for v in kl.values()),
    )
