"""Plotly figure builders for the app, and PNG/GIF exports (matplotlib + imageio).

Builders take NumPy arrays (already computed by ``idf``) and return
``plotly.graph_objects.Figure``; every axis carries a title with its units.
Exports never need a browser (kaleido cannot fetch one offline): ``figure_png``
redraws a builder's figure with matplotlib, ``frames_gif`` colour-maps fields.
"""

from idf.viz.export import field_png, figure_png, frames_gif
from idf.viz.fields import animated_heatmap, field_grid, field_heatmap, subsample_frames
from idf.viz.landscape import site_potential_figure, spectrum_figure, toy_figure
from idf.viz.linked import CurvePanel, cursor_traces, linked_animation
from idf.viz.traces import bar_figure, line_figure, log_axis

__all__ = [
    "CurvePanel",
    "cursor_traces",
    "linked_animation",
    "animated_heatmap",
    "bar_figure",
    "field_grid",
    "field_heatmap",
    "field_png",
    "figure_png",
    "frames_gif",
    "line_figure",
    "log_axis",
    "site_potential_figure",
    "spectrum_figure",
    "subsample_frames",
    "toy_figure",
]
