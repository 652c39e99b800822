"""The figures built from unvalidated specs (``idf.viz.specs``) are what Plotly's validation makes of them.

Validation fills in nothing a browser needs only when a spec is already what Plotly would send:
a named colour scale, for one, is expanded by validation, and Plotly.js does not know Python's
names ("RdBu_r"), so an unexpanded one drew in Plotly.js's default scale. Each builder's figure
is sent as JSON and compared with the JSON of the same figure validated."""

import json

import numpy as np
import plotly
import pytest

from idf.diagnostics.marginals import EnergyGrid
from idf.viz import CurvePanel, animated_heatmap, bar_figure, field_grid, field_heatmap, line_figure, linked_animation
from idf.viz.landscape import site_potential_figure, spectrum_figure
from idf.viz.live import gallery_figure, trace_figure
from idf.viz.multiscale import inpainting_figure, moments_figure, pyramid_figure, radial_spectrum_figure
from idf.viz.specs import figure, frame_specs, validated

RNG = np.random.default_rng(0)
T = np.arange(11.0)
AT = np.array([0, 2, 5, 8, 10.0])
GRID = EnergyGrid(np.linspace(-2, 2, 5), np.linspace(-3, 3, 7), RNG.random((7, 5)), ((-2.0, 2.0), (-3.0, 3.0)))
PATH = np.stack([np.linspace(0, 1, 11), np.linspace(0, 2, 11)], axis=-1)
Q = np.array([0.0, 1.0, 2.0, 3.0])

BUILDERS = {
    "line": lambda: line_figure(T, {"m": (T, np.ones(11)), "e": T + 1}, x_title="t", y_title="φ", title="a",
                                hlines={"ref": 2.0}, dashed=("e",)),
    "line log": lambda: line_figure(T + 1, {"kl": np.exp(-T)}, x_title="t", y_title="KL", log_y=True),
    "linked": lambda: linked_animation(
        RNG.normal(size=(5, 4, 4)), [f"t = {int(s)}" for s in AT],
        [CurvePanel(T, {"phi": (T**2, np.ones(11)), "exact": T**2 + 1}, AT, "energy", "φ", hlines={"h": 8.0}),
         CurvePanel(T, {"kl": np.exp(-T)}, AT, "KL", "nats", log_y=True)], title="x"),
    "animation": lambda: animated_heatmap(RNG.normal(size=(3, 4, 4)), ["a", "b", "c"], title="anim"),
    "field": lambda: field_heatmap(RNG.normal(size=(4, 4)), title="a long title that wraps onto two lines", wrap=20),
    "bars": lambda: bar_figure({"kinetic": 2.0, "mass": -1.0}, y_title="energy (kT)", title="terms"),
    "spectrum A(k)": lambda: spectrum_figure(np.array([[-1.0, 1.0], [2.0, 3.0]]), np.array([[0.0, 4.0], [4.0, 8.0]])),
    "site potential": lambda: site_potential_figure(T, T**2, title="well"),
    "field grid": lambda: field_grid(RNG.normal(size=(6, 4, 4)), title="samples", cols=4),
    "pyramid": lambda: pyramid_figure([RNG.normal(size=(s, s)) for s in (4, 8, 16)], ["4", "8", "16"], title="p"),
    "spectrum": lambda: radial_spectrum_figure({"L = 16": (Q, np.ones(4), 0.1 * np.ones(4))},
                                               {"exact": (Q, 2 * np.ones(4))}, title="s"),
    "inpainting": lambda: inpainting_figure({"observed": RNG.normal(size=(4, 4)), "mean": RNG.normal(size=(4, 4)),
                                             "s.d.": RNG.random((4, 4))}, RNG.random((4, 4)) > 0.5, title="i"),
    "moments": lambda: moments_figure(T, {"inpainted": T + 0.1}, T, {"inpainted": T}, title="m"),
    "gallery": lambda: gallery_figure(GRID, PATH, PATH[-2:], PATH[:3], np.array([True, False, True]), PATH),
    "traces": lambda: trace_figure({"x": RNG.normal(size=(2, 50))}, first_step=0, warmup_end=10),
}


def _json(fig) -> dict:
    return json.loads(json.dumps(fig.to_dict(), cls=plotly.utils.PlotlyJSONEncoder))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_unvalidated_figure_is_what_validation_makes_of_it(name):
    fig = BUILDERS[name]()
    assert _json(fig) == _json(validated(fig))
    # a frame carries what moves, never a colour scale: the trace's (projector mode's too) holds
    assert not any("colorscale" in d for f in frame_specs(fig) for d in f["data"])


def test_validation_still_catches_a_bad_spec():
    with pytest.raises(ValueError, match="colourscale"):
        validated(figure([dict(type="heatmap", z=[[1.0]], colourscale="RdBu")]))
    fig = figure([dict(type="heatmap", z=[[1.0]], colorscale="RdBu_r")])  # Python's name, unexpanded
    assert _json(fig) != _json(validated(fig))


@pytest.mark.parametrize("name", ["line", "linked", "field grid", "inpainting"])
@pytest.mark.parametrize("dark", [False, True])
def test_projector_restyling_of_an_unvalidated_figure_is_what_validation_makes_of_it(name, dark):
    from idf.app.presentation import Presentation, style

    fig = style(BUILDERS[name](), Presentation(True, "expert", dark))
    assert _json(fig) == _json(validated(fig))
    assert fig.layout.font.size == 18
