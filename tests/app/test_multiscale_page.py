"""The Multi-scale page: renders, its controls change the result, bad URLs warn."""

from tests.app.apptest import assert_clean, metrics, page


def test_default_render_scores_every_scale():
    at = page("multiscale").run()
    assert_clean(at)
    m = metrics(at)
    assert "known sites kept exactly" in m and "exact pipeline bias at 128²" in m
    assert len(at.get("plotly_chart")) >= 3


def test_switching_to_the_cascade_changes_the_exact_bias():
    sdedit = metrics(page("multiscale", scales="16,32,64").run())["exact pipeline bias at 64²"]
    cascade = metrics(page("multiscale", scales="16,32,64", method="cascade").run())["exact pipeline bias at 64²"]
    assert sdedit != cascade


def test_bad_url_values_warn():
    at = page("multiscale", scales="7,9", t_star="2", method="magic").run()
    assert_clean(at)
    assert len(at.warning) >= 2
