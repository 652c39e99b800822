"""Figures for the multi-scale page: the pyramid side by side, radially
averaged power spectra against the exact ones (log axes), and inpainting
panels (observation, samples, exact conditional moments)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from idf.viz.fields import display_values, heatmap_spec, symmetric_range
from idf.viz.specs import axis, figure, hang_legend, in_cell, named_colorscale, subplot_layout
from idf.viz.traces import PALETTE, log_ticks

VIRIDIS = named_colorscale("Viridis")


def pyramid_figure(fields: Sequence[np.ndarray], titles: Sequence[str], title: str = "") -> go.Figure:
    """One field per scale ([L_s, L_s] each, coarse to fine) side by side on one
    colour range; each panel spans the same box, so sites shrink with scale."""
    n = len(fields)
    layout, cells = subplot_layout(rows=1, cols=n, horizontal_spacing=0.02, subplot_titles=list(titles))
    r = symmetric_range(np.concatenate([np.ravel(f) for f in fields]))
    data = []
    for i, f in enumerate(fields):
        f = np.asarray(f, np.float64)
        side = f.shape[-1]
        coords = (np.arange(side) + 0.5) / side  # box units, so every scale spans [0, 1]
        cell = cells[(1, i + 1)]
        data.append(in_cell(heatmap_spec(f, r, "x (field units)", x=display_values(coords), y=display_values(coords),
                                         showscale=(i == 0)), cell))
        axis(layout, cell.xaxis, title="x₂ (box units)", constrain="domain")
        axis(layout, cell.yaxis, scaleanchor=cell.refs["xaxis"], autorange="reversed", constrain="domain",
             showticklabels=(i == 0))
    axis(layout, cells[(1, 1)].yaxis, title="x₁ (box units)")
    layout.update(title=dict(text=title), height=380, margin=dict(l=10, r=10, t=70, b=10))
    return figure(data, layout)


def radial_spectrum_figure(
    measured: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    exact: Mapping[str, tuple[np.ndarray, np.ndarray]],
    title: str = "",
) -> go.Figure:
    """Radially averaged power on log–log axes.

    measured  name -> (|q| [S], shell power [S], standard error [S]): markers
              with ±1 SE bars.
    exact     name -> (|q| [S], exact shell power [S]): dashed lines.
    The zero mode (|q| = 0) is left out (log axis).
    """
    data = []
    for i, (name, (q, p, se)) in enumerate(measured.items()):
        keep = np.asarray(q) > 0
        data.append(dict(type="scatter", x=np.asarray(q)[keep], y=np.asarray(p)[keep], mode="markers", name=name,
                         marker=dict(color=PALETTE[i % len(PALETTE)], size=5),
                         error_y=dict(type="data", array=np.asarray(se)[keep], visible=True, thickness=1)))
    for j, (name, (q, p)) in enumerate(exact.items()):
        keep = np.asarray(q) > 0
        data.append(dict(type="scatter", x=np.asarray(q)[keep], y=np.asarray(p)[keep], mode="lines", name=name,
                         line=dict(color=PALETTE[j % len(PALETTE)], dash="dash")))
    span = lambda key: np.concatenate([np.ravel(d[key]) for d in data]) if data else np.zeros(0)  # noqa: E731
    # the legend hangs under the x-axis title: above the plot it sat on the figure's title
    return hang_legend(figure(data, dict(
        title=dict(text=title), margin=dict(l=10, r=10),
        xaxis=dict(type="log", title=dict(text="|q| (cycles per box side; k = 2π|q|/L rad per site), log"),
                   **log_ticks(span("x"))),
        yaxis=dict(type="log", title=dict(text="⟨|x̂_k|²⟩ in the |q| shell (field units², unitary FFT), log"),
                   **log_ticks(span("y"))),
    )), plot_px=330)


def inpainting_figure(panels: Mapping[str, np.ndarray], mask: np.ndarray, title: str = "") -> go.Figure:
    """Fields [H, W] side by side (observation, samples, moments); the known
    sites (``mask`` True) are outlined by a grey overlay on the first panel."""
    names = list(panels)
    layout, cells = subplot_layout(rows=1, cols=len(names), horizontal_spacing=0.03, subplot_titles=names)
    signed = [n for n in names if "s.d." not in n]
    r = symmetric_range(np.concatenate([np.ravel(panels[n]) for n in signed])) if signed else 1.0
    data = []
    for i, name in enumerate(names):
        z = display_values(panels[name])
        if "s.d." in name:
            trace = dict(type="heatmap", z=z, zmin=0.0, colorscale=VIRIDIS, showscale=False)
        else:
            trace = heatmap_spec(z, r, "x (field units)", showscale=(i == 0))
        cell = cells[(1, i + 1)]
        data.append(in_cell(trace, cell))
        axis(layout, cell.yaxis, autorange="reversed", scaleanchor=cell.refs["xaxis"], constrain="domain",
             showticklabels=False)
        axis(layout, cell.xaxis, showticklabels=False, constrain="domain", title="x₂ (sites)")
    hole = np.where(np.asarray(mask, bool), np.nan, 1.0)
    data.append(in_cell(dict(type="heatmap", z=hole, colorscale=[[0, "rgba(0,0,0,0.35)"], [1, "rgba(0,0,0,0.35)"]],
                             showscale=False, hoverinfo="skip"), cells[(1, 1)]))
    axis(layout, cells[(1, 1)].yaxis, title="x₁ (sites)")
    layout.update(title=dict(text=title), height=300, margin=dict(l=10, r=10, t=70, b=10))
    return figure(data, layout)


def moments_figure(exact_mean: np.ndarray, mean: Mapping[str, np.ndarray], exact_sd: np.ndarray,
                   sd: Mapping[str, np.ndarray], title: str = "") -> go.Figure:
    """Per unknown site: measured mean and s.d. against the exact conditional
    ones (scatter on the diagonal = exact)."""
    layout, cells = subplot_layout(rows=1, cols=2, subplot_titles=["mean of unknown sites", "s.d. of unknown sites"])
    data = []
    for col, (ex, series) in enumerate(((exact_mean, mean), (exact_sd, sd)), start=1):
        ex = np.asarray(ex, np.float64)
        lo, hi = float(np.min(ex)), float(np.max(ex))
        cell = cells[(1, col)]
        for i, (name, v) in enumerate(series.items()):
            data.append(in_cell(dict(type="scatter", x=ex, y=np.asarray(v, np.float64), mode="markers", name=name,
                                     marker=dict(color=PALETTE[i % len(PALETTE)], size=6),
                                     showlegend=(col == 1)), cell))
        data.append(in_cell(dict(type="scatter", x=[lo, hi], y=[lo, hi], mode="lines", name="exact (diagonal)",
                                 line=dict(color="black", dash="dash"), showlegend=(col == 1)), cell))
        axis(layout, cell.xaxis, title="exact conditional (field units)")
        axis(layout, cell.yaxis, title="measured (field units)")
    layout.update(title=dict(text=title), margin=dict(l=10, r=10))
    return hang_legend(figure(data, layout), plot_px=260, top=70)
