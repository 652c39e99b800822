"""Projector mode and the Student/Expert level, bound to the URL (``?projector=1``,
``?level=student``) and applied through one call per page.

``apply()`` draws the two controls at the top of the sidebar, and in projector
mode injects CSS: larger type (Streamlit sizes text in rem), thick Plotly
lines, bigger tick labels, and a block container that never scrolls
sideways at 1280×720. ``style(fig)`` is the figure side, for pages that draw
through it: fonts and line widths for the room, the colour-blind-safe
``cividis`` scale on heatmaps (monotone in lightness, so it survives a
washed-out projector), and reference lines that follow the light or dark theme
(``st.context.theme``). Other pages get the CSS part from the same one call.
"""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go
import streamlit as st

from idf.app.params import APP_WIDE, Controls
from idf.viz.specs import Fonts, hang_legend, named_colorscale

LEVELS = ("expert", "student")
URL_NAMES = APP_WIDE  # kept in the URL by every page (Controls.prune)
PROJECTOR_COLORSCALE = named_colorscale("cividis")  # the list an unvalidated spec must carry
PROJECTOR_FONTS = Fonts(tick=16, axis_title=20, legend=16)  # what ``style`` sets below

_CSS = """
<style>
html { font-size: 20px; }
[data-testid="stMain"] .block-container { max-width: 100%; padding-left: 1.2rem; padding-right: 1.2rem; }
[data-testid="stMain"] h1 { font-size: 2.0rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { line-height: 1.45; }
.js-plotly-plot .scatterlayer .js-line { stroke-width: 4px !important; }
.js-plotly-plot .xtick text, .js-plotly-plot .ytick text { font-size: 15px !important; }
.js-plotly-plot .g-xtitle text, .js-plotly-plot .g-ytitle text { font-size: 17px !important; }
.js-plotly-plot .legendtext { font-size: 15px !important; }
[data-testid="stMain"] img, [data-testid="stMain"] .stPlotlyChart { max-width: 100%; }
</style>
"""


class Presentation(NamedTuple):
    """How the page is being shown: ``projector`` mode, the ``level`` and whether the theme is dark."""

    projector: bool
    level: str
    dark: bool

    @property
    def student(self) -> bool:
        return self.level == "student"


def theme_is_dark() -> bool:
    """Whether the browser shows Streamlit's dark theme (False when unknown, e.g. under AppTest)."""
    theme = getattr(st.context, "theme", None)
    try:
        return getattr(theme, "type", None) == "dark"
    except Exception:  # noqa: BLE001 - no browser context: assume light
        return False


def apply(container=None) -> Presentation:
    """The page's one call: the projector toggle and level switch (sidebar,
    URL-bound), the projector CSS when on. Returns the settings (also kept in
    the session for ``style``)."""
    box = container if container is not None else st.sidebar.container()
    c = Controls("presentation", box)
    projector = c.toggle("projector", "Projector mode", False,
                         help="large type, thick lines, colour-blind-safe colours; link with ?projector=1")
    level = c.select("level", "Level", list(LEVELS), LEVELS[0], format_func=str.capitalize,
                     help="Student: the chart, the verdict and the numbers that matter; Expert: everything")
    c.show_warnings()
    if projector:
        st.html(_CSS)
    settings = Presentation(projector, level, theme_is_dark())
    st.session_state["_presentation"] = settings
    return settings


def current() -> Presentation:
    """The settings ``apply`` read on this run (defaults when it was not called)."""
    return st.session_state.get("_presentation", Presentation(False, LEVELS[0], theme_is_dark()))


def style(fig: go.Figure, settings: Presentation | None = None) -> go.Figure:
    """``fig`` restyled for the room (in place; returned): bigger fonts and lines
    and cividis heatmaps in projector mode; theme-coloured reference lines always."""
    s = settings or current()
    ink = "#f0f0f0" if s.dark else "#111111"
    for trace in fig.data:
        line = getattr(trace, "line", None)
        if line is not None and line.color == "black":
            line.color = ink
    if not s.projector:
        return fig
    fig.update_layout(font=dict(size=18), title_font=dict(size=24), legend=dict(font=dict(size=16)),
                      hoverlabel=dict(font_size=18))
    fig.update_annotations(font_size=18)
    fig.update_xaxes(title_font=dict(size=20), tickfont=dict(size=16), linewidth=2)
    fig.update_yaxes(title_font=dict(size=20), tickfont=dict(size=16), linewidth=2)
    if isinstance(fig.layout.meta, dict) and "plot_px" in fig.layout.meta:  # a hung legend: room for the type
        hang_legend(fig, fonts=PROJECTOR_FONTS)
    for trace in fig.data:
        if trace.type == "heatmap":
            trace.colorscale = PROJECTOR_COLORSCALE
        elif trace.type == "scatter":
            if trace.line is not None and trace.line.width != 0:
                trace.line.width = 4
            if trace.marker is not None and trace.marker.size is not None and not isinstance(trace.marker.size,
                                                                                             tuple | list):
                trace.marker.size = max(trace.marker.size, 8)
    # Frames carry only what moves (z, coordinates), never a colour scale (tests/viz/test_specs.py):
    # the heatmap's cividis above holds through every frame.
    return fig


def chart(fig: go.Figure, key: str | None = None) -> None:
    """``st.plotly_chart`` of the restyled figure (Streamlit's theme: light or dark like the page)."""
    st.plotly_chart(style(fig), key=key, theme="streamlit")
