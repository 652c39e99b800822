"""Figures of the Sampler arena: several samplers on one target, side by side.

Toys: trajectories over the density's contours (proposals accepted green /
rejected red, HMC leapfrog paths) and marginals against the exact ones.
Lattice fields: one synchronised animation of every sampler's chain,
magnetisation histograms against a reference. Diagnostics: bars per metric,
ΔH per trajectory with divergences, the ε² scaling of rms ΔH, KL against the
number of draws with its finite-sample bias. Histograms are drawn as stepped
lines of precomputed densities (so ``figure_png`` can redraw them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from idf.diagnostics.marginals import EnergyGrid, ToyMarginals
from idf.viz.fields import COLORSCALE, display_values, symmetric_range
from idf.viz.specs import hang_legend
from idf.viz.traces import PALETTE

ACCEPTED, REJECTED, PATH = "#2ca02c", "#d62728", "#ff7f0e"
LIGHT = [[0.0, "#c6dbef"], [0.5, "#eef4fa"], [1.0, "#ffffff"]]  # low φ tinted, high φ white: markers stay visible


class ToyDrawing(NamedTuple):
    """Chain 0's first K steps on a 2-D toy: trajectory [K, 2], proposals [K, 2],
    accepted [K] bool, paths [P, Lp, 2] (HMC: the leapfrog positions)."""

    trajectory: np.ndarray
    proposals: np.ndarray
    accepted: np.ndarray
    paths: np.ndarray


class MReference(NamedTuple):
    """A reference for the magnetisation m: ``kind`` "exact" (a density ``density``
    [G] on ``grid`` [G]), "samples" (reference draws ``samples`` [n]) or "none"."""

    kind: str
    label: str = ""
    grid: np.ndarray | None = None
    density: np.ndarray | None = None
    samples: np.ndarray | None = None


class KLCurve(NamedTuple):
    """Fourier KL of the first s draws of every chain, s on a log grid [G]:
    steps [G] (s), n [G] (C·s draws), kl [G] and bias [G] (``fourier_kl_bias``), in nats."""

    steps: np.ndarray
    n: np.ndarray
    kl: np.ndarray
    bias: np.ndarray


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, title: str, plot_px: int) -> go.Figure:
    """Title on top, the legend hung under the x-axis title (``specs.hang_legend``: placed in
    pixels, so it lies on neither title whatever the plot's height or the fonts)."""
    return hang_legend(fig, plot_px, title=title)


def toy_trajectories(reference: EnergyGrid, drawings: Mapping[str, ToyDrawing], title: str = "") -> go.Figure:
    """One panel per sampler: contours of (φ − φ_min)/kT (``reference``, the toy's
    ``energy_grid``), chain 0's first steps, its proposals (green accepted, red
    rejected) and, for HMC, the leapfrog paths of the first trajectories."""
    names = list(drawings)
    fig = make_subplots(rows=1, cols=max(len(names), 1), subplot_titles=names, horizontal_spacing=0.04,
                        shared_yaxes=True)
    phi = np.minimum(np.asarray(reference.phi) - np.min(reference.phi), 12.0)
    (x0, x1), (y0, y1) = reference.bounds
    shown: set[str] = set()
    for j, name in enumerate(names, start=1):
        d = drawings[name]
        first = j == 1
        fig.add_trace(go.Contour(x=reference.x, y=reference.y, z=phi, colorscale=LIGHT, ncontours=16,
                                 showscale=first, name="(φ − φ_min)/kT", line=dict(color="#9ecae1", width=0.5),
                                 colorbar=dict(title=dict(text="(φ − φ_min)/kT"), x=1.01)), row=1, col=j)
        paths = np.asarray(d.paths)
        if paths.ndim == 3 and paths.shape[1] > 2:  # HMC: L + 1 leapfrog positions per trajectory
            xs, ys = [], []
            for p in paths:
                xs += list(p[:, 0]) + [None]
                ys += list(p[:, 1]) + [None]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name="leapfrog path",
                                     line=dict(color=PATH, width=1), marker=dict(size=3, color=PATH),
                                     showlegend="path" not in shown),
                          row=1, col=j)
            shown.add("path")
        traj = np.asarray(d.trajectory)
        fig.add_trace(go.Scatter(x=traj[:, 0], y=traj[:, 1], mode="lines", name="chain 0",
                                 line=dict(color="#08306b", width=1.2), showlegend=first), row=1, col=j)
        prop, acc = np.asarray(d.proposals), np.asarray(d.accepted, bool)
        fig.add_trace(go.Scatter(x=prop[acc, 0], y=prop[acc, 1], mode="markers", name="accepted proposal",
                                 marker=dict(color=ACCEPTED, size=5), showlegend=first), row=1, col=j)
        fig.add_trace(go.Scatter(x=prop[~acc, 0], y=prop[~acc, 1], mode="markers", name="rejected proposal",
                                 marker=dict(color=REJECTED, size=6, symbol="x"), showlegend=first), row=1, col=j)
        fig.update_xaxes(title_text="x₁ (arbitrary units)", range=[x0, x1], row=1, col=j)
    fig.update_yaxes(title_text="x₂ (arbitrary units)", range=[y0, y1], row=1, col=1)
    return _layout(fig, title, 360)


