"""Figures of a live MCMC run (redrawn after every chunk): the MCMC-gallery view
of a 2-D toy, growing traces, ΔH per transition, and the scrub *inside* one
HMC trajectory (H(x, p) and ΔH at every leapfrog sub-step, Plotly frames)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from idf.diagnostics.marginals import EnergyGrid
from idf.viz.arena import ACCEPTED, LIGHT, PATH, REJECTED, colour
from idf.viz.fields import animation_controls
from idf.viz.specs import figure, hang_legend

TRAIL = 150  # chain 0's last steps drawn as its trail


def _contours(grid: EnergyGrid, showscale: bool = True) -> go.Contour:
    return go.Contour(_contour_spec(grid, showscale))


def _contour_spec(grid: EnergyGrid, showscale: bool = True) -> dict:
    phi = np.minimum(np.asarray(grid.phi) - np.min(grid.phi), 12.0)
    return dict(type="contour", x=np.asarray(grid.x), y=np.asarray(grid.y), z=phi, colorscale=LIGHT, ncontours=14,
                showscale=showscale, name="(φ − φ_min)/kT", line=dict(color="#9ecae1", width=0.5),
                hoverinfo="skip", colorbar=dict(title=dict(text="(φ − φ_min)/kT")))


def _scatter(x: np.ndarray, y: np.ndarray, **kw) -> dict:
    return dict(type="scatter", x=np.asarray(x), y=np.asarray(y), **kw)


def gallery_figure(
    grid: EnergyGrid,
    trail: np.ndarray,
    current: np.ndarray,
    proposals: np.ndarray,
    accepted: np.ndarray,
    path: np.ndarray | None = None,
    reveal: int | None = None,
    title: str = "",
) -> go.Figure:
    """The MCMC-gallery view of a 2-D toy: contours of (φ − φ_min)/kT, chain 0's
    trail [n, 2], every chain's current point [C, 2], the last proposals [k, 2]
    (green accepted, red ✕ rejected; the newest ringed) and the last leapfrog
    path [P, 2] drawn up to point ``reveal`` (all when None: it grows point by point)."""
    trail = np.asarray(trail)[-TRAIL:]
    phi = np.minimum(np.asarray(grid.phi) - np.min(grid.phi), 12.0)
    # a heatmap, not contours: the browser redraws it ten times a second (contours are traced in JS)
    data = [dict(type="heatmap", x=np.asarray(grid.x), y=np.asarray(grid.y), z=phi, colorscale=LIGHT,
                 hoverinfo="skip", name="(φ − φ_min)/kT", colorbar=dict(title=dict(text="(φ − φ_min)/kT"))),
            _scatter(trail[:, 0], trail[:, 1], mode="lines", name="chain 0 (last steps)",
                     line=dict(color="#08306b", width=1.2))]
    if path is not None and len(path) > 2:
        shown = np.asarray(path)[: (len(path) if reveal is None else max(1, reveal))]
        data.append(_scatter(shown[:, 0], shown[:, 1], mode="lines+markers", name="leapfrog path",
                             line=dict(color=PATH, width=2), marker=dict(size=5, color=PATH)))
    prop, acc = np.asarray(proposals).reshape(-1, 2), np.asarray(accepted, bool)
    data.append(_scatter(prop[acc, 0], prop[acc, 1], mode="markers", name="accepted proposal",
                         marker=dict(color=ACCEPTED, size=7)))
    data.append(_scatter(prop[~acc, 0], prop[~acc, 1], mode="markers", name="rejected proposal",
                         marker=dict(color=REJECTED, size=8, symbol="x")))
    if len(prop):
        ring = ACCEPTED if acc[-1] else REJECTED
        data.append(_scatter(prop[-1:, 0], prop[-1:, 1], mode="markers", name="newest proposal",
                             marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color=ring, width=3))))
    cur = np.asarray(current)
    data.append(_scatter(cur[:, 0], cur[:, 1], mode="markers", name="chains now",
                         marker=dict(size=10, color=[colour(i) for i in range(len(cur))],
                                     line=dict(color="black", width=1))))
    (x0, x1), (y0, y1) = grid.bounds
    layout = dict(title=dict(text=title), margin=dict(l=10, r=10), uirevision="gallery",
                  xaxis=dict(title=dict(text="x₁ (arbitrary units)"), range=[x0, x1]),
                  yaxis=dict(title=dict(text="x₂ (arbitrary units)"), range=[y0, y1]))
    return hang_legend(figure(data, layout), plot_px=360)


def trace_figure(
    observables: Mapping[str, np.ndarray], first_step: int, warmup_end: int | None = None, title: str = "",
    max_points: int = 400,
) -> go.Figure:
    """Traces of each observable {name: [C, n]} per chain against the step (the kept
    history starts at ``first_step``; at most ``max_points`` drawn per chain, evenly
    strided); a dotted line where warm-up ends. One stacked y axis per observable."""
    names = list(observables)
    rows = len(names)
    gap = 0.06
    height = (1.0 - gap * (rows - 1)) / rows
    data, layout = [], dict(title=dict(text=title), margin=dict(l=10, r=10), uirevision="traces", shapes=[])
    for r, name in enumerate(names):
        v = np.asarray(observables[name])
        stride = max(1, -(-v.shape[1] // max_points))
        steps = first_step + np.arange(v.shape[1])[::stride]
        axis = "" if r == 0 else str(r + 1)
        for c in range(v.shape[0]):
            data.append(_scatter(steps, v[c, ::stride], mode="lines", name=f"chain {c}", showlegend=r == 0,
                                 line=dict(color=colour(c), width=1), xaxis="x", yaxis=f"y{axis}"))
        top = 1.0 - r * (height + gap)
        layout[f"yaxis{axis}"] = dict(title=dict(text=name), domain=[top - height, top])
        if warmup_end is not None and warmup_end >= first_step:
            layout["shapes"].append(dict(type="line", xref="x", yref=f"y{axis} domain", x0=warmup_end,
                                         x1=warmup_end, y0=0, y1=1, line=dict(color="#888", dash="dot", width=1)))
    layout["xaxis"] = dict(title=dict(text="step"), anchor=f"y{'' if rows == 1 else rows}")
    return hang_legend(figure(data, layout), plot_px=150 * rows, top=50)


def delta_h_trace(delta_h: np.ndarray, first_step: int, title: str = "") -> go.Figure:
    """ΔH per transition [C, n] (kT), per chain, with ΔH = 0 (exact integration) dashed."""
    d = np.asarray(delta_h)
    fig = go.Figure()
    steps = first_step + np.arange(d.shape[1])
    for c in range(d.shape[0]):
        fig.add_trace(go.Scatter(x=steps, y=d[c], mode="markers", name=f"chain {c}",
                                 marker=dict(color=colour(c), size=4)))
    fig.add_hline(y=0.0, line=dict(color="black", dash="dash", width=1))
    fig.update_xaxes(title_text="transition (step)")
    fig.update_yaxes(title_text="ΔH = H(x′, p′) − H(x, p) (kT)")
    fig.update_layout(title=title, height=300, margin=dict(l=10, r=10, t=50, b=10), uirevision="dh")
    return fig


def trajectory_scrub(
    path: np.ndarray, hamiltonian: np.ndarray, potential: np.ndarray, grid: EnergyGrid | None = None,
    title: str = "",
) -> go.Figure:
    """Scrub inside one HMC trajectory: left, the leapfrog path [P, 2] up to sub-step i
    (over the toy's contours when ``grid``); right, H(x_i, p_i), φ(x_i)/kT and the kinetic
    energy per sub-step [P] (kT) with a cursor at i. One frame per sub-step; the slider
    label carries ΔH_i = H_i − H_0."""
    path = np.asarray(path, np.float64)
    h = np.asarray(hamiltonian, np.float64)
    u = np.asarray(potential, np.float64)
    with np.errstate(invalid="ignore"):  # an absurd ε: H and φ both overflow to inf
        kinetic = h - u
    steps = np.arange(len(h))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], horizontal_spacing=0.1,
                        subplot_titles=["leapfrog path (x₁, x₂)", "energies along the trajectory (kT)"])
    if grid is not None:
        fig.add_trace(_contours(grid, showscale=False), row=1, col=1)
    fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name="whole path",
                             line=dict(color="#bbbbbb", width=1)), row=1, col=1)
    for name, y, dash in (("H(x, p)", h, None), ("φ(x)/kT", u, "dot"), ("½pᵀM⁻¹p", kinetic, "dash")):
        fig.add_trace(go.Scatter(x=steps, y=y, mode="lines+markers", name=name, line=dict(dash=dash),
                                 marker=dict(size=4)), row=1, col=2)
    finite = np.concatenate([h, u, kinetic])
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)

    def moving(i: int) -> list[go.Scatter]:
        return [
            go.Scatter(x=path[: i + 1, 0], y=path[: i + 1, 1], mode="lines+markers", name="path so far",
                       line=dict(color=PATH, width=2), marker=dict(size=6, color=PATH)),
            go.Scatter(x=[i, i], y=[lo, hi], mode="lines", name="cursor", showlegend=False,
                       line=dict(color="#444", dash="dot", width=1)),
            go.Scatter(x=[i], y=[h[i]], mode="markers", name="H now", showlegend=False,
                       marker=dict(size=12, color="#ff7f0e", line=dict(color="black", width=1))),
        ]

    first = len(fig.data)
    for k, t in enumerate(moving(0)):
        fig.add_trace(t, row=1, col=1 if k == 0 else 2)
    labels = [f"sub-step {i}: ΔH = {h[i] - h[0]:+.3g}" for i in steps]
    fig.frames = [go.Frame(name=lab, data=moving(i), traces=[first, first + 1, first + 2])
                  for i, lab in enumerate(labels)]
    menus, sliders = animation_controls(labels, frame_ms=250)
    if grid is not None:
        (x0, x1), (y0, y1) = grid.bounds
        fig.update_xaxes(range=[x0, x1], row=1, col=1)
        fig.update_yaxes(range=[y0, y1], row=1, col=1)
    fig.update_xaxes(title_text="x₁", row=1, col=1)
    fig.update_yaxes(title_text="x₂", row=1, col=1)
    fig.update_xaxes(title_text="leapfrog sub-step i", row=1, col=2)
    fig.update_yaxes(title_text="energy (kT)", row=1, col=2)
    fig.update_layout(title=title, height=560, margin=dict(l=10, r=10, t=60, b=190), updatemenus=menus,
                      sliders=sliders, legend=dict(orientation="h", yanchor="top", y=-0.5, x=0.0))
    return fig
