"""The shared sidebar block: device JAX runs on, versions, where the start-up
warm-up stands, and how long the last computation took (and how much of it was
compiling)."""

from __future__ import annotations

import os

import jax
import streamlit as st

import idf
from idf.app import warmup
from idf.app.timing import Timing


def device_label() -> str:
    """``GPU: NVIDIA H100`` or ``CPU (2 cores)``: the backend picked once by JAX."""
    device = jax.devices()[0]
    if device.platform == "cpu":
        return f"CPU ({os.cpu_count()} cores)"
    return f"{device.platform.upper()}: {device.device_kind}"


def versions() -> str:
    return f"idf {idf.__version__} · JAX {jax.__version__} · Streamlit {st.__version__}"


def warmup_line() -> str | None:
    """One line on the warm-up ("Warm-up done in 42 s: …"), or None when it never ran in this process.
    bench/browser_latency.py waits for the words "Warm-up done"."""
    p = warmup.progress()
    if p.phase == "idle":
        return None
    failed = f" ({len(p.failed)} failed: see the server log)" if p.failed else ""
    if p.phase == "done":
        return (f"Warm-up done in {p.seconds:.0f} s: every page's default view is cached and every count and "
                f"shape value is compiled{failed}.")
    what = "default views" if p.phase == "views" else "count and shape values"
    return f"Warm-up running ({what}: {p.done} of {p.total}, {p.seconds:.0f} s){failed}."


def status(timing: Timing | None, cached: bool = False) -> None:
    """Write the status block at the bottom of the sidebar."""
    box = st.sidebar.container(border=True)
    box.markdown(f"**Device:** {device_label()}  \n<small>{versions()}</small>", unsafe_allow_html=True)
    line = warmup_line()
    if line is not None:
        box.caption(line)
    if timing is None:
        box.caption("No computation yet.")
        return
    if cached:
        box.caption(f"Last computation ({timing.label}): served from cache "
                    f"(first took {timing.seconds:.2f} s).")
    else:
        box.caption(f"Last computation ({timing.label}): {timing.seconds:.2f} s, "
                    f"of which compile {timing.compile_seconds:.2f} s.")
