"""Figures of the φ⁴ phase-transition scan: observables against κ with error
bars, one line per lattice size, and τ_int against L on log axes with the
fitted power law (critical slowing down)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from idf.viz.specs import hang_legend
from idf.viz.traces import PALETTE

PHASE_COLUMN_PX = 240  # the Phase page draws these three to a row: ~260 px wide at 1280 px


def errorbar_figure(
    x: np.ndarray,
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    x_title: str,
    y_title: str,
    title: str = "",
    vline: tuple[float, float] | None = None,
    vline_name: str = "",
    log_y: bool = False,
) -> go.Figure:
    """Markers + lines y(x) ± error, one per entry {name: (y [n], error [n])};
    NaN points are left out. ``vline`` = (x, error) draws a dashed vertical line
    with a shaded ±error band (e.g. the U₄ crossing)."""
    x = np.asarray(x, np.float64)
    fig = go.Figure()
    for i, (name, (y, err)) in enumerate(series.items()):
        y, err = np.asarray(y, np.float64), np.asarray(err, np.float64)
        keep = np.isfinite(y)
        fig.add_trace(go.Scatter(
            x=x[keep], y=y[keep], mode="lines+markers", name=name, line=dict(color=PALETTE[i % len(PALETTE)]),
            error_y=dict(type="data", array=np.nan_to_num(err[keep]), visible=True, thickness=1.2, width=4),
        ))
    if vline is not None and np.isfinite(vline[0]):
        xc, xe = vline
        if np.isfinite(xe) and xe > 0:
            fig.add_vrect(x0=xc - xe, x1=xc + xe, fillcolor="grey", opacity=0.15, line_width=0)
        fig.add_vline(x=xc, line=dict(color="black", dash="dash", width=1.5))
        fig.add_trace(go.Scatter(x=[xc], y=[None], mode="lines", line=dict(color="black", dash="dash"),
                                 name=vline_name or f"{xc:.4f}"))
    fig.update_layout(title=dict(text=title), margin=dict(l=10, r=10))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear")
    return hang_legend(fig, plot_px=290, width_px=PHASE_COLUMN_PX)


def scaling_figure(
    sizes: np.ndarray,
    tau: np.ndarray,
    tau_error: np.ndarray,
    z: float,
    z_error: float,
    *,
    x_title: str,
    y_title: str,
    title: str = "",
) -> go.Figure:
    """τ_int(L) ± error on log-log axes with the weighted power-law fit τ = c·L^z
    (slope z through the weighted log-centroid, weights (τ/τ_error)² as in
    ``idf.samplers.scan.dynamic_exponent``; unweighted when errors are missing)."""
    sizes = np.asarray(sizes, np.float64)
    tau, tau_error = np.asarray(tau, np.float64), np.asarray(tau_error, np.float64)
    fig = go.Figure(go.Scatter(
        x=sizes, y=tau, mode="markers", name="τ_int(|M|) measured", marker=dict(size=9, color=PALETTE[0]),
        error_y=dict(type="data", array=np.nan_to_num(tau_error), visible=True, thickness=1.2, width=5),
    ))
    keep = np.isfinite(tau) & (tau > 0)
    if np.isfinite(z) and keep.sum() >= 2:
        lx, ly = np.log(sizes[keep]), np.log(tau[keep])
        sig = tau_error[keep] / tau[keep]
        w = 1.0 / sig**2 if np.all(np.isfinite(sig) & (sig > 0)) else np.ones_like(lx)
        c = np.sum(w * ly) / np.sum(w) - z * np.sum(w * lx) / np.sum(w)  # a WLS line meets the weighted means
        grid = np.geomspace(sizes.min(), sizes.max(), 30)
        label = f"fit ∝ L^z, z = {z:.2f} ± {z_error:.2f}" if np.isfinite(z_error) else f"fit ∝ L^z, z = {z:.2f}"
        fig.add_trace(go.Scatter(x=grid, y=np.exp(c) * grid**z, mode="lines", name=label,
                                 line=dict(color=PALETTE[1], dash="dash")))
    fig.update_layout(title=dict(text=title), margin=dict(l=10, r=10))
    fig.update_xaxes(title_text=x_title, type="log", tickvals=list(sizes), ticktext=[f"{s:g}" for s in sizes])
    fig.update_yaxes(title_text=y_title, type="log")
    return hang_legend(fig, plot_px=260, width_px=PHASE_COLUMN_PX)
