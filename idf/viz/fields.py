"""Lattice fields as heatmaps: one field, a panel of fields, and an animation
played in the browser (Plotly frames with Play/Pause buttons and a step slider)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from idf.viz.specs import axis, figure, in_cell, named_colorscale, subplot_layout

# diverging: fields are signed, zero is white; as the list a spec carries (idf.viz.specs)
COLORSCALE = named_colorscale("RdBu_r")


def symmetric_range(values: np.ndarray, quantile: float = 0.995) -> float:
    """A colour range ±r that holds ``quantile`` of |values| (r > 0, finite)."""
    finite = np.abs(np.asarray(values, np.float64))
    finite = finite[np.isfinite(finite)]
    r = float(np.quantile(finite, quantile)) if finite.size else 1.0
    return r if r > 0 else 1.0


def subsample_frames(num_frames: int, max_frames: int = 60) -> np.ndarray:
    """Indices of at most ``max_frames`` evenly spaced frames, first and last kept."""
    if num_frames <= max_frames:
        return np.arange(num_frames)
    return np.unique(np.round(np.linspace(0, num_frames - 1, max_frames)).astype(int))


def display_values(z: np.ndarray) -> np.ndarray:
    """Values as a chart sends them: float32 (7 significant digits, far finer than a colour
    scale or a line resolves; Plotly ships arrays as typed base64, so this halves the bytes
    of float64). Downloads and the numbers on the page keep the computed precision."""
    return np.asarray(z, np.float32)


def heatmap_spec(z: np.ndarray, r: float, colorbar_title: str, **kw) -> dict:
    """A field's heatmap trace as a plain spec: diverging scale on ±r, float32 values."""
    return dict(type="heatmap", z=display_values(z), zmin=-r, zmax=r, colorscale=COLORSCALE,
                colorbar=dict(title=dict(text=colorbar_title)), **kw)


def _heatmap(z: np.ndarray, r: float, colorbar_title: str, **kw) -> go.Heatmap:
    return go.Heatmap(heatmap_spec(z, r, colorbar_title, **kw))


LATTICE_AXES = dict(  # a field's axes: sites, square cells, row 0 on top
    xaxis=dict(title=dict(text="site x₂ (lattice units)"), constrain="domain"),
    yaxis=dict(title=dict(text="site x₁ (lattice units)"), scaleanchor="x", autorange="reversed", constrain="domain"),
)


def _lattice_axes(fig: go.Figure) -> None:
    fig.update_layout(LATTICE_AXES)  # Plotly copies what it is given


def field_heatmap(field: np.ndarray, title: str = "", colorbar_title: str = "x (field units)",
                  wrap: int = 0) -> go.Figure:
    """One field [H, W] as a heatmap with lattice axes; a title longer than ``wrap`` characters
    (0: never) goes on several lines (on a half-width panel one line is cut at the edge)."""
    field = np.asarray(field)
    lines = (textwrap.wrap(title, wrap) if wrap else [title]) or [""]
    return figure([heatmap_spec(field, symmetric_range(field), colorbar_title)],
                  dict(title=dict(text="<br>".join(lines)), margin=dict(l=10, r=10, t=20 + 20 * len(lines), b=10),
                       **LATTICE_AXES))


def field_grid(fields: np.ndarray, title: str = "", cols: int = 4,
               colorbar_title: str = "x (field units)") -> go.Figure:
    """A panel of fields [n, H, W] on one shared colour scale, square cells."""
    fields = np.asarray(fields)
    n = len(fields)
    cols = min(cols, n)
    rows = int(np.ceil(n / cols))
    layout, cells = subplot_layout(rows=rows, cols=cols, horizontal_spacing=0.015, vertical_spacing=0.06,
                                   subplot_titles=[f"sample {i}" for i in range(n)])
    r = symmetric_range(fields)
    data = [in_cell(heatmap_spec(f, r, colorbar_title, showscale=(i == 0)), cells[(i // cols + 1, i % cols + 1)])
            for i, f in enumerate(fields)]
    for (rr, c), cell in cells.items():
        axis(layout, cell.xaxis, showticklabels=False, constrain="domain",
             **({"title": "x₂ (sites)"} if rr == rows else {}))
        axis(layout, cell.yaxis, showticklabels=False, autorange="reversed", constrain="domain",
             **({"title": "x₁ (sites)"} if c == 1 else {}))
    layout.update(title=dict(text=title), height=200 * rows + 90, margin=dict(l=10, r=10, t=70, b=10))
    return figure(data, layout)


def animated_heatmap(
    frames: np.ndarray,
    labels: Sequence[str],
    title: str = "",
    colorbar_title: str = "x (field units)",
    frame_ms: int = 80,
) -> go.Figure:
    """An animation of fields [F, H, W] played in the browser.

    ``labels`` name each frame (shown on the slider, e.g. "t = 250"). One
    colour range for all frames, so the eye sees amplitudes change.
    """
    frames = np.asarray(frames, np.float64)
    labels = [str(s) for s in labels]
    if len(labels) != len(frames):
        raise ValueError(f"{len(frames)} frames but {len(labels)} labels")
    r = symmetric_range(frames)
    fig = go.Figure(
        data=[_heatmap(frames[0], r, colorbar_title)],
        # a frame carries only what changes (z): colour range, scale and colour bar stay the trace's;
        # plain dicts, which Plotly validates once (a go.Frame would be validated, then copied)
        frames=[dict(data=[dict(type="heatmap", z=display_values(f))], name=lab, traces=[0])
                for f, lab in zip(frames, labels, strict=True)],
    )
    menus, sliders = animation_controls(labels, frame_ms)
    fig.update_layout(title=title, margin=dict(l=10, r=10, t=40, b=120), height=580, updatemenus=menus,
                      sliders=sliders)
    _lattice_axes(fig)
    return fig


def animation_controls(
    labels: Sequence[str], frame_ms: int = 80, y: float = -0.17
) -> tuple[list[dict], list[dict]]:
    """(updatemenus, sliders) for a figure whose frames are named ``labels``: Play/Pause
    buttons and a step slider under the plot at height ``y`` (paper units; shared by every
    animation, so all of them look and behave alike)."""
    play = dict(frame=dict(duration=frame_ms, redraw=True), transition=dict(duration=0),
                fromcurrent=True, mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    menus = [dict(
        type="buttons", direction="left", x=0.0, y=y - 0.03, xanchor="left", yanchor="top",
        buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                 dict(label="⏸ Pause", method="animate", args=[[None], pause])],
    )]
    sliders = [dict(
        active=0, x=0.36, len=0.64, y=y, yanchor="top",
        currentvalue=dict(prefix="", xanchor="right"),
        steps=[dict(label=lab, method="animate",
                    args=[[lab], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                      transition=dict(duration=0))]) for lab in labels],
    )]
    return menus, sliders
