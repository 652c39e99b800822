"""One figure in which the animation and the curves beside it move together.

Left: the animated field (a heatmap per frame). Right: one panel per curve
(φ(x_t) with N·kT/2, Σx̂₀²/Σx_t², H(t), KL(q_t‖N(0, I)), ΔH per trajectory …).
Every Plotly frame updates the heatmap *and* a cursor on every panel: a
vertical line at the frame's x and a marker on the panel's first curve. Play,
Pause and the slider drive all of them at once, in the browser.

Trace layout (what a frame updates, by index; the browser tests read it):
heatmap = trace 0; then per panel its curves (bands included), then its
cursor line and its marker, last: ``cursor_traces(fig)`` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from idf.viz.fields import COLORSCALE, animation_controls, display_values, symmetric_range
from idf.viz.specs import axis, figure, in_cell, set_frames, subplot_layout
from idf.viz.traces import PALETTE

CURSOR = "cursor"  # the name of every cursor line; markers are named "now: <panel title>"


class CurvePanel(NamedTuple):
    """One curve panel beside the animation.

    x:        [n] the curve's abscissa (step t, reverse step, transition …)
    series:   {name: y [n] or (mean [n], sd [n])}; the first is the one the marker rides on
    frame_x:  [F] the abscissa of each animation frame (the cursor's position)
    title, y_title, x_title: text, with units
    log_y:    a log y axis
    hlines:   {name: value} horizontal reference lines (exact values), dashed
    """

    x: np.ndarray
    series: Mapping[str, np.ndarray | tuple[np.ndarray, np.ndarray]]
    frame_x: np.ndarray
    title: str
    y_title: str
    x_title: str = "step t"
    log_y: bool = False
    hlines: Mapping[str, float] | None = None


def _curve_traces(p: CurvePanel, colour_offset: int) -> tuple[list[dict], np.ndarray, tuple[float, float]]:
    """The panel's curve traces, the first curve's y [n] (for the marker) and its y range."""
    x = np.asarray(p.x, np.float64)
    traces, first, values = [], None, []
    for i, (name, y) in enumerate(p.series.items()):
        colour = PALETTE[(colour_offset + i) % len(PALETTE)]
        if isinstance(y, tuple):
            mean, sd = (np.asarray(v, np.float64) for v in y)
            band = np.concatenate([mean + sd, (mean - sd)[::-1]])
            traces.append(dict(type="scatter", x=display_values(np.concatenate([x, x[::-1]])), y=display_values(band),
                               fill="toself", fillcolor=colour, opacity=0.2, line=dict(width=0), hoverinfo="skip",
                               showlegend=False))
            values.append(band)
            y = mean
        y = np.asarray(y, np.float64)
        traces.append(dict(type="scatter", x=display_values(x), y=display_values(y), mode="lines", name=name,
                           line=dict(color=colour)))
        values.append(y)
        first = y if first is None else first
    for j, (name, value) in enumerate((p.hlines or {}).items()):
        traces.append(dict(type="scatter", x=[x.min(), x.max()], y=[value, value], mode="lines", name=name,
                           line=dict(color="black", dash="dash" if j == 0 else "dot", width=1.2)))
        values.append(np.array([value]))
    allv = np.concatenate(values)
    allv = allv[np.isfinite(allv) & ((allv > 0) if p.log_y else True)]
    lo, hi = (float(allv.min()), float(allv.max())) if allv.size else (0.0, 1.0)
    return traces, first, (lo, hi)


def _cursor_data(p: CurvePanel, first: np.ndarray, y_range: tuple[float, float], f: int) -> list[dict]:
    """The cursor line's and the marker's coordinates for panel ``p`` at frame ``f``
    (plain trace dicts: a frame carries only what moves)."""
    xf = float(np.asarray(p.frame_x)[f])
    x = np.asarray(p.x, np.float64)
    yf = float(np.interp(xf, x, first)) if x.size else np.nan
    return [dict(type="scatter", x=[xf, xf], y=list(y_range)), dict(type="scatter", x=[xf], y=[yf])]


def _cursor(p: CurvePanel, first: np.ndarray, y_range: tuple[float, float], f: int) -> list[dict]:
    """The cursor line and the marker of panel ``p`` at frame ``f``, styled."""
    line, marker = _cursor_data(p, first, y_range, f)
    return [
        dict(line, mode="lines", name=CURSOR, showlegend=False, hoverinfo="skip",
             line=dict(color="#444", width=1, dash="dot")),
        dict(marker, mode="markers", name=f"now: {p.title}", showlegend=False,
             marker=dict(size=11, color="#ff7f0e", line=dict(color="black", width=1)),
             hovertemplate="%{x:.4g}, %{y:.4g}<extra>now</extra>"),
    ]


def linked_animation(
    frames: np.ndarray,
    labels: Sequence[str],
    panels: Sequence[CurvePanel],
    *,
    title: str = "",
    colorbar_title: str = "x (field<br>units)",
    frame_ms: int = 100,
    height_per_panel: int = 210,
) -> go.Figure:
    """The field animation [F, H, W] (frames named by ``labels``) with ``panels`` beside it,
    all moved by one set of Play/Pause buttons and one slider."""
    frames = np.asarray(frames, np.float64)
    labels = [str(s) for s in labels]
    if len(labels) != len(frames):
        raise ValueError(f"{len(frames)} frames but {len(labels)} labels")
    for p in panels:
        if len(p.frame_x) != len(frames):
            raise ValueError(f"panel {p.title!r}: {len(p.frame_x)} cursor positions for {len(frames)} frames")
    rows = max(len(panels), 1)
    specs = [[{"rowspan": rows}, {}]] + [[None, {}] for _ in range(rows - 1)]
    layout, cells = subplot_layout(rows=rows, cols=2, column_widths=[0.44, 0.56], specs=specs,
                                   horizontal_spacing=0.19, vertical_spacing=0.45 / rows,
                                   subplot_titles=[title] + [p.title for p in panels])
    r = symmetric_range(frames)
    # the colour bar in the gap between the field and the curves, not over the field; its title on
    # two lines and the gap wide enough that it clears the first panel's y-axis title
    data = [in_cell(dict(type="heatmap", z=display_values(frames[0]), zmin=-r, zmax=r, colorscale=COLORSCALE,
                         colorbar=dict(title=dict(text=colorbar_title, side="top"), x=0.41, xanchor="left",
                                       thickness=12, len=0.8)), cells[(1, 1)])]
    moving, state = [0], []
    for i, p in enumerate(panels):
        cell = cells[(i + 1, 2)]
        traces, first, y_range = _curve_traces(p, 2 * i)
        data += [in_cell(t, cell) for t in traces + _cursor(p, first, y_range, 0)]
        moving += [len(data) - 2, len(data) - 1]
        state.append((p, first, y_range))
        axis(layout, cell.xaxis, title=p.x_title)
        axis(layout, cell.yaxis, title=p.y_title, type="log" if p.log_y else "linear")
    field = cells[(1, 1)]
    axis(layout, field.xaxis, title="site x₂ (lattice units)", constrain="domain")
    axis(layout, field.yaxis, title="site x₁ (lattice units)", scaleanchor=field.refs["xaxis"],
         autorange="reversed", constrain="domain")
    # below the plot, in pixels: the slider and buttons, then the legend (one column of names)
    height = max(560, height_per_panel * rows + 300)
    plot_px = height - 50 - 250
    menus, sliders = animation_controls(labels, frame_ms, y=-60 / plot_px)
    layout.update(updatemenus=menus, sliders=sliders, height=height, margin=dict(l=10, r=10, t=50, b=250),
                  legend=dict(orientation="h", yanchor="top", y=-150 / plot_px, x=0.0, font=dict(size=11)))
    # One spec, one unvalidated figure (``idf.viz.specs``: validated, the Forward page's figure took
    # 0.11-0.23 s of its 0.4-0.6 s rerun). Frames carry only what moves (z, the cursors' x and y):
    # names, styles and the colour scale stay the traces'.
    fig = figure(data, layout)
    set_frames(fig, [
        dict(name=lab, traces=moving,
             data=[dict(type="heatmap", z=display_values(f))]
             + [d for p, first, yr in state for d in _cursor_data(p, first, yr, k)])
        for k, (f, lab) in enumerate(zip(frames, labels, strict=True))
    ])
    return fig


def cursor_traces(fig: go.Figure) -> list[int]:
    """Indices of the traces every frame moves (the heatmap first, then cursor, marker per panel)."""
    frames = fig.frames
    return list(frames[0].traces) if frames else []
