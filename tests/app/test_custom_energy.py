"""A typed energy on the Energy page: accepted, refused with the reason, probed."""

from conftest import assert_clean, page


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
