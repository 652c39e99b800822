"""Figures built from plain specs, without Plotly's per-property validation.

Plotly validates every property as it is set and copies every array it is
given, and even unvalidated its objects cost about a millisecond per property
update; for the pages' figures (60 animation frames, curves of 2000 points,
grids of fields) that was most of a rerun's time on the server. The builders
here assemble one spec (trace dicts and a layout dict) and make the figure
from it once: ``figure`` stands in for ``go.Figure(…)``, ``subplot_layout``
for ``make_subplots`` (whose layout is computed once per arrangement, then
copied), ``set_frames`` for ``fig.frames = …``. Plotly cannot read an
unvalidated frame's traces back (``frame.data`` raises): read them with
``frame_specs``. The specs are the library's own and known to be good;
``validated`` checks a figure the slow way, and the tests run it on every
builder that uses these.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import plotly.graph_objects as go
from plotly.colors import get_colorscale
from plotly.subplots import make_subplots


def figure(data: Iterable[dict] = (), layout: dict | None = None) -> go.Figure:
    """A figure of plain trace specs and a layout spec, unvalidated."""
    return go.Figure({"data": list(data), "layout": layout or {}}, _validate=False)


class Cell(NamedTuple):
    """One subplot: its axes' layout keys ("xaxis2") and what a trace in it sets ({"xaxis": "x2", …})."""

    xaxis: str
    yaxis: str
    refs: dict


@functools.lru_cache(maxsize=64)
def _skeleton(arrangement: str) -> tuple[dict, dict[tuple[int, int], Cell]]:
    fig = make_subplots(**json.loads(arrangement))
    cells = {}
    for r, row in enumerate(fig._grid_ref):  # what make_subplots attaches to its figure
        for c, refs in enumerate(row):
            if refs:
                x, y = refs[0].layout_keys
                cells[(r + 1, c + 1)] = Cell(x, y, dict(refs[0].trace_kwargs))
    return fig.to_dict()["layout"], cells


def subplot_layout(**arrangement) -> tuple[dict, dict[tuple[int, int], Cell]]:
    """``make_subplots(**arrangement)``'s layout (a fresh copy, to change as a dict) and its
    cells by (row, col), counted from 1. ``arrangement`` is JSON: rows, cols, specs, titles,
    spacings; its layout is computed once."""
    layout, cells = _skeleton(json.dumps(arrangement, sort_keys=True))
    return copy.deepcopy(layout), cells


def in_cell(trace: dict, cell: Cell) -> dict:
    """``trace`` placed in ``cell``."""
    return dict(trace, **cell.refs)


def axis(layout: dict, key: str, **props) -> None:
    """Set ``props`` on the layout's axis ``key`` ("xaxis2"); a ``title`` string is its text."""
    if isinstance(props.get("title"), str):
        props["title"] = dict(text=props["title"])
    layout.setdefault(key, {}).update(props)


def set_frames(fig: go.Figure, frames: Iterable[dict]) -> None:
    """``fig.frames = frames`` for plain frame specs, unvalidated (validated, the Forward page's
    60 frames took 30-45 ms of its figure's 70)."""
    fig._frame_objs = tuple(go.Frame(f, _validate=False) for f in frames)  # what the setter fills


def frame_specs(fig: go.Figure) -> list[dict]:
    """``fig``'s frames as plain specs (name, traces, data; arrays as given), validated or not."""
    return [f.to_plotly_json() for f in fig.frames]


def named_colorscale(name: str) -> list:
    """Plotly's colour scale ``name`` as the list of [value, colour] an unvalidated spec must carry
    (validation expands the name; Plotly.js does not know Python's names such as "RdBu_r")."""
    return get_colorscale(name)


def validated(fig: go.Figure) -> go.Figure:
    """``fig`` rebuilt with Plotly's validation: raises on any property Plotly does not know."""
    return go.Figure(fig.to_dict())


class Fonts(NamedTuple):
    """Font sizes (px) that decide how much room goes under a plot: tick labels, axis titles, legend."""

    tick: float = 12.0
    axis_title: float = 14.0
    legend: float = 11.0


