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
from collections.abc import Iterable
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
