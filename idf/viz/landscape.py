"""Energy-landscape figures: the quadratic spectrum A(k) with its sign, the
single-site potential of φ⁴, and 2-D toy densities (contours + score arrows)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import plotly.figure_factory as ff
import plotly.graph_objects as go

from idf.diagnostics.marginals import energy_grid
from idf.viz.fields import COLORSCALE
from idf.viz.specs import axis, figure, hang_legend, in_cell, subplot_layout


def spectrum_figure(spectrum: np.ndarray, lam: np.ndarray, title: str = "") -> go.Figure:
    """A(k) against the Laplacian eigenvalue λ_k (left) and over the Brillouin
    zone (right, k = 0 centred). Modes with A(k) ≤ 0 are drawn red: each one
    is a direction along which exp(−φ/kT) cannot be normalised."""
    a = np.asarray(spectrum, np.float64)
    lam = np.asarray(lam, np.float64)
    bad = a <= 0
    layout, cells = subplot_layout(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.16,  # k₁'s title
                                   subplot_titles=["A(k) against λ_k", "A(k) over the Brillouin zone"])
    left, right = cells[(1, 1)], cells[(1, 2)]
    data = [dict(type="scatter", x=lam[~bad], y=a[~bad], mode="markers", name="A(k) > 0 (proper mode)",
                 marker=dict(color="#1f77b4", size=7))]
    if bad.any():
        data.append(dict(type="scatter", x=lam[bad], y=a[bad], mode="markers", name="A(k) ≤ 0 (improper mode)",
                         marker=dict(color="#d62728", size=9, symbol="x")))
    data.append(dict(type="scatter", x=[0.0, 8.0], y=[0.0, 0.0], mode="lines", name="A = 0",
                     line=dict(color="black", dash="dash", width=1)))
    data = [in_cell(d, left) for d in data]
    h, w = a.shape
    k1 = np.fft.fftshift(2 * np.pi * np.fft.fftfreq(h))
    k2 = np.fft.fftshift(2 * np.pi * np.fft.fftfreq(w))
    r = max(float(np.max(np.abs(a))), 1e-12)
    data.append(in_cell(dict(type="heatmap", z=np.fft.fftshift(a), x=k2, y=k1, colorscale=COLORSCALE, zmid=0.0,
                             zmin=-r, zmax=r, colorbar=dict(title=dict(text="A(k) (energy/kT units)"), x=1.02),
                             showlegend=False), right))
    axis(layout, left.xaxis, title="λ_k = 4sin²(k₁/2) + 4sin²(k₂/2) (dimensionless)")
    axis(layout, left.yaxis, title="A(k) (energy per |x̂_k|², field units⁻²)")
    axis(layout, right.xaxis, title="k₂ (rad per site)")
    axis(layout, right.yaxis, title="k₁ (rad per site)")
    layout.update(title=dict(text=title), margin=dict(l=10, r=10))
    return hang_legend(figure(data, layout), plot_px=270)


def site_potential_figure(values: np.ndarray, per_site: np.ndarray, title: str = "") -> go.Figure:
    """φ(c·𝟙)/N against the constant field value c: φ⁴'s double well when m² < 0."""
    return figure([dict(type="scatter", x=np.asarray(values), y=np.asarray(per_site), mode="lines", name="φ(c·𝟙)/N")],
                  dict(title=dict(text=title), height=360, margin=dict(l=10, r=10, t=40, b=10),
                       xaxis=dict(title=dict(text="constant field value c (field units)")),
                       yaxis=dict(title=dict(text="φ per site (kT units at kT = 1)"))))


@jax.jit
def _scores(energy, points):
    return jax.vmap(energy.score)(points)


def toy_figure(energy, samples: np.ndarray | None = None, grid: int = 90, arrows: int = 17,
               span_kT: float = 12.0, title: str = "") -> go.Figure:
    """Contours of φ(x)/kT on ``energy.bounds`` with arrows along ∇log p
    (direction only: lengths are normalised so slopes of any size stay visible),
    and optional exact samples [n, 2] on top. φ is clipped at min + ``span_kT``."""
    (x0, x1), (y0, y1) = energy.bounds
    contours = energy_grid(energy, grid)
    phi = np.minimum(contours.phi - np.nanmin(contours.phi), span_kT)
    fig = go.Figure(go.Contour(x=contours.x, y=contours.y, z=phi, colorscale="Viridis", ncontours=24,
                               colorbar=dict(title=dict(text="(φ − φ_min)/kT"))))
    ax, ay = np.linspace(x0, x1, arrows), np.linspace(y0, y1, arrows)
    apts = np.stack(np.meshgrid(ax, ay), -1).reshape(-1, 2)
    score = _scores(energy, jnp.asarray(apts, jnp.result_type(float)))
    score = np.asarray(score, np.float64)
    norm = np.linalg.norm(score, axis=1, keepdims=True)
    unit = np.where(norm > 0, score / np.maximum(norm, 1e-300), 0.0)
    length = 0.8 * min(x1 - x0, y1 - y0) / arrows
    quiver = ff.create_quiver(apts[:, 0], apts[:, 1], unit[:, 0] * length, unit[:, 1] * length,
                              scale=1.0, arrow_scale=0.3, line=dict(color="white", width=1.2))
    quiver.data[0].name = "∇log p (direction)"
    fig.add_trace(quiver.data[0])
    if samples is not None:
        s = np.asarray(samples)
        fig.add_trace(go.Scatter(x=s[:, 0], y=s[:, 1], mode="markers", name=f"exact samples (n = {len(s)})",
                                 marker=dict(color="#ff7f0e", size=4, opacity=0.7)))
    fig.update_layout(title=dict(text=title), margin=dict(l=10, r=10))
    hang_legend(fig, plot_px=420)
    fig.update_xaxes(title_text="position x₁ (arbitrary units)", range=[x0, x1])
    fig.update_yaxes(title_text="position x₂ (arbitrary units)", range=[y0, y1], scaleanchor="x")
    return fig
