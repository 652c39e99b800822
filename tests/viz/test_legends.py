"""Legends hung under the x-axis title in pixels (idf.viz.specs.hang_legend): the
bottom margin holds every row, so Plotly never grows it and moves the legend up
onto the axis title; restyled with larger type, the plot keeps its height. The
browser tests (tests/browser/test_pages.py, test_tour.py) check what Plotly drew."""

import plotly.graph_objects as go
import pytest

from idf.viz.specs import DEFAULT_FONTS, Fonts, hang_legend, legend_rows


def _figure(names):
    return go.Figure([go.Scatter(x=[0, 1], y=[0, 1], name=n) for n in names])


def _plot_px(fig) -> float:
    return fig.layout.height - fig.layout.margin.t - fig.layout.margin.b


def test_rows_wrap_as_plotly_wraps_them():
    assert legend_rows([], 11) == 0
    assert legend_rows(["a", "b"], 11) == 1
    assert legend_rows(["x" * 40] * 3, 11) == 3  # 40 + 0.5·11·40 + 10 = 270 px each: one a row in 360
    assert legend_rows(["x" * 20] * 4, 11, width_px=400) == 2  # 160 px each: a grid of two columns
    assert legend_rows(["x" * 20, "y"], 11, width_px=400) == 1  # side by side when all fit


@pytest.mark.parametrize("names,rows", [(["ULA", "MALA", "HMC"], 1), (["a long legend entry, " * 2] * 4, 4)])
def test_the_bottom_margin_holds_the_axis_title_and_every_row(names, rows):
    fig = hang_legend(_figure(names), plot_px=250)
    assert _plot_px(fig) == pytest.approx(250, abs=1)
    band = -fig.layout.legend.y * 250  # pixels from the plot's bottom to the legend's top
    assert band >= 1.5 * DEFAULT_FONTS.tick + 20 + 1.4 * DEFAULT_FONTS.axis_title
    assert fig.layout.margin.b - band >= rows * 1.3 * DEFAULT_FONTS.legend  # every row inside the margin
    assert fig.layout.legend.yanchor == "top"


def test_larger_type_moves_the_legend_down_and_keeps_the_plot():
    fig = hang_legend(_figure(["ULA", "MALA"]), plot_px=250)
    y, b = fig.layout.legend.y, fig.layout.margin.b
    hang_legend(fig, fonts=Fonts(tick=16, axis_title=20, legend=16))  # plot_px remembered in the layout's meta
    assert _plot_px(fig) == pytest.approx(250, abs=1)
    assert fig.layout.legend.y < y and fig.layout.margin.b > b


def test_a_single_trace_shows_no_legend_and_reserves_no_rows():
    one, two = hang_legend(_figure(["only"]), plot_px=250), hang_legend(_figure(["a", "b"]), plot_px=250)
    assert one.layout.margin.b < two.layout.margin.b


def test_a_line_with_its_unlisted_band_still_gets_its_legend_room():
    band = go.Scatter(x=[0, 1, 1, 0], y=[0, 0, 1, 1], fill="toself", showlegend=False)
    fig = hang_legend(go.Figure([band, go.Scatter(x=[0, 1], y=[0, 1], name="mean")]), plot_px=250)
    assert fig.layout.margin.b > hang_legend(_figure(["only"]), plot_px=250).layout.margin.b
