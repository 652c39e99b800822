"""The Home page's compute: one exact GFF picture, set by ``HomeConfig``."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import streamlit as st

from idf.app._common import ran
from idf.energy import GaussianFreeField


@dataclasses.dataclass(frozen=True)
class HomeConfig:
    """The picture on the Home page: an exact GFF sample of side ``size``, mass ``mass2``."""

    size: int = 64
    mass2: float = 0.05
    seed: int = 7


@st.cache_data(max_entries=4, show_spinner=False)
def gff_picture(config: HomeConfig = HomeConfig()) -> np.ndarray:  # noqa: B008 - frozen, so a shared default is safe
    """One exact GFF field [size, size] for the Home page's picture."""
    ran()
    c = config
    field = GaussianFreeField(mass2=c.mass2).sample_exact(jax.random.key(c.seed), (c.size, c.size), 1)[0]
    return np.asarray(field)
