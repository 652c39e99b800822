"""Figure builders and exports: animation controls, axis titles with units,
improper modes marked, PNG/GIF bytes decodable."""

import imageio.v3 as iio
import numpy as np
import pytest

from idf import viz
from idf.energy import Banana, GaussianMixture, LatticeEnergy, laplacian_eigenvalues


def _titles(fig) -> list[str]:
    layout = fig.layout.to_plotly_json()
    return [v["title"]["text"] for k, v in layout.items()
            if k.startswith(("xaxis", "yaxis")) and "title" in v and "text" in v["title"]]


def test_animated_heatmap_has_play_pause_and_one_slider_step_per_frame():
    frames = np.random.default_rng(0).normal(size=(7, 5, 5))
    fig = viz.animated_heatmap(frames, [f"t = {i}" for i in range(7)])
    assert len(fig.frames) == 7
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in lab for lab in labels) and any("Pause" in lab for lab in labels)
    assert [s.label for s in fig.layout.sliders[0].steps] == [f"t = {i}" for i in range(7)]
    zmin, zmax = fig.data[0].zmin, fig.data[0].zmax
    # one colour scale: frames carry only z (float32, what the chart shows), so Plotly keeps the
    # trace's range while playing (checked in Chromium: _fullData's zmin/zmax after animate)
    assert zmin == -zmax and all(f.data[0].zmax is None and f.data[0].colorscale is None for f in fig.frames)
    assert all(np.asarray(f.data[0].z).dtype == np.float32 for f in fig.frames)
    assert len(_titles(fig)) == 2


def test_animated_heatmap_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        viz.animated_heatmap(np.zeros((3, 2, 2)), ["a", "b"])


@pytest.mark.parametrize("n, cap", [(5, 60), (1001, 60), (61, 60)])
def test_subsample_frames_keeps_ends_and_caps(n, cap):
    idx = viz.subsample_frames(n, cap)
    assert idx[0] == 0 and idx[-1] == n - 1 and len(idx) <= cap and np.all(np.diff(idx) > 0)


def test_line_figure_axis_titles_band_and_reference():
    x = np.arange(10)
    fig = viz.line_figure(x, {"a": x * 1.0, "b": (np.ones(10), 0.1 * np.ones(10))}, x_title="t (steps)",
                          y_title="φ (kT)", hlines={"exact": 1.0}, log_y=True)
    assert _titles(fig) == ["t (steps)", "φ (kT)"]
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data] == ["a", "b ±1 s.d.", "b", "exact"]


def test_spectrum_figure_marks_improper_modes():
    shape = (6, 6)
    energy = LatticeEnergy()  # the document's default: improper
    fig = viz.spectrum_figure(np.asarray(energy.spectrum(shape)), laplacian_eigenvalues(shape))
    names = [t.name for t in fig.data]
    assert "A(k) ≤ 0 (improper mode)" in names
    assert len(_titles(fig)) == 4


@pytest.mark.parametrize("energy", [Banana(), GaussianMixture()])
def test_toy_figure_has_contours_arrows_and_samples(energy):
    import jax

    samples = np.asarray(energy.sample_exact(jax.random.key(0), 50))
    fig = viz.toy_figure(energy, samples, grid=20, arrows=5)
    assert [t.type for t in fig.data] == ["contour", "scatter", "scatter"]
    assert _titles(fig) == ["position x₁ (arbitrary units)", "position x₂ (arbitrary units)"]


def test_field_grid_and_heatmap_titles():
    fields = np.random.default_rng(1).normal(size=(6, 4, 4))
    assert len(viz.field_grid(fields, cols=4).data) == 6
    assert len(_titles(viz.field_heatmap(fields[0]))) == 2


def test_exports_decode():
    rng = np.random.default_rng(2)
    frames = rng.normal(size=(4, 8, 8))
    gif = viz.frames_gif(frames, pixels_per_site=2)
    assert gif[:6] == b"GIF89a"
    assert iio.imread(gif, index=None).shape[:3] == (4, 16, 16)
    png = viz.field_png(frames[0], pixels_per_site=3)
    assert iio.imread(png).shape[:2] == (24, 24)
    fig = viz.line_figure(np.arange(5), {"y": np.arange(5.0)}, x_title="t", y_title="y")
    assert viz.figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    assert viz.figure_png(viz.animated_heatmap(frames, list("abcd")))[:4] == b"\x89PNG"


def test_log_axes_label_only_1_2_5_over_a_narrow_range():
    """Under two decades Plotly would label every digit, the in-between ones without their decade."""
    x = np.arange(1, 10)
    narrow = viz.line_figure(x, {"a": np.linspace(0.1, 1.0, 9)}, x_title="x", y_title="y", log_y=True)
    wide = viz.line_figure(x, {"a": np.geomspace(1e-3, 10.0, 9)}, x_title="x", y_title="y", log_y=True)
    assert narrow.layout.yaxis.type == wide.layout.yaxis.type == "log"
    assert list(narrow.layout.yaxis.ticktext) == ["0.1", "0.2", "0.5", "1"] and wide.layout.yaxis.tickvals is None