def _hist(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, np.float64).ravel()
    v = v[np.isfinite(v)]
    dens, _ = np.histogram(v, bins=edges, density=v.size > 0)
    x = np.repeat(edges, 2)[1:-1]
    return x, np.repeat(dens, 2)


def toy_marginals(reference: ToyMarginals, samples: Mapping[str, np.ndarray], bins: int = 40,
                  title: str = "") -> go.Figure:
    """Histograms of x₁ and x₂ (all chains and kept draws, ``samples[label]``
    [n, 2]) against the exact marginals (``reference``: ``diagnostics.toy_marginals``,
    exp(−φ/kT) integrated on a grid)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["marginal of x₁", "marginal of x₂"])
    x0, x1, y0, y1 = reference.x[0], reference.x[-1], reference.y[0], reference.y[-1]
    for c, (grid, exact, lo, hi, axis) in enumerate(((reference.x, reference.p1, x0, x1, "x₁"),
                                                     (reference.y, reference.p2, y0, y1, "x₂")), start=1):
        edges = np.linspace(lo, hi, bins + 1)
        for i, (name, s) in enumerate(samples.items()):
            x, y = _hist(np.asarray(s)[:, c - 1], edges)
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=colour(i), width=1.5),
                                     showlegend=c == 1), row=1, col=c)
        fig.add_trace(go.Scatter(x=grid, y=exact, mode="lines", name="exact (numerical integration)",
                                 line=dict(color="black", dash="dash", width=2), showlegend=c == 1), row=1, col=c)
        fig.update_xaxes(title_text=f"{axis} (arbitrary units)", row=1, col=c)
        fig.update_yaxes(title_text=f"density p({axis}) (1/units)", row=1, col=c)
    return _layout(fig, title, 280)


def animated_fields(frames: Mapping[str, np.ndarray], labels: Sequence[str], title: str = "",
                    frame_ms: int = 120) -> go.Figure:
    """Every sampler's chain-0 field [F, H, W], side by side, animated together
    (one Play button, one slider, one shared colour range)."""
    names = list(frames)
    stacked = np.stack([np.asarray(frames[n], np.float64) for n in names])  # [k, F, H, W]
    r = symmetric_range(stacked)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.02)

    def heatmaps(f: int) -> list[go.Heatmap]:
        return [go.Heatmap(z=display_values(stacked[j, f]), zmin=-r, zmax=r, colorscale=COLORSCALE, showscale=j == 0,
                           colorbar=dict(title=dict(text="x (field units)")), xaxis=f"x{j + 1 if j else ''}",
                           yaxis=f"y{j + 1 if j else ''}") for j in range(len(names))]

    for j, h in enumerate(heatmaps(0), start=1):
        fig.add_trace(h, row=1, col=j)
    # plain dicts: Plotly validates each frame once (a go.Frame would be validated, then copied)
    fig.frames = [dict(data=[dict(type="heatmap", z=display_values(stacked[j, f])) for j in range(len(names))],
                       name=lab, traces=list(range(len(names))))
                  for f, lab in enumerate(labels)]  # fmt: skip
    play = dict(frame=dict(duration=frame_ms, redraw=True), transition=dict(duration=0), fromcurrent=True,
                mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", x=1.0, y=1.16, xanchor="right", yanchor="bottom",
                          buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                                   dict(label="⏸ Pause", method="animate", args=[[None], pause])])],
        sliders=[dict(active=0, x=0.0, len=1.0, y=-0.2, yanchor="top", currentvalue=dict(prefix="chain 0, "),
                      steps=[dict(label=lab, method="animate",
                                  args=[[lab], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                    transition=dict(duration=0))]) for lab in labels])],
    )
    fig.update_xaxes(title_text="site x₂ (lattice units)")
    for j in range(1, len(names) + 1):
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{j if j > 1 else ''}", showticklabels=j == 1,
                         row=1, col=j)
    fig.update_yaxes(title_text="site x₁ (lattice units)", row=1, col=1)
    fig.update_layout(title=title, height=500, margin=dict(l=10, r=10, t=90, b=120))
    return fig


def m_histograms(m: Mapping[str, np.ndarray], reference: MReference, bins: int = 41, title: str = "") -> go.Figure:
    """Histograms of the magnetisation m = Σx/N (all chains, kept draws) per
    sampler against the reference: an exact density or reference samples."""
    values = [np.asarray(v, np.float64).ravel() for v in m.values()]
    ref_kind = reference.kind
    if ref_kind == "samples":
        values.append(np.asarray(reference.samples, np.float64))
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(1)
    edge = max(float(np.quantile(np.abs(finite), 0.999)) if finite.size else 1.0, 1e-6)
    if ref_kind == "exact":
        edge = max(edge, float(np.max(np.abs(reference.grid))))
    edges = np.linspace(-edge, edge, bins + 1)
    fig = go.Figure()
    for i, (name, v) in enumerate(m.items()):
        x, y = _hist(v, edges)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=colour(i), width=1.5)))
    if ref_kind == "exact":
        fig.add_trace(go.Scatter(x=reference.grid, y=reference.density, mode="lines", name=reference.label,
                                 line=dict(color="black", dash="dash", width=2)))
    elif ref_kind == "samples":
        x, y = _hist(reference.samples, edges)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=reference.label,
                                 line=dict(color="black", dash="dash", width=2)))
    fig.update_xaxes(title_text="magnetisation m = Σx/N (field units)")
    fig.update_yaxes(title_text="density p(m) (1/field units)")
    return _layout(fig, title, 250)


def metric_bars(metrics: Mapping[str, Mapping[str, float]], log: Sequence[str] = (), title: str = "") -> go.Figure:
    """One bar panel per metric (``metrics[metric][sampler]``, two panels a row);
    NaN bars are left out. Metric names carry their units (they title the panel
    and its y axis); names in ``log`` get a log axis."""
    names = list(metrics)
    cols = 2 if len(names) > 2 else len(names)
    rows = -(-len(names) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.14, vertical_spacing=0.2)
    for i, metric in enumerate(names):
        r, j = i // cols + 1, i % cols + 1
        vals = metrics[metric]
        labels = [k for k, v in vals.items() if v is not None and np.isfinite(v)]
        colours = [colour(list(vals).index(k)) for k in labels]
        fig.add_trace(go.Bar(x=labels, y=[vals[k] for k in labels], marker_color=colours, showlegend=False,
                             text=[f"{vals[k]:.3g}" for k in labels], textposition="auto"), row=r, col=j)
        fig.update_xaxes(title_text="sampler", row=r, col=j)
        fig.update_yaxes(title_text=metric, type="log" if metric in log else "linear", row=r, col=j)
        shown = [vals[k] for k in labels if vals[k] > 0]
        if metric in log and shown:  # bars on a log axis need a floor well below the smallest bar
            fig.update_yaxes(range=[np.log10(min(shown)) - 1.0, np.log10(max(shown)) + 0.3], row=r, col=j)
    return _layout(fig, title, 330 * rows - 110)


def delta_h_figure(delta_h: np.ndarray, frozen_step: np.ndarray, title: str = "") -> go.Figure:
    """HMC's energy error ΔH per trajectory [C, T], summarised across the chains at
    each trajectory: the median, the 5-95 % band and the extremes (NaN dropped), with
    the step at which a chain froze (non-finite; ``frozen_step`` [C], < 0: never or in
    burn-in) marked (red ✕ on the axis).

    Lines, not a marker per chain and trajectory: C·T markers (4000 at the Arena's
    defaults) were half the page's DOM, and the browser redrew them on every change."""
    d = np.asarray(delta_h, np.float64)
    fig = go.Figure()
    c, t = d.shape
    steps = np.arange(1, t + 1)
    seen = np.isfinite(d).any(axis=0)
    x = steps[seen]
    if x.size:
        with np.errstate(all="ignore"):
            lo, med, hi = np.nanquantile(d[:, seen], [0.05, 0.5, 0.95], axis=0)
            low, high = np.nanmin(d[:, seen], axis=0), np.nanmax(d[:, seen], axis=0)
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                                 mode="lines", line=dict(width=0), fillcolor="rgba(31,119,180,0.25)",
                                 name=f"5-95 % of the {c} chains", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=med, mode="lines", name="median over chains",
                                 line=dict(color="#1f77b4", width=1.5)))
        fig.add_trace(go.Scatter(x=np.concatenate([x, [np.nan], x]), y=np.concatenate([high, [np.nan], low]),
                                 mode="lines", name="largest and smallest", connectgaps=False,
                                 line=dict(color="#1f77b4", width=0.6, dash="dot")))
    fig.add_trace(go.Scatter(x=[1, t], y=[0.0, 0.0], mode="lines", name="ΔH = 0 (exact dynamics)",
                             line=dict(color="black", dash="dash", width=1)))
    div = np.asarray(frozen_step)
    div = div[div >= 0]
    if div.size:
        fig.add_trace(go.Scatter(x=div + 1, y=np.zeros(div.size), mode="markers", name="non-finite (chain frozen)",
                                 marker=dict(color=REJECTED, size=12, symbol="x")))
    fig.update_xaxes(title_text="trajectory (sampling step)")
    fig.update_yaxes(title_text="ΔH = H(x′, p′) − H(x, p) (kT units)")
    return _layout(fig, title, 230)


