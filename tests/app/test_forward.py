"""Forward diffusion page: schedule and β change ᾱ, continuous sliders compile
nothing, the exact H/KL claims are shown, bad URLs warn."""

from conftest import assert_clean, metrics, page

from idf import _tracing

ALPHA_T = "ᾱ_T (signal left at t = T)"


def test_default_render_and_honest_entropy_claims():
    at = page("forward").run()
    assert_clean(at)
    m = metrics(at)
    assert m["steps on which KL(q_t‖N(0,I)) rises"] == "0 %"
    assert "steps on which H(t) rises" in m
    assert len(at.get("plotly_chart")) >= 7  # animation, ᾱ, SNR, φ, S, H, KL
    exec(compile(at.code[0].value, "<reproduce-in-python>", "exec"), {})  # the snippet runs as shown


def test_schedule_changes_alpha_bar():
    at = page("forward").run()
    linear = metrics(at)[ALPHA_T]
    at.selectbox(key="forward.schedule").select("cosine").run()
    assert_clean(at)
    assert metrics(at)[ALPHA_T] != linear
    assert at.query_params["schedule"] in ("cosine", ["cosine"])


def test_continuous_sliders_do_not_recompile():
    at = page("forward", guided="1").run()
    assert_clean(at)
    before_ab = metrics(at)[ALPHA_T]
    traces = _tracing.traces("forward_trajectory")
    at.slider(key="forward.beta_end").set_value(0.03).run()
    at.slider(key="forward.beta_start").set_value(2e-4).run()
    at.slider(key="forward.strength").set_value(50.0).run()
    at.slider(key="forward.kT").set_value(1.5).run()
    assert_clean(at)
    assert metrics(at)[ALPHA_T] != before_ab
    assert _tracing.traces("forward_trajectory") == traces


def test_image_data_renders_without_exact_curves():
    at = page("forward", data="image").run()
    assert_clean(at)
    assert any("Exact H(t) and KL need Gaussian" in i.value for i in at.info)


def test_bad_url_values_warn():
    at = page("forward", schedule="quadratic", T="-5", beta_end="nan", guided="maybe").run()
    assert_clean(at)
    text = " ".join(w.value for w in at.warning)
    for bad in ("schedule=quadratic", "T=-5", "beta_end=nan", "guided=maybe"):
        assert bad in text
    assert at.slider(key="forward.T").value == 10
