"""AppTest helpers, imported by the page tests (``from tests.app.apptest import page``):
run one page file (or the whole app) with a generous timeout, since the first run of a
page compiles its JAX loop."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from idf.app.navigation import page_file

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def page(name: str, **query: str) -> AppTest:
    """An AppTest of the page whose url_path is ``name``, with URL query parameters set, not yet run."""
    at = AppTest.from_file(str(page_file(name)), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
