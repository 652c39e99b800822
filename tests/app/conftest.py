"""Fixtures for the AppTest page tests; the helpers themselves live in tests/app/apptest.py."""

import pytest

from tests.app.apptest import page


@pytest.fixture
def make_page():
    return page
