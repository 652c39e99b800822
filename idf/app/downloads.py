"""Download buttons: the run as .npz (``idf.io.save_npz``), chains as ArviZ
InferenceData (.nc, ``idf.io.inference_data``), the animation as GIF, figures
as PNG. Files are built only when clicked (callable data)."""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from idf.io import save_npz
from idf.io.inference_data import netcdf_bytes
from idf.viz import figure_png, frames_gif


def npz_bytes(arrays: Mapping[str, Any], config: Mapping[str, Any]) -> bytes:
    """The arrays and the run's configuration as an .npz file in memory."""
    buf = io.BytesIO()
    save_npz(buf, dict(arrays), dict(config))
    return buf.getvalue()


def buttons(
    stem: str,
    arrays: Mapping[str, Any],
    config: Mapping[str, Any],
    *,
    frames: np.ndarray | None = None,
    figures: Mapping[str, go.Figure] | None = None,
    container: Any = None,
    inference_data: Mapping[str, Callable[[], Any]] | None = None,
) -> None:
    """One row of download buttons for a page's current view. ``inference_data``:
    {label: () -> arviz.InferenceData}, one .nc button per set of chains."""
    where = container if container is not None else st
    cols = where.columns([1, 1, 1, 2])
    cols[0].download_button("⬇ data (.npz)", data=lambda: npz_bytes(arrays, config), file_name=f"{stem}.npz",
                            mime="application/octet-stream", on_click="ignore", key=f"dl.{stem}.npz")
    if frames is not None:
        cols[1].download_button("⬇ animation (.gif)", data=lambda: frames_gif(frames), file_name=f"{stem}.gif",
                                mime="image/gif", on_click="ignore", key=f"dl.{stem}.gif")
    if figures:
        with cols[2].popover("⬇ figures (.png)"):
            for name, fig in figures.items():
                st.download_button(f"{name}.png", data=(lambda f=fig: figure_png(f)),
                                   file_name=f"{stem}_{name}.png", mime="image/png", on_click="ignore",
                                   key=f"dl.{stem}.{name}.png")
    if inference_data:
        with cols[3].popover("⬇ chains (ArviZ .nc)"):
            if importlib.util.find_spec("arviz") is None:
                st.caption("The InferenceData export needs ArviZ: `pip install arviz`. The .npz has the same arrays.")
                return
            for label, build in inference_data.items():
                st.download_button(f"{label}.nc", data=(lambda b=build: netcdf_bytes(b())),
                                   file_name=f"{stem}_{label}.nc", mime="application/x-netcdf", on_click="ignore",
                                   key=f"dl.{stem}.{label}.nc")
