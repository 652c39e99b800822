"""Home page and the app's navigation."""

from streamlit.testing.v1 import AppTest

from idf.app.navigation import BY_URL
from tests.app.apptest import ROOT, TIMEOUT, assert_clean


def test_app_default_page_is_home_and_names_the_device():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert_clean(at)
    assert at.title[0].value.endswith("IDF Explorer")
    assert any("JAX runs on" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 1


def test_app_switches_to_the_energy_forward_and_reverse_pages():
    """Page switching through app.py's navigation (every page loading: tests/browser/test_pages.py)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    for name in ("energy", "forward", "reverse"):
        at.switch_page(BY_URL[name].file).run()
        assert_clean(at)
