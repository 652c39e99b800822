"""The shared sidebar block: device JAX runs on, versions, and how long the
last computation took (and how much of it was compiling)."""

from __future__ import annotations

import os

import jax
import streamlit as st

import idf
from idf.app.timing import Timing


def device_label() -> str:
    """``GPU: NVIDIA H100`` or ``CPU (2 cores)``: the backend picked once by JAX."""
    device = jax.devices()[0]
    if device.platform == "cpu":
        return f"CPU ({os.cpu_count()} cores)"
    return f"{device.platform.upper()}: {device.device_kind}"


def versions() -> str:
    return f"idf {idf.__version__} · JAX {jax.__version__} · Streamlit {st.__version__}"


def status(timing: Timing | None, cached: bool = False) -> None:
    """Write the status block at the bottom of the sidebar."""
    box = st.sidebar.container(border=True)
    box.markdown(f"**Device:** {device_label()}  \n<small>{versions()}</small>", unsafe_allow_html=True)
    if timing is None:
        box.caption("No computation yet.")
        return
    if cached:
        box.caption(f"Last computation ({timing.label}): served from cache "
                    f"(first took {timing.seconds:.2f} s).")
    else:
        box.caption(f"Last computation ({timing.label}): {timing.seconds:.2f} s, "
                    f"of which compile {timing.compile_seconds:.2f} s.")
