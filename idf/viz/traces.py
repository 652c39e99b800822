"""Line and bar charts: per-step traces with optional ±1 s.d. bands and
reference lines (for exact values drawn beside measured ones)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def log_axis(fig: go.Figure, axis: str = "y", **kw) -> None:
    """Make ``fig``'s x or y axis logarithmic with readable labels. Over less than two decades
    Plotly labels every digit, and the in-between ones without their decade ("5" for 0.5): they
    overlap on a projector and read wrong. There the ticks are 1, 2 and 5 of each decade,
    written in full. ``kw`` go to the axis update (title_text, row, col)."""
    values = [np.asarray(getattr(t, axis), np.float64).ravel() for t in fig.data if getattr(t, axis) is not None]
    v = np.concatenate(values) if values else np.zeros(0)
    v = v[np.isfinite(v) & (v > 0)]
    ticks = {}
    if v.size and np.log10(v.max() / v.min()) < 2.0:
        decades = range(int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max()))) + 1)
        vals = [m * 10.0**d for d in decades for m in (1, 2, 5) if v.min() / 1.5 <= m * 10.0**d <= v.max() * 1.5]
        ticks = dict(tickvals=vals, ticktext=[f"{t:g}" for t in vals])
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(type="log", **ticks, **kw)


def line_figure(
    x: np.ndarray,
    series: Mapping[str, np.ndarray | tuple[np.ndarray, np.ndarray]],
    *,
    x_title: str,
    y_title: str,
    title: str = "",
    log_y: bool = False,
    hlines: Mapping[str, float] | None = None,
    dashed: tuple[str, ...] = (),
) -> go.Figure:
    """Lines y(x), one per entry of ``series``; a (mean, sd) pair draws a band.

    ``hlines`` adds labelled horizontal reference lines (e.g. exact values);
    names in ``dashed`` draw dashed (used for exact/theory curves).
    """
    x = np.asarray(x, np.float64)
    fig = go.Figure()
    for i, (name, y) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        dash = "dash" if name in dashed else None
        if isinstance(y, tuple):
            mean, sd = (np.asarray(v, np.float64) for v in y)
            fig.add_trace(dict(type="scatter", x=np.concatenate([x, x[::-1]]).astype(np.float32),
                               y=np.concatenate([mean + sd, (mean - sd)[::-1]]).astype(np.float32),
                               fill="toself", fillcolor=colour, opacity=0.2, line=dict(width=0),
                               hoverinfo="skip", showlegend=False, name=f"{name} ±1 s.d."))
            y = mean
        # float32: half the bytes, ample for a line; plain dicts: validated once (a go.Scatter
        # would be validated, then copied)
        fig.add_trace(dict(type="scatter", x=np.asarray(x, np.float32), y=np.asarray(y, np.float32), mode="lines",
                           name=name, line=dict(color=colour, dash=dash)))
    for j, (name, value) in enumerate((hlines or {}).items()):
        fig.add_trace(dict(type="scatter", x=[x.min(), x.max()], y=[value, value], mode="lines", name=name,
                           line=dict(color="black", dash="dot" if j else "dash", width=1.5)))
    rows = len(series) + len(hlines or {})
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"), height=380 + 18 * rows,
                      margin=dict(l=10, r=10, t=45 + 20 * rows, b=10),
                      legend=dict(orientation="v", yanchor="bottom", y=1.01, x=0, font=dict(size=11)))
    fig.update_xaxes(title_text=x_title)
    if log_y:
        log_axis(fig, "y", title_text=y_title)
    else:
        fig.update_yaxes(title_text=y_title, type="linear")
    return fig


def bar_figure(values: Mapping[str, float], *, y_title: str, title: str = "") -> go.Figure:
    """One bar per named value (e.g. an energy split into its terms)."""
    names = list(values)
    vals = [float(values[k]) for k in names]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    fig = go.Figure(go.Bar(x=names, y=vals, marker_color=colours, text=[f"{v:.4g}" for v in vals],
                           textposition="outside"))
    fig.update_layout(title=title, margin=dict(l=10, r=10, t=40, b=10), height=360)
    fig.update_xaxes(title_text="term")
    fig.update_yaxes(title_text=y_title)
    return fig
