"""Home: what IDF Explorer is and which device JAX runs on."""

import jax
import streamlit as st

import idf

st.title("IDF Explorer")
st.write(
    "A browser lab for physics-informed diffusion and Boltzmann sampling on 2-D lattice fields, "
    f"built on the `idf` JAX library (version {idf.__version__})."
)
device = jax.devices()[0]
st.info(f"JAX {jax.__version__} runs on **{device.platform.upper()}**: {device.device_kind}")
