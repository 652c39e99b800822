"""The Multi-scale page: renders, its controls change the result, bad URLs warn."""

from tests.app.apptest import assert_clean, metrics, page


def test_default_render_scores_every_scale():
    at = page("multiscale").run()
    assert_clean(at)
    m = metrics(at)
    assert "known sites kept exactly" in m and "exact pipeline bias at 128²" in m
    assert len(at.get("plotly_chart")) >= 3


def test_the_exact_bias_shown_is_the_pipelines_for_each_refinement():
    """At scales 16, 32, 64 the page shows the largest |q|-shell error of the exact pipeline
    power against the 64² GFF; it must be what ``exact_multiscale_power`` gives for SDEdit
    and for the cascade (two different numbers, to the page's 0.1 %)."""
    import numpy as np

    from idf.app.multiscale import SCHEDULE
    from idf.diagnostics import radial_average
    from idf.diffusion import make_schedule
    from idf.diffusion.multiscale import MultiscaleOptions, exact_multiscale_power
    from idf.energy import GaussianFreeField

    gff, sched = GaussianFreeField(mass2=0.1, kT=1.0), make_schedule(*SCHEDULE)
    target = radial_average(np.asarray(gff.covariance_spectrum((64, 64)), np.float64)).power
    shown = {}
    for method in ("sdedit", "cascade"):
        options = MultiscaleOptions(refinement=method, upsampling="spectral", t_star=0.3, inference_steps=50)
        power = radial_average(exact_multiscale_power(gff, sched, (16, 32, 64), options)[-1]).power
        expected = f"{100 * float(np.max(np.abs(power / target - 1.0))):.1f} %"
        at = page("multiscale", scales="16,32,64", method=method).run()
        shown[method] = metrics(at)["exact pipeline bias at 64²"]
        assert shown[method] == expected, (method, shown[method], expected)
    assert shown["sdedit"] != shown["cascade"]


def test_bad_url_values_warn():
    at = page("multiscale", scales="7,9", t_star="2", method="magic").run()
    assert_clean(at)
    assert len(at.warning) >= 2
