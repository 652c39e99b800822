"""φ⁴ at the command line: ``--kappa`` selects the hopping form (fields and
observables in its normalisation), ``--preset`` a literature setting,
``--sampler diffusion-mh`` the exact diffusion sampler; bad combinations exit 2
with one line. Tiny sizes: each test runs in seconds."""

import jax
import numpy as np
import pytest

from idf.cli import build_parser, main
from idf.cli.train import spec_from_args
from idf.energy import HoppingPhi4, Phi4
from idf.energy.hopping import hopping_parameters
from idf.io import ASSETS, load_npz

BROKEN = ASSETS / "phi4_broken8_unet_long.npz"


def _energies(energy, samples):
    return np.asarray(jax.vmap(jax.vmap(energy.energy))(np.asarray(samples, np.float32)))


def test_kappa_selects_the_hopping_form_and_reports_observables_with_errors(tmp_path, capsys):
    out = tmp_path / "h.npz"
    assert main(["sample", "--energy", "phi4", "--kappa", "0.27", "--coupling", "0.022", "--size", "4",
                 "--chains", "4", "--steps", "40", "--burn-in", "10", "--step-size", "0.2", "--leapfrog", "5",
                 "--out", str(out)]) == 0
    arrays, config = load_npz(out)
    assert config["energy_params"] == {"kappa": 0.27, "coupling": 0.022, "kT": 1.0}
    # the recorded energy is the hopping action of the written fields: they are hopping-normalised
    np.testing.assert_allclose(arrays["energy"], _energies(HoppingPhi4(0.27, 0.022), arrays["samples"]), rtol=1e-4)
    obs = config["observables"]
    assert obs["convention"] == "hopping"
    for name in ("abs_M", "chi2", "U4"):
        assert np.isfinite(obs[name]) and obs[f"{name}_error"] > 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert "⟨|M|⟩ = " in line and "χ₂ = " in line and "U₄ = " in line and "±" in line and "hopping" in line


def test_albergo_form_reports_its_own_convention(tmp_path, capsys):
    out = tmp_path / "a.npz"
    assert main(["sample", "--energy", "phi4", "--mass2", "-4", "--coupling", "8", "--size", "4", "--chains", "2",
                 "--steps", "20", "--burn-in", "5", "--out", str(out)]) == 0
    _, config = load_npz(out)
    assert config["observables"]["convention"] == "albergo" and "abs_m" in config["observables"]
    assert "⟨|m|⟩" in capsys.readouterr().out


def test_preset_sets_size_and_parameters(tmp_path):
    out = tmp_path / "p.npz"
    assert main(["sample", "--preset", "waz-L16-k0.21", "--chains", "2", "--steps", "8", "--burn-in", "2",
                 "--leapfrog", "3", "--out", str(out)]) == 0
    arrays, config = load_npz(out)
    assert arrays["samples"].shape == (2, 8, 16, 16)
    assert config["energy"] == "phi4" and config["size"] == 16
    assert config["energy_params"] == {"kappa": 0.21, "coupling": 0.022, "kT": 1.0}


def test_diffusion_mh_writes_what_the_other_samplers_write_plus_log_weights(tmp_path):
    out = tmp_path / "d.npz"
    assert main(["sample", "--energy", "phi4", "--mass2", "-4", "--coupling", "3", "--size", "8",
                 "--sampler", "diffusion-mh", "--checkpoint", str(BROKEN), "--inference-steps", "3",
                 "--chains", "2", "--steps", "6", "--burn-in", "1", "--thin", "2", "--out", str(out)]) == 0
    arrays, config = load_npz(out)
    assert arrays["samples"].shape == (2, 3, 8, 8)
    assert arrays["accepted"].shape == arrays["acceptance"].shape == arrays["log_weights"].shape == (2, 6)
    assert np.all(np.isfinite(arrays["log_weights"]))
    assert config["inference_steps"] == 3 and config["sampler"] == "diffusion-mh"
    np.testing.assert_allclose(arrays["energy"][:, ::2], _energies(Phi4(-4.0, 3.0), arrays["samples"]), rtol=1e-4)


