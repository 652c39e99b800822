"""A typed energy on the Energy page: accepted, refused with the reason, probed."""

from tests.app.apptest import assert_clean, page


def test_custom_energy_default_renders_a_field_and_its_terms():
    at = page("energy", energy="custom").run()
    assert_clean(at)
    assert any("no direction" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) >= 2


def test_code_injection_is_refused_with_the_token_named():
    at = page("energy", energy="custom", expr="__import__('os').system('true')").run()
    assert_clean(at)
    assert any("not accepted" in e.value for e in at.error)
    assert any("__import__" in c.value for c in at.code)


def test_an_energy_unbounded_below_is_reported():
    at = page("energy", energy="custom", expr="0.5*sum(grad(x)**2) - 2*sum(x**2)", params="").run()
    assert_clean(at)
    assert any("No Boltzmann distribution" in e.value for e in at.error)
    assert any("unbounded below" in c.value for c in at.code)


def test_bad_parameters_are_explained():
    at = page("energy", energy="custom", params="m2=abc").run()
    assert_clean(at)
    assert any("NAME=NUMBER" in c.value for c in at.code)


def test_custom_view_returns_a_typed_result():
    from idf.app import energy

    cfg = energy.EnergyPageConfig("custom", energy.default_params("custom"), size=8)
    view = energy.custom_view(cfg)
    assert isinstance(view, energy.CustomView) and view.error is None and view.improper is None
    assert view.field.source is energy.FieldSource.MALA and view.field.values.shape == (8, 8)
    assert 0.0 < view.field.acceptance <= 1.0 and view.field.step_size > 0.0
    bad = energy.custom_view(energy.EnergyPageConfig("custom", (("kT", 1.0),), source="x.real"))
    assert "attribute" in bad.error and bad.field is None
