"""The Physics-checks page: renders, runs a fast check on demand, survives bad URLs."""

from tests.app.apptest import assert_clean, page


def _app(query=None):
    return page("physics", **(query or {})).run()


def test_default_render_has_the_exact_plots_and_no_badges_yet():
    at = _app()
    assert_clean(at)
    assert any("not run yet" in m.value for m in at.markdown)


def test_running_selected_fast_checks_shows_badges():
    at = _app()
    at.multiselect[0].set_value(["forward_kl_monotone", "default_energy_improper"]).run()
    at.button[1].click().run()
    assert_clean(at)
    assert any("pass" in s.value and "non-increasing" in s.value for s in at.success)
    assert any("measured truth" in i.value and "-4" in i.value for i in at.info)


def test_bad_query_parameters_warn_and_keep_running():
    at = _app({"kT": "banana", "seed": "1e9"})
    assert_clean(at)
    assert len(at.warning) >= 2