def eps_scaling_figure(eps: np.ndarray, rms: np.ndarray, slope: float, title: str = "") -> go.Figure:
    """rms ΔH against ε (log-log) at fixed trajectory length, with an ε² line
    through the middle point."""
    eps, rms = np.asarray(eps, np.float64), np.asarray(rms, np.float64)
    fig = go.Figure(go.Scatter(x=eps, y=rms, mode="lines+markers", name=f"measured (fitted slope {slope:.2f})"))
    ok = np.flatnonzero(np.isfinite(rms) & (rms > 0))
    if ok.size:
        mid = ok[len(ok) // 2]
        fig.add_trace(go.Scatter(x=eps, y=rms[mid] * (eps / eps[mid]) ** 2, mode="lines", name="∝ ε² (theory)",
                                 line=dict(color="black", dash="dash")))
    fig.update_xaxes(title_text="leapfrog step ε (time units, log)", type="log")
    fig.update_yaxes(title_text="rms ΔH (kT units, log)", type="log")
    return _layout(fig, title, 230)


def kl_steps_figure(curves: Mapping[str, KLCurve], exact: Mapping[str, float] | None = None,
                    title: str = "") -> go.Figure:
    """Fourier KL of the first s draws of every chain against n = C·s (log-log),
    the finite-sample bias of i.i.d. draws dashed, and exact n → ∞ values
    (``exact[name]`` for a name of ``curves``, e.g. ULA's stationary KL) dotted
    in that sampler's colour."""
    fig = go.Figure()
    names = list(curves)
    for i, (name, c) in enumerate(curves.items()):
        kl = np.asarray(c.kl, np.float64)
        ok = np.isfinite(kl) & (kl > 0)
        fig.add_trace(go.Scatter(x=np.asarray(c.n)[ok], y=kl[ok], mode="lines+markers", name=name,
                                 line=dict(color=colour(i))))
    if names:
        ref = curves[names[0]]
        n_lo, n_hi = float(np.min(ref.n)), float(np.max(ref.n))
        fig.add_trace(go.Scatter(x=ref.n, y=ref.bias, mode="lines", name="KL bias of n i.i.d. draws",
                                 line=dict(color="black", dash="dash")))
        for name, value in (exact or {}).items():
            if name in curves and np.isfinite(value) and value > 0:
                fig.add_trace(go.Scatter(x=[n_lo, n_hi], y=[value, value], mode="lines",
                                         name=f"{name}: exact KL, n → ∞",
                                         line=dict(color=colour(names.index(name)), dash="dot", width=2)))
    fig.update_xaxes(title_text="n = chains × draws (log)", type="log")
    fig.update_yaxes(title_text="Fourier KL to the exact target (nats, log)", type="log")
    return _layout(fig, title, 260)
