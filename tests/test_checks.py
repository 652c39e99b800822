"""The Physics-checks page's checks, run as tests: each must hold."""

import pytest

from idf import checks

FAST = {"forward_kl_monotone", "entropy_not_monotone", "default_energy_improper"}


def _params():
    for check in checks.CHECKS:
        marks = () if check.__name__ in FAST else (pytest.mark.slow,)
        yield pytest.param(check, id=check.__name__, marks=marks)


@pytest.mark.parametrize("check", list(_params()))
def test_check_holds(check):
    result = checks.run_check(check, seed=0)
    assert result.status in ("pass", "truth"), result
    assert result.n > 0 and result.detail


def test_a_broken_check_becomes_a_red_badge():
    def broken(seed):
        raise RuntimeError("boom")

    result = checks.run_check(broken)
    assert result.status == "fail" and "boom" in result.detail