DEFAULT_FONTS = Fonts()
# A horizontal legend is assumed to wrap at this width: a chart in half the page at 1280 px
# (~440 px; its legend wrapped at less than 420).
# Builders of charts drawn narrower (the Phase page's three columns) pass their own.
LEGEND_WIDTH_PX = 360
TITLE_STANDOFF_PX = 20


def _legend_names(fig: go.Figure) -> list[str]:
    """Names of the entries ``fig``'s legend shows (Plotly hides a legend of one trace unless told)."""
    listed = [t for t in fig.data if t.type not in ("heatmap", "contour", "surface")]
    names = [str(t.name or "") for t in listed if t.showlegend is not False]
    # Plotly counts the traces a legend could list, shown or not (a line and its unnamed ±1 s.d. band: two)
    if fig.layout.showlegend is False or (len(listed) < 2 and fig.layout.showlegend is not True):
        return []
    return names


def legend_rows(names: Sequence[str], font_px: float, width_px: float = LEGEND_WIDTH_PX) -> int:
    """Rows a horizontal legend of ``names`` takes in ``width_px``, the way Plotly lays it out:
    one row if every entry fits side by side, else a grid of columns as wide as the widest
    entry. An entry is its 40 px symbol and gap, then ~0.5 em a character (Source Sans
    measured 0.4 em; an overestimate is empty space, an underestimate a legend on the axis
    title)."""
    widths = [40 + 0.5 * font_px * len(name) + 10 for name in names]
    if sum(widths) <= width_px:
        return 1 if widths else 0
    columns = max(1, int(width_px // max(widths)))
    return -(-len(widths) // columns)


def hang_legend(fig: go.Figure, plot_px: float | None = None, top: float | None = None,
                fonts: Fonts = DEFAULT_FONTS, width_px: float | None = None, **layout) -> go.Figure:
    """Hang ``fig``'s legend under its x-axis title, placed in pixels (in place; returned).

    A legend's ``y`` is a fraction of the plot's height. Placed as a fixed fraction under the
    plot, it lay on the x-axis title whenever the plot was short or the fonts large (projector
    mode), and where its rows pushed the bottom margin, Plotly shrank the plot and the legend
    rode up further. Here the bottom margin holds the tick labels, the axis title and every
    row of the legend, so nothing pushes it, and the figure is ``top + plot_px + bottom`` tall.
    ``width_px`` is where the legend is assumed to wrap (``legend_rows``). ``plot_px``, ``top``
    and ``width_px`` are remembered in the layout's ``meta``: called again with other ``fonts``
    (``idf.app.presentation.style``), the plot keeps its height. ``layout``: more layout
    properties, set in the same update (each ``update_layout`` of a validated figure costs ~1 ms)."""
    meta = dict(fig.layout.meta or {}) if isinstance(fig.layout.meta, dict) else {}
    plot_px = plot_px or meta.get("plot_px", 300)
    top = top if top is not None else meta.get("top", 60)
    width_px = width_px or meta.get("width_px", LEGEND_WIDTH_PX)
    rows = legend_rows(_legend_names(fig), fonts.legend, width_px)
    # tick labels, the axis title's standoff (Streamlit's theme sets 20 px), the title, a gap
    band = 1.5 * fonts.tick + TITLE_STANDOFF_PX + 1.4 * fonts.axis_title + 12  # log ticks: superscripts
    row = 1.3 * fonts.legend + 7
    bottom = band + rows * row + (14 if rows else 0)
    margin = fig.layout.margin
    fig.update_layout(height=round(top + plot_px + bottom),
                      meta=dict(meta, plot_px=plot_px, top=top, width_px=width_px),
                      margin=dict(l=margin.l if margin.l is not None else 10,
                                  r=margin.r if margin.r is not None else 10, t=top, b=round(bottom)),
                      legend=dict(orientation="h", yanchor="top", y=-band / plot_px, x=0,
                                  font=dict(size=fonts.legend)), **layout)
    return fig
