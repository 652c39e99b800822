"""The live figures: the gallery's growing leapfrog path, strided traces, the trajectory scrub."""

import numpy as np
import pytest

from idf.diagnostics.marginals import EnergyGrid
from idf.viz.live import gallery_figure, trace_figure, trajectory_scrub

GRID = EnergyGrid(np.linspace(-2, 2, 5), np.linspace(-3, 3, 7), np.random.default_rng(0).random((7, 5)),
                  ((-2.0, 2.0), (-3.0, 3.0)))


def test_gallery_reveals_the_path_point_by_point_and_colours_proposals():
    path = np.stack([np.linspace(0, 1, 11), np.linspace(0, 2, 11)], axis=-1)
    props = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    fig = gallery_figure(GRID, path, path[-2:], props, np.array([True, False, True]), path, reveal=4)
    by_name = {t.name: t for t in fig.data}
    assert len(by_name["leapfrog path"].x) == 4
    assert list(by_name["accepted proposal"].x) == [0.1, 0.5] and list(by_name["rejected proposal"].x) == [0.3]
    assert by_name["newest proposal"].marker.line.color == "#2ca02c"  # the newest was accepted
    full = gallery_figure(GRID, path, path[-2:], props, np.array([True, False, False]), path)
    assert len({t.name: t for t in full.data}["leapfrog path"].x) == 11


def test_traces_are_strided_and_stacked_per_observable():
    obs = {"x": np.zeros((4, 2000)), "y": np.ones((4, 2000))}
    fig = trace_figure(obs, first_step=500, warmup_end=600, max_points=400)
    assert len(fig.data) == 8 and len(fig.data[0].x) == 400 and fig.data[0].x[0] == 500
    assert fig.data[4].yaxis == "y2" and fig.layout.shapes[0].x0 == 600


def test_scrub_has_one_frame_per_substep_with_its_delta_h():
    path = np.stack([np.linspace(0, 1, 6), np.zeros(6)], axis=-1)
    h = np.array([1.0, 1.1, 1.05, 1.2, 1.0, 1.3])
    fig = trajectory_scrub(path, h, h - 0.5, GRID)
    assert len(fig.frames) == 6
    assert fig.frames[3].name == "sub-step 3: ΔH = +0.2"
    assert fig.frames[5].data[2].y[0] == pytest.approx(1.3) and len(fig.frames[5].data[0].x) == 6
    assert [s.label for s in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]
