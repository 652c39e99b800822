"""The Tour page: every shipped tour plays first → last with Next (a chart on
every step, no exception); a broken tour file is reported by file, step and
field while the other tours still play; every number a narration quotes is
computed (change a step's input and the sentence changes); projector mode and
the level are URL state."""

import shutil

import pytest

from idf.app import tour_views, tours
from idf.app.tours import TourError, load_tour, load_tours
from idf.diffusion import make_schedule
from tests.app.apptest import assert_clean, page

SHIPPED = load_tours(tours.TOUR_DIR)


def tour_page(**query: str):
    """The Tour page's AppTest with URL parameters (``page()``'s own first argument is called ``name``)."""
    at = page("tour")
    for key, value in query.items():
        at.query_params[key] = value
    return at


def test_the_shipped_tours_load_clean_and_have_at_least_eight_steps():
    assert not SHIPPED.problems, [str(p) for p in SHIPPED.problems]
    assert set(SHIPPED.tours) == {"diffusion", "hmc", "energy"}
    for tour in SHIPPED.tours.values():
        assert len(tour.steps) >= 8, tour.name
        for step in tour.steps:
            sentences = [s for s in step.narration.replace("e.g.", "eg").split(". ") if s.strip()]
            assert 2 <= len(sentences) <= 3, (tour.name, step.title, len(sentences))


def test_no_narration_types_a_number():
    """Digits in a narration are placeholders' format specs, subscripts and names (ᾱ_T, φ⁴, N(0, I)), never a
    quoted measurement: strip the placeholders and no decimal number is left."""
    import re

    for tour in SHIPPED.tours.values():
        for step in tour.steps:
            for text in (step.narration, step.notice):
                bare = re.sub(r"\{[^}]*\}", "", text)
                assert not re.search(r"\d\.\d", bare), (tour.name, step.title, bare)


@pytest.mark.parametrize("name", ["diffusion", "hmc", "energy"])
def test_each_tour_plays_first_to_last_with_next(name):
    at = tour_page(name=name)
    at.run()
    count = len(SHIPPED.tours[name].steps)
    for number in range(1, count + 1):
        assert_clean(at)
        assert at.query_params["step"] == [str(number)] or at.query_params["step"] == str(number)
        assert len(at.get("plotly_chart")) == 1, (name, number)
        assert f"step {number} of {count}" in at.subheader[0].value
        assert any("/" in m.value and "Open this view on its page" in m.value for m in at.markdown)
        if number < count:
            at.button(key="tour.next").click().run()
    assert at.button(key="tour.next").disabled
    at.button(key="tour.prev").click().run()
    assert_clean(at)
    assert f"step {count - 1} of {count}" in at.subheader[0].value


def test_a_broken_tour_file_is_reported_and_the_others_still_play(tmp_path, monkeypatch):
    shutil.copy(tours.TOUR_DIR / "diffusion.toml", tmp_path)
    text = (tours.TOUR_DIR / "hmc.toml").read_text(encoding="utf-8")
    (tmp_path / "broken.toml").write_text(text.replace('view = "sweep"', 'view = "swep"'), encoding="utf-8")
    (tmp_path / "garbled.toml").write_text("title = 'x'\n[[steps]\n", encoding="utf-8")
    monkeypatch.setenv("IDF_TOUR_DIR", str(tmp_path))
    at = page("tour")
    at.run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert any("broken.toml" in e and "step 6" in e and "`view`" in e and "'swep'" in e for e in errors), errors
    assert any("garbled.toml" in e and "not valid TOML" in e for e in errors), errors
    assert at.selectbox(key="tour.name").options == ["From data to noise and back"]
    assert len(at.get("plotly_chart")) == 1


