"""Multi-scale figures: legends sit below the plot, never on the title."""

import numpy as np

from idf.viz.multiscale import moments_figure, radial_spectrum_figure


def _below_the_plot(fig) -> bool:
    legend = fig.layout.legend
    return legend.yanchor == "top" and legend.y < 0  # hangs below the x axis (paper coordinates)


def test_spectrum_legend_does_not_overlap_the_title():
    q = np.array([0.0, 1.0, 2.0])
    fig = radial_spectrum_figure({"L = 16": (q, np.ones(3), 0.1 * np.ones(3))}, {"exact": (q, np.ones(3))},
                                 title="Radially averaged power spectrum")
    assert _below_the_plot(fig), fig.layout.legend
    assert fig.layout.title.text == "Radially averaged power spectrum"


def test_moments_legend_does_not_overlap_the_subplot_titles():
    v = np.linspace(0.0, 1.0, 5)
    fig = moments_figure(v, {"inpainted": v}, v, {"inpainted": v}, title="conditional moments")
    assert _below_the_plot(fig), fig.layout.legend
