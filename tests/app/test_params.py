"""URL-bound controls (idf.app.Controls) on a minimal script: values come from
the URL, bad ones are replaced with a warning, defaults leave the URL clean."""

from streamlit.testing.v1 import AppTest

from tests.app.apptest import assert_clean


def _script():
    from idf.app import Controls

    c = Controls("demo")
    c.slider("x", "x", 0.0, 1.0, 0.5, 0.1)
    c.int_slider("n", "n", 1, 10, 3)
    c.select("mode", "mode", ["a", "b"], "a")
    c.toggle("flag", "flag", False)
    c.prune()
    c.show_warnings()


def _run(**query):
    at = AppTest.from_function(_script, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_url_values_are_used_and_defaults_keep_the_url_clean():
    at = _run(x="0.7", n="5", mode="b", flag="1", stray="zz")
    assert_clean(at)
    assert not at.warning
    assert at.slider(key="demo.x").value == 0.7 and at.slider(key="demo.n").value == 5
    assert at.selectbox(key="demo.mode").value == "b" and at.toggle(key="demo.flag").value is True
    assert "stray" not in at.query_params
    at.slider(key="demo.x").set_value(0.5).run()
    assert "x" not in at.query_params  # back at its default


def test_bad_values_are_clamped_or_replaced_with_a_warning():
    at = _run(x="7", n="2.6", mode="c", flag="perhaps")
    assert_clean(at)
    assert len(at.warning) == 4
    assert at.slider(key="demo.x").value == 1.0
    assert at.slider(key="demo.n").value == 3
    assert at.selectbox(key="demo.mode").value == "a"
