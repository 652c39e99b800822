"""``idf generate`` draws samples [n, L, L] from both shipped checkpoints (one
trained here on a small user-field file: tests/cli/test_cli_train.py), and
``idf evaluate --out`` holds the samples its help promises."""

import numpy as np

from idf.cli import main
from idf.diagnostics import reverse_output_variance
from idf.diffusion import make_schedule, step_table
from idf.energy import GaussianFreeField
from idf.io import ASSETS, load_npz


def _generate(tmp_path, checkpoint, *extra):
    out = tmp_path / "g.npz"
    assert main(["generate", "--checkpoint", str(checkpoint), "--out", str(out), *extra]) == 0
    return load_npz(out)


def test_generate_from_the_shipped_gff_checkpoint(tmp_path, capsys):
    """The GFF U-Net's samples: shape, config, no divergence, and a site variance
    that matches the exact 50-step DDIM loop's C(0) = mean_k v_k = 0.228 (the
    target's is 0.254) within 5 SE (SE from the n per-field means of x²)."""
    arrays, config = _generate(tmp_path, ASSETS / "gff8_unet.npz", "--n", "256", "--seed", "3")
    x = arrays["samples"]
    assert x.shape == (256, 8, 8) and np.all(np.isfinite(x)) and np.all(arrays["diverged"] == -1)
    assert config["n"] == 256 and config["method"] == "ddim" and config["inference_steps"] == 50
    info = config["checkpoint_info"]
    assert info["data"]["target"] == "gff" and info["model_kind"] == "unet"
    schedule = make_schedule(**info["schedule"])
    ab, ab_prev = step_table(schedule, arrays["timesteps"])
    power = np.asarray(GaussianFreeField(mass2=1.0).covariance_spectrum((8, 8)), np.float64)
    c0 = float(np.mean(reverse_output_variance(power, ab, ab_prev, method="ddim", eta=0.0)))
    per_field = np.mean(np.asarray(x, np.float64) ** 2, axis=(1, 2))
    assert abs(per_field.mean() - c0) < 5 * per_field.std(ddof=1) / np.sqrt(len(x)), (per_field.mean(), c0)
    assert "trained on GFF" in capsys.readouterr().out


def test_generate_from_the_shipped_phi4_checkpoint_with_ddpm(tmp_path):
    """φ⁴ broken phase (m² = −4, λ = 3): ⟨|m|⟩ of the U-Net is 0.684 ± 0.001 at
    n = 4096 (assets/README.md); here n = 256 with DDPM, allowed 5 of its SE."""
    arrays, config = _generate(tmp_path, ASSETS / "phi4_broken8_unet.npz", "--n", "256", "--method", "ddpm",
                               "--inference-steps", "50", "--seed", "1")
    x = arrays["samples"]
    assert x.shape == (256, 8, 8) and np.all(np.isfinite(x)) and config["checkpoint_info"]["data"]["target"] == "phi4"
    abs_m = np.abs(x.mean(axis=(1, 2)))
    assert abs(abs_m.mean() - 0.684) < 5 * abs_m.std(ddof=1) / np.sqrt(len(x)), abs_m.mean()
    assert arrays["timesteps"].shape == (50,)


def test_generate_refuses_eta_with_ddpm(tmp_path, capsys):
    argv = ["generate", "--checkpoint", str(ASSETS / "gff8_unet.npz"), "--method", "ddpm", "--eta", "0.5",
            "--out", str(tmp_path / "g.npz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--eta applies to --method ddim only" in err and len(err.strip().splitlines()) == 1


def test_evaluate_out_holds_the_samples(tmp_path):
    """The help says the .npz has the samples: the model's [n, L, L] and the exact denoiser's."""
    out = tmp_path / "e.npz"
    argv = ["evaluate", "--checkpoint", str(ASSETS / "gff8_unet.npz"), "--n", "64", "--inference-steps", "5",
            "--out", str(out)]
    assert main(argv) == 0
    arrays, config = load_npz(out)
    assert arrays["samples"].shape == (64, 8, 8) and arrays["samples_exact"].shape == (64, 8, 8)
    assert np.all(np.isfinite(arrays["samples"])) and "kl_model" in arrays and config["n"] == 64
