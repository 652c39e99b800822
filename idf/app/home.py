"""The Home page's picture."""

from __future__ import annotations

import jax
import numpy as np
import streamlit as st

from idf.energy import (
    GaussianFreeField,
)


@st.cache_data(max_entries=4, show_spinner=False)
def gff_picture(size: int = 64, mass2: float = 0.05, seed: int = 7) -> np.ndarray:
    """One exact GFF field [size, size] for the Home page's picture."""
    return np.asarray(GaussianFreeField(mass2=mass2).sample_exact(jax.random.key(seed), (size, size), 1)[0])
