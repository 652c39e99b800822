"""``idf sample`` writes the documented file; bad arguments exit 2 in one line."""

import subprocess
import sys

import numpy as np
import pytest

from idf.cli import main
from idf.io import load_npz


def test_sample_writes_the_documented_file(tmp_path):
    out = tmp_path / "s.npz"
    argv = ["sample", "--energy", "phi4", "--size", "4", "--mass2", "-4", "--coupling", "8", "--sampler", "hmc",
            "--step-size", "0.1", "--leapfrog", "5", "--chains", "3", "--steps", "40", "--burn-in", "10",
            "--thin", "2", "--seed", "0", "--out", str(out)]
    assert main(argv) == 0
    arrays, config = load_npz(out)
    assert arrays["samples"].shape == (3, 20, 4, 4)
    assert arrays["acceptance"].shape == (3, 40) and arrays["delta_H"].shape == (3, 40)
    assert np.all(np.isfinite(arrays["samples"])) and not arrays["divergent"].any()
    assert config["sampler"] == "hmc" and config["coupling"] == 8.0 and config["burn_in"] == 10
    assert config["energy_params"] == {"mass2": -4.0, "coupling": 8.0, "kT": 1.0}


def test_sample_mala_with_adaptation_has_no_delta_h(tmp_path):
    out = tmp_path / "m.npz"
    argv = ["sample", "--energy", "gff", "--size", "4", "--sampler", "mala", "--chains", "2", "--steps", "20",
            "--burn-in", "20", "--adapt", "--out", str(out)]
    assert main(argv) == 0
    arrays, config = load_npz(out)
    assert "delta_H" not in arrays and arrays["samples"].shape == (2, 20, 4, 4)
    assert config["final_step_size"] == pytest.approx(float(arrays["step_size"]))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--energy", "lattice"], "improper"),
        (["--energy", "phi4", "--coupling", "-1"], "unbounded below"),
        (["--sampler", "gibbs"], "invalid choice"),
        (["--step-size", "-0.1"], "must be >"),
        (["--steps", "5", "--thin", "10"], "--thin"),
        (["--sampler", "langevin", "--adapt"], "--adapt"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, extra, message):
    code = None
    try:
        code = main(["sample", "--size", "4", "--chains", "2", "--steps", "5", "--burn-in", "0",
                     "--out", str(tmp_path / "x.npz"), *extra])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_improper_energy_exits_2_from_a_real_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "idf.cli", "sample", "--energy", "lattice", "--out", str(tmp_path / "x.npz")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "improper" in proc.stderr and "m²" in proc.stderr and "Traceback" not in proc.stderr
