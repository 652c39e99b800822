"""Line and bar charts: per-step traces with optional ±1 s.d. bands and
reference lines (for exact values drawn beside measured ones)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from idf.viz.specs import figure, hang_legend

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def log_ticks(values: np.ndarray) -> dict:
    """Tick values and labels for a log axis over ``values``. Over less than two decades Plotly
    labels every digit, and the in-between ones without their decade ("5" for 0.5): they overlap
    on a projector and read wrong. There the ticks are 1, 2 and 5 of each decade, written in
    full; over more, Plotly's own ({})."""
    v = np.asarray(values, np.float64).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size or np.log10(v.max() / v.min()) >= 2.0:
        return {}
    decades = range(int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max()))) + 1)
    vals = [m * 10.0**d for d in decades for m in (1, 2, 5) if v.min() / 1.5 <= m * 10.0**d <= v.max() * 1.5]
    return dict(tickvals=vals, ticktext=[f"{t:g}" for t in vals])


def log_axis(fig: go.Figure, axis: str = "y", **kw) -> None:
    """Make ``fig``'s x or y axis logarithmic with readable labels (``log_ticks``).
    ``kw`` go to the axis update (title_text, row, col)."""
    values = [np.asarray(getattr(t, axis), np.float64).ravel() for t in fig.data if getattr(t, axis) is not None]
    ticks = log_ticks(np.concatenate(values) if values else np.zeros(0))
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
    data = []
    for i, (name, y) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        line = dict(color=colour, dash="dash") if name in dashed else dict(color=colour)
        if isinstance(y, tuple):
            mean, sd = (np.asarray(v, np.float64) for v in y)
            data.append(dict(type="scatter", x=np.concatenate([x, x[::-1]]).astype(np.float32),
                             y=np.concatenate([mean + sd, (mean - sd)[::-1]]).astype(np.float32),
                             fill="toself", fillcolor=colour, opacity=0.2, line=dict(width=0),
                             hoverinfo="skip", showlegend=False, name=f"{name} ±1 s.d."))
            y = mean
        # float32: half the bytes, ample for a line
        data.append(dict(type="scatter", x=np.asarray(x, np.float32), y=np.asarray(y, np.float32), mode="lines",
                         name=name, line=line))
    for j, (name, value) in enumerate((hlines or {}).items()):
        data.append(dict(type="scatter", x=[x.min(), x.max()], y=[value, value], mode="lines", name=name,
                         line=dict(color="black", dash="dot" if j else "dash", width=1.5)))
    y_axis = dict(title=dict(text=y_title), type="linear")
    if log_y:
        y_axis = dict(y_axis, type="log", **log_ticks(np.concatenate([np.ravel(d["y"]) for d in data])))
    # One spec, one unvalidated Figure (idf.viz.specs): Plotly's objects, even unvalidated, cost
    # ~1 ms per property set, and a page draws several of these per rerun.
    return hang_legend(figure(data, dict(title=dict(text=title), margin=dict(l=10, r=10),
                                         xaxis=dict(title=dict(text=x_title)), yaxis=y_axis)), plot_px=270)


def bar_figure(values: Mapping[str, float], *, y_title: str, title: str = "") -> go.Figure:
    """One bar per named value (e.g. an energy split into its terms)."""
    names = list(values)
    vals = [float(values[k]) for k in names]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    return figure([dict(type="bar", x=names, y=vals, marker=dict(color=colours), text=[f"{v:.4g}" for v in vals],
                        textposition="outside")],
                  dict(title=dict(text=title), margin=dict(l=10, r=10, t=40, b=10), height=360,
                       xaxis=dict(title=dict(text="term")), yaxis=dict(title=dict(text=y_title))))
