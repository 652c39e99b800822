"""Exports that need no browser: PNG of a builder's figure redrawn with
matplotlib, PNG of one field, and a GIF of an animation (colour-mapped frames)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import imageio.v3 as iio
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import plotly.graph_objects as go  # noqa: E402

from idf.viz.fields import symmetric_range  # noqa: E402


def _axis_title(layout, name: str) -> str:
    axis = layout[name] if name in layout else None
    return axis.title.text if axis is not None and axis.title.text else ""


def _axis_names(trace) -> tuple[str, str]:
    xa = getattr(trace, "xaxis", None) or "x"
    ya = getattr(trace, "yaxis", None) or "y"
    return xa, ya


def figure_png(fig: go.Figure, dpi: int = 110) -> bytes:
    """Redraw a figure made by ``idf.viz`` (scatter, bar, heatmap, contour
    traces, any number of subplots in a row or grid) with matplotlib; PNG bytes."""
    panels: dict[tuple[str, str], list] = {}
    for trace in fig.data:
        panels.setdefault(_axis_names(trace), []).append(trace)
    n = max(len(panels), 1)
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    mfig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    layout = fig.layout
    for ax, ((xa, ya), traces) in zip(axes.flat, panels.items(), strict=False):
        for tr in traces:
            kind = tr.type
            if kind == "heatmap":
                z = np.asarray(tr.z, np.float64)
                im = ax.imshow(z, cmap="RdBu_r", vmin=tr.zmin, vmax=tr.zmax, origin="upper")
                mfig.colorbar(im, ax=ax, shrink=0.8)
            elif kind == "contour":
                cs = ax.contourf(tr.x, tr.y, np.asarray(tr.z, np.float64), levels=24, cmap="viridis")
                mfig.colorbar(cs, ax=ax, shrink=0.8)
            elif kind == "bar":
                ax.bar(list(tr.x), list(tr.y))
            elif kind == "scatter" and tr.x is not None:
                x = np.asarray(tr.x, dtype=float)
                y = np.asarray(tr.y, dtype=float)
                if tr.fill == "toself":
                    ax.fill(x, y, alpha=0.2)
                elif tr.mode and "lines" not in tr.mode:
                    ax.scatter(x, y, s=8, label=tr.name)
                else:
                    ax.plot(x, y, label=tr.name, ls="--" if (tr.line and tr.line.dash) else "-")
        ax.set_xlabel(_axis_title(layout, xa.replace("x", "xaxis")))
        ax.set_ylabel(_axis_title(layout, ya.replace("y", "yaxis")))
        yaxis = layout[ya.replace("y", "yaxis")] if ya.replace("y", "yaxis") in layout else None
        if yaxis is not None and yaxis.type == "log":
            ax.set_yscale("log")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    title = layout.title.text if layout.title and layout.title.text else ""
    if title:
        mfig.suptitle(title)
    mfig.tight_layout()
    buf = io.BytesIO()
    mfig.savefig(buf, format="png", dpi=dpi)
    plt.close(mfig)
    return buf.getvalue()


def _colour(frames: np.ndarray, r: float) -> np.ndarray:
    cmap = matplotlib.colormaps["RdBu_r"]
    rgba = cmap(np.clip((np.asarray(frames, np.float64) + r) / (2 * r), 0.0, 1.0))
    return (rgba[..., :3] * 255).astype(np.uint8)


def field_png(field: np.ndarray, pixels_per_site: int = 16) -> bytes:
    """One field [H, W] as a colour-mapped PNG (nearest-neighbour upscaled)."""
    img = _colour(field, symmetric_range(field))
    img = img.repeat(pixels_per_site, 0).repeat(pixels_per_site, 1)
    return iio.imwrite("<bytes>", img, extension=".png")


def frames_gif(frames: np.ndarray, frame_ms: int = 80, pixels_per_site: int | None = None,
               labels: Sequence[str] | None = None) -> bytes:
    """An animated GIF of fields [F, H, W] on one shared colour scale (loops)."""
    frames = np.asarray(frames, np.float64)
    if pixels_per_site is None:
        pixels_per_site = max(1, 256 // max(frames.shape[1:]))
    imgs = _colour(frames, symmetric_range(frames))
    imgs = imgs.repeat(pixels_per_site, 1).repeat(pixels_per_site, 2)
    del labels  # frame labels are on the in-app slider; the GIF stays image-only
    return iio.imwrite("<bytes>", imgs, extension=".gif", duration=frame_ms, loop=0)
