"""The linked animation: every frame moves the field and a cursor on every curve panel."""

import numpy as np
import pytest

from idf.viz import CurvePanel, cursor_traces, linked_animation
from idf.viz.specs import frame_specs


def figure():
    frames = np.random.default_rng(0).normal(size=(5, 4, 4))
    t = np.arange(11.0)
    at = np.array([0, 2, 5, 8, 10.0])
    panels = [
        CurvePanel(t, {"phi": (t**2, np.ones(11)), "exact": t**2 + 1}, at, "energy", "φ", hlines={"N kT/2": 8.0}),
        CurvePanel(t, {"kl": np.exp(-t)}, at, "KL", "nats", log_y=True),
    ]
    return frames, at, linked_animation(frames, [f"t = {int(s)}" for s in at], panels, title="x")


def test_each_frame_updates_the_heatmap_and_every_cursor():
    frames, at, fig = figure()
    moving = cursor_traces(fig)
    assert moving[0] == 0 and len(moving) == 1 + 2 * 2
    assert fig.data[moving[2]].name == "now: energy" and fig.data[moving[4]].name == "now: KL"
    specs = frame_specs(fig)
    assert len(specs) == len(fig.frames) == len(frames)
    for k, frame in enumerate(specs):
        data = frame["data"]
        np.testing.assert_allclose(data[0]["z"], frames[k])
        assert set(data[0]) == {"type", "z"}  # only what moves: the scale and range stay the trace's
        line, marker = data[1], data[2]
        assert line["x"] == [at[k], at[k]] and marker["x"] == [at[k]]
        assert marker["y"][0] == pytest.approx(at[k] ** 2)  # rides on the first curve (the mean)
        assert data[4]["y"][0] == pytest.approx(np.exp(-at[k]))
    markers = [f["data"][2]["x"][0] for f in specs]
    assert markers == sorted(markers) and len(set(markers)) == len(markers)  # scrubbing moves it


def test_slider_steps_name_the_frames_and_play_animates_them_all():
    _, _, fig = figure()
    names = [f.name for f in fig.frames]
    assert [s.label for s in fig.layout.sliders[0].steps] == names
    assert fig.layout.updatemenus[0].buttons[0].args[0] is None  # Play: every frame in order


def test_mismatched_cursor_positions_are_refused():
    frames = np.zeros((3, 2, 2))
    with pytest.raises(ValueError, match="cursor positions"):
        linked_animation(frames, ["a", "b", "c"], [CurvePanel(np.arange(4.0), {"y": np.ones(4)}, np.ones(2), "p", "y")])