def test_diffusion_mh_in_the_hopping_form_returns_hopping_fields(tmp_path):
    kappa, lam = hopping_parameters(-4.0, 3.0)  # the checkpoint's own target, in the hopping form
    out = tmp_path / "dh.npz"
    assert main(["sample", "--energy", "phi4", "--kappa", f"{kappa:.10f}", "--coupling", f"{lam:.10f}",
                 "--sampler", "diffusion-mh", "--checkpoint", str(BROKEN), "--inference-steps", "3",
                 "--chains", "2", "--steps", "4", "--burn-in", "0", "--out", str(out)]) == 0
    arrays, config = load_npz(out)
    hop = HoppingPhi4(kappa, lam)
    # the chain's energies are the Albergo action of √κ·φ_hop = the hopping action of the written fields
    np.testing.assert_allclose(arrays["energy"], _energies(hop, arrays["samples"]), rtol=1e-4)
    assert config["observables"]["convention"] == "hopping"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--energy", "gff", "--kappa", "0.27", "--coupling", "0.022"], "--kappa"),
        (["--energy", "phi4", "--kappa", "0.27", "--mass2", "-4", "--coupling", "0.022"], "exclude"),
        (["--energy", "phi4", "--kappa", "0.27"], "--coupling"),
        (["--energy", "phi4", "--checkpoint", "x.npz"], "diffusion-mh only"),
        (["--energy", "phi4", "--inference-steps", "5"], "diffusion-mh only"),
        (["--energy", "phi4", "--sampler", "diffusion-mh"], "--checkpoint"),
        (["--energy", "phi4", "--sampler", "diffusion-mh", "--checkpoint", str(BROKEN), "--adapt"], "--adapt"),
        (["--energy", "phi4", "--sampler", "diffusion-mh", "--checkpoint", str(BROKEN), "--size", "4"], "L = 8"),
        (["--preset", "waz-L16-k0.27", "--kappa", "0.2"], "drop --kappa"),
        (["--preset", "waz-L16-k0.27", "--size", "8"], "drop --size"),
        (["--preset", "tutorial-L8", "--energy", "gff"], "drop --energy"),
        (["--preset", "no-such"], "invalid choice"),
        (["--energy", "phi4", "--kappa", "-0.1", "--coupling", "0.02"], "must be >"),
    ],
)
def test_bad_combinations_exit_2_with_one_line(tmp_path, capsys, extra, message):
    try:
        code = main(["sample", "--chains", "1", "--steps", "4", "--burn-in", "0",
                     "--out", str(tmp_path / "x.npz"), *extra])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_train_accepts_the_hopping_form():
    args = build_parser().parse_args(["train", "--data", "phi4", "--kappa", "0.27", "--coupling", "0.022",
                                      "--num-samples", "64", "--valid", "16", "--batch", "16"])
    spec = spec_from_args(args)
    assert spec.data.mass2 == pytest.approx((1 - 2 * 0.022) / 0.27 - 4)
    assert spec.data.coupling == pytest.approx(0.022 / 0.27**2)
    default = spec_from_args(build_parser().parse_args(["train", "--data", "phi4", "--num-samples", "64",
                                                        "--valid", "16", "--batch", "16"]))
    assert default.data.coupling == 3.0 and default.data.mass2 is None


@pytest.mark.parametrize("extra", [["--data", "gff", "--kappa", "0.27", "--coupling", "0.02"],
                                   ["--data", "phi4", "--kappa", "0.27"],
                                   ["--data", "phi4", "--kappa", "0.27", "--coupling", "0.02", "--mass2", "-4"]])
def test_train_refuses_a_half_hopping_form(tmp_path, capsys, extra):
    code = main(["train", "--steps", "1", "--out", str(tmp_path / "t.npz"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and "--kappa" in err and len(err.strip().splitlines()) == 1