@pytest.mark.parametrize(("edit", "field"), [
    (("narration = \"Same denoiser", "narration = \"Same {denoised} denoiser"), "narration"),
    (("state = { method = \"ddpm\" }", "state = { method = \"euler\" }"), "state.method"),
    (("state = { method = \"ddpm\" }", "state = { methd = \"ddpm\" }"), "state.methd"),
    (("state = { method = \"ddpm\" }", "state = { method = \"ddpm\", steps = 5000 }"), "state.steps"),
    (("notice = \"Compare with DDIM", "notise = \"Compare with DDIM"), "notise"),
])
def test_a_bad_step_is_named_by_file_step_and_field(tmp_path, edit, field):
    text = (tours.TOUR_DIR / "diffusion.toml").read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(TourError) as err:
        load_tour(path)
    assert err.value.problem.file == "bad.toml"
    assert err.value.problem.step == 7
    assert err.value.problem.field == field


def _step(tour: str, title: str) -> tours.Step:
    return next(s for s in SHIPPED.tours[tour].steps if s.title == title)


def test_the_narration_numbers_are_computed_change_an_input_and_the_sentence_changes():
    step = _step("diffusion", "Noising a picture")
    sentences = {}
    for T in (1000, 300):
        state = {**step.params, "T": T}
        view = tour_views.draw(step.page, step.view, state)
        sentences[T] = tours.fill(step.narration, view.numbers)
        alpha_bar_end = make_schedule("linear", T).alpha_bars[-1]
        assert f"T = {T} steps" in sentences[T]
        assert f"ᾱ_T = {alpha_bar_end:.1e}" in sentences[T]
    assert sentences[1000] != sentences[300]


def test_the_tempering_step_quotes_the_exact_gaussian_answer():
    step = _step("diffusion", "Temperature and guidance are one idea")
    for temp in (0.5, 0.8):
        view = tour_views.draw(step.page, step.view, {**step.params, "temp": temp})
        assert view.numbers["ratio_exact"] == pytest.approx(temp, rel=1e-6)  # p^{1/T}: covariance × T (float32 spectra)
        assert view.numbers["guidance_equiv"] == pytest.approx(1 / temp - 1)
        assert f"exactly {temp:.3f}×" in tours.fill(step.narration, view.numbers)


def test_the_page_shows_a_changed_input_in_its_sentence(tmp_path, monkeypatch):
    text = (tours.TOUR_DIR / "diffusion.toml").read_text(encoding="utf-8")
    shown = {}
    for T in (1000, 400):
        folder = tmp_path / str(T)
        folder.mkdir()
        (folder / "diffusion.toml").write_text(text.replace("state = { data = \"image\", L = 32 }",
                                                            f"state = {{ data = \"image\", L = 32, T = {T} }}", 1))
        monkeypatch.setenv("IDF_TOUR_DIR", str(folder))
        at = tour_page(name="diffusion", step="1")
        at.run()
        assert_clean(at)
        shown[T] = next(m.value for m in at.markdown if "forward process" in m.value)
        assert f"T = {T} steps" in shown[T]
    assert shown[1000] != shown[400]


def test_projector_and_level_are_url_state():
    at = tour_page(name="energy", step="2", projector="1", level="student")
    at.run()
    assert_clean(at)
    assert at.toggle(key="presentation.projector").value is True
    assert at.selectbox(key="presentation.level").value == "student"
    assert any("font-size: 20px" in h.proto.body for h in at.get("html"))
    assert not [e for e in at.expander if "Expert" in e.label]
    assert at.query_params["projector"] in ("1", ["1"])
    at.selectbox(key="presentation.level").set_value("expert").run()
    at.toggle(key="presentation.projector").set_value(False).run()
    assert_clean(at)
    assert "projector" not in at.query_params and "level" not in at.query_params
    assert [e for e in at.expander if "Expert" in e.label]
    assert not at.get("html")


def test_a_bad_step_number_in_the_url_is_clamped_with_a_warning():
    at = tour_page(name="hmc", step="x")
    at.run()
    assert_clean(at)
    assert any("step=x" in w.value for w in at.warning)
    assert "step 1 of" in at.subheader[0].value


def test_page_links_carry_the_state_the_way_the_page_writes_it():
    assert tour_views.page_link("reverse", {"temp": 0.5, "conserve": True, "method": "ddpm"}) == \
        "/reverse?temp=0.5&conserve=1&method=ddpm"
    assert tour_views.page_link("energy", {}) == "/energy"
