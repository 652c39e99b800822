"""Energy landscape page: the improper default is an error (not a crash), a
mass fixes it, every energy renders, bad URLs warn."""

import pytest

from tests.app.apptest import assert_clean, page


def test_default_is_the_documents_improper_energy_shown_as_error():
    at = page("energy").run()
    assert_clean(at)
    assert len(at.error) == 1
    assert "improper" in at.error[0].value and "m²" in at.error[0].value
    assert at.get("plotly_chart")  # the page keeps running: field, terms, spectrum
    exec(compile(at.code[0].value, "<reproduce-in-python>", "exec"), {})  # no raise: the snippet checks first


def test_raising_the_mass_past_4wp_makes_it_proper():
    at = page("energy").run()
    at.slider(key="energy.lattice.m2").set_value(5.0).run()
    assert_clean(at)
    assert not at.error
    assert any("Normalisable" in s.value for s in at.success)
    assert at.query_params["m2"] == ["5"] or at.query_params["m2"] == "5"


def test_every_energy_renders():
    at = page("energy").run()
    for name in ("gff", "phi4", "banana", "donut", "mixture", "funnel"):
        at.selectbox(key="energy.energy").select(name).run()
        assert_clean(at)
        assert not at.error, name
        assert at.get("plotly_chart"), name


def test_bad_url_values_warn_and_are_replaced():
    at = page("energy", energy="nonsense", L="9999", seed="abc").run()
    assert_clean(at)
    text = " ".join(w.value for w in at.warning)
    assert "energy=nonsense" in text and "L=9999" in text and "seed=abc" in text
    assert at.slider(key="energy.L").value == 64  # clamped to the maximum


def test_url_reproduces_a_view():
    at = page("energy", energy="gff", gff_m2="2.5").run()
    assert_clean(at)
    assert at.selectbox(key="energy.energy").value == "gff"
    assert at.slider(key="energy.gff.gff_m2").value == 2.5
    assert not at.warning


def test_weights_survive_switching_energies():
    at = page("energy").run()
    at.slider(key="energy.lattice.m2").set_value(12.0).run()
    at.selectbox(key="energy.energy").select("gff").run()
    assert "m2" not in at.query_params  # only the shown energy's parameters are in the URL
    at.selectbox(key="energy.energy").select("lattice").run()
    assert_clean(at)
    assert at.slider(key="energy.lattice.m2").value == 12.0


def test_the_config_defaults_are_the_pages_and_the_views_are_typed():
    from idf.app import energy

    cfg = energy.DEFAULTS
    assert cfg.energy == "lattice" and cfg.size == 16 and cfg.seed == 0
    assert dict(cfg.params) == {row[1]: row[5] for row in energy.PARAMS["lattice"]}
    view = energy.energy_view(cfg)
    assert isinstance(view, energy.LatticeView) and "m²" in view.improper
    assert view.field.source is energy.FieldSource.WHITE_NOISE and view.field.values.shape == (16, 16)
    assert view.a_min == pytest.approx(-4.0) and view.spectrum.shape == (16, 16)
    assert view.field.terms["total"] == pytest.approx(sum(v for k, v in view.field.terms.items() if k != "total"))
    toy = energy.energy_view(energy.EnergyPageConfig("banana", energy.default_params("banana")))
    assert isinstance(toy, energy.ToyView) and toy.samples.shape == (energy.TOY_SAMPLES, 2)
