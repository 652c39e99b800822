"""The command line: documented files, exact-answer acceptance, clean errors."""

import subprocess
import sys

import numpy as np
import pytest

from idf.cli import main
from idf.diagnostics import fourier_kl_bias
from idf.diffusion import make_schedule
from idf.io import load_npz


def test_schedule_writes_the_documented_file(tmp_path):
    out = tmp_path / "s.npz"
    assert main(["schedule", "--name", "cosine", "--num-steps", "1000", "--out", str(out)]) == 0
    arrays, config = load_npz(out)
    ref = make_schedule("cosine", 1000)
    for key in ("betas", "alphas", "alpha_bars"):
        np.testing.assert_array_equal(arrays[key], getattr(ref, key))
    assert config["name"] == "cosine" and config["num_steps"] == 1000


def test_diffuse_exact_ddpm_reaches_the_gff(tmp_path):
    """DESIGN §5 acceptance: 8×8 GFF, m² = 1, 1000 DDPM steps, n = 4096: the
    file holds kl_bias = fourier_kl_bias ≈ (N + 4)/(4n) = 0.0042 (not the old
    N/2n = 0.0078), and the Fourier KL is the exact loop's 0.0047 + that bias,
    0.0089 ± 0.0018 (kl_expected, kl_sd), within 4 sd."""
    out = tmp_path / "g.npz"
    args = ["diffuse", "--data", "gff", "--size", "8", "--mass2", "1", "--schedule", "linear",
            "--num-steps", "1000", "--inference-steps", "1000", "--method", "ddpm", "--spacing", "leading",
            "--eta", "0", "--denoiser", "exact", "--n", "4096", "--seed", "0", "--out", str(out)]
    assert main(args) == 0
    arrays, config = load_npz(out)
    assert arrays["samples"].shape == (4096, 8, 8)
    assert float(arrays["kl_bias"]) == pytest.approx(fourier_kl_bias((8, 8), 4096)) and arrays["kl_bias"] < 0.0045
    assert float(arrays["kl_exact_loop"]) < 0.006
    assert float(arrays["kl_expected"]) == pytest.approx(float(arrays["kl_exact_loop"] + arrays["kl_bias"]))
    assert abs(float(arrays["kl_fourier"] - arrays["kl_expected"])) < 4 * float(arrays["kl_sd"])
    assert config["n"] == 4096 and config["method"] == "ddpm" and config["seed"] == 0


def test_diffuse_default_ddim_writes_samples(tmp_path):
    out = tmp_path / "d.npz"
    assert main(["diffuse", "--n", "64", "--inference-steps", "10", "--out", str(out)]) == 0
    arrays, _ = load_npz(out)
    assert arrays["samples"].shape == (64, 8, 8) and np.isfinite(arrays["samples"]).all()


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["diffuse", "--eta", "3"], "--eta"),
        (["diffuse", "--size", "abc"], "--size"),
        (["diffuse", "--schedule", "quadratic"], "--schedule"),
        (["diffuse", "--data", "lattice", "--mass2", "0"], "m² > 4"),
        (["diffuse", "--inference-steps", "2000"], "inference steps"),
        (["diffuse", "--n", "100000", "--size", "512"], "needs about"),
        (["schedule", "--num-steps", "nan"], "--num-steps"),
        (["schedule", "--beta-start", "0.5", "--beta-end", "0.1"], "beta_start"),
        (["schedule", "--beta-end", "inf"], "finite"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, needle, capsys, tmp_path):
    argv = [*argv, "--out", str(tmp_path / "x.npz")]
    with pytest.raises(SystemExit) as exc:
        code = main(argv)
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err


def test_console_script_help_and_error():
    ok = subprocess.run([sys.executable, "-m", "idf.cli", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "diffuse" in ok.stdout and "schedule" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "idf.cli", "diffuse", "--eta", "-1"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_sample_custom_energy_equals_the_builtin_gff(tmp_path):
    """The same chains (same seed) on the typed GFF and on GaussianFreeField."""
    common = ["sample", "--size", "6", "--sampler", "mala", "--step-size", "0.2", "--chains", "4",
              "--steps", "50", "--burn-in", "10", "--seed", "3"]
    assert main([*common, "--energy", "gff", "--mass2", "0.7", "--out", str(tmp_path / "a.npz")]) == 0
    assert main([*common, "--energy", "custom", "--expr", "0.5*sum(grad(x)**2) + 0.5*m2*sum(x**2)",
                 "--param", "m2=0.7", "--out", str(tmp_path / "b.npz")]) == 0
    a, _ = load_npz(tmp_path / "a.npz")
    b, config = load_npz(tmp_path / "b.npz")
    np.testing.assert_allclose(a["samples"], b["samples"], rtol=1e-4, atol=1e-5)
    assert config["energy_params"]["m2"] == 0.7


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--expr", "__import__('os').system('true')"], "not allowed"),
        (["--expr", "x.__class__"], "attribute"),
        (["--expr", "0.5*sum(grad(x)**2) - 2*sum(x**2)"], "unbounded below"),
        (["--expr", "sum(x**2)", "--param", "m2"], "NAME=VALUE"),
        ([], "--expr"),
    ],
)
def test_sample_custom_energy_errors(extra, needle, capsys, tmp_path):
    code = main(["sample", "--energy", "custom", *extra, "--out", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and len(err.splitlines()) == 1
