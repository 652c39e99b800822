"""Memory estimates: work that would not fit is refused with a message that names the fix."""

import pytest

from idf import memory
from idf.cli import main


def test_budget_is_half_of_what_is_free_and_refusals_name_the_fix():
    free = memory.host_available_bytes()
    assert 0 < free < 2**50
    assert memory.budget_bytes() <= free // 2
    memory.check_fits(1024, "a tiny array", "nothing", budget=2048)
    with pytest.raises(memory.MemoryBudgetError, match=r"needs about 3\.0 GiB, more than the 1\.0 GiB .*: lower n"):
        memory.check_fits(3 * 1024**3, "x", "lower n", budget=1024**3)


@pytest.mark.parametrize(
    "argv",
    [
        ["diffuse", "--n", "100000", "--size", "128"],
        ["sample", "--chains", "4096", "--steps", "100000", "--size", "64"],
        ["multiscale", "--n", "100000", "--scales", "64,128,256"],
        ["train", "--num-samples", "2000000", "--size", "128"],
    ],
)
def test_cli_refuses_work_beyond_the_budget_before_starting(argv, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(memory, "budget_bytes", lambda: 256 * 1024**2)
    assert main([*argv, "--out", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "needs about" in err and "lower" in err and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists()
