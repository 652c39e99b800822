"""Forward diffusion page: schedule and β change ᾱ, continuous sliders compile
nothing, the exact H/KL claims are shown, bad URLs warn, uploads become x₀
or are refused with a message while the page keeps working."""

import io

import numpy as np
from PIL import Image

from idf import _tracing
from tests.app.apptest import assert_clean, metrics, page

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


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_upload_without_a_file_says_what_to_upload_and_falls_back_to_the_image():
    at = page("forward", data="upload").run()  # a shared link cannot carry the file
    assert_clean(at)
    assert len(at.file_uploader) == 1 and "pickle" in at.file_uploader[0].help
    assert any("No field uploaded yet" in i.value and "shipped image" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) >= 5


def test_an_uploaded_npy_becomes_x0_and_its_snippet_runs(tmp_path, monkeypatch):
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(3, 16, 16))
    at = page("forward", data="upload", T="50").run()
    at.file_uploader[0].upload("mine.npy", _npy(x)).run()
    assert_clean(at)
    assert not at.error
    caption = " ".join(c.value for c in at.caption)
    assert "x₀ = mine.npy: field 1 of 3, 16×16, values as uploaded" in caption
    assert f"mean {x[0].mean():.3g}, s.d. {x[0].std():.3g}" in caption
    (tmp_path / "mine.npy").write_bytes(_npy(x))
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(at.code[0].value, "<reproduce-in-python>", "exec"), scope)
    np.testing.assert_allclose(np.asarray(scope["x0"][0]), x[0], rtol=1e-6)  # JAX may run in float32
    at.slider(key="forward.L").set_value(8).run()  # fitted to the new side, same file
    assert_clean(at)
    assert "16×16 resized to 8×8 (bilinear)" in " ".join(c.value for c in at.caption)


def test_a_refused_upload_shows_why_and_the_page_keeps_working():
    buf = io.BytesIO()
    np.savez(buf, fields=np.array([{"a": 1}], dtype=object))
    at = page("forward", data="upload", T="50").run()
    at.file_uploader[0].upload("evil.npz", buf.getvalue()).run()
    assert_clean(at)
    assert any("pickle is refused" in e.value for e in at.error)
    assert any("Meanwhile x₀ is the shipped image" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) >= 5
    at.file_uploader[0].set_value(("square.png", _png(), "image/png")).run()
    assert_clean(at)
    assert not at.error
    assert "grayscale, standardised" in " ".join(c.value for c in at.caption)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (40, 50), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()
