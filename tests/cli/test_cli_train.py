"""``idf train`` and ``idf evaluate``: bad arguments exit 2 in one line; tiny
end-to-end runs (slow) of each model and loss write checkpoints that load,
sample and evaluate."""

import jax
import jax.numpy as jnp
import pytest

from idf.cli import main
from idf.diffusion import make_schedule, sample
from idf.models import EnergyNetDenoiser, load_denoiser

TINY = [
    "--size",
    "8",
    "--num-samples",
    "128",
    "--valid",
    "32",
    "--batch",
    "32",
    "--num-steps",
    "50",
    "--base-channels",
    "8",
    "--time-dim",
    "16",
    "--groups",
    "4",
    "--eval-samples",
    "0",
    "--no-progress",
]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--size", "7"], "divisible by 2"),
        (["train", "--channel-mults", "1,x"], "channel-mults"),
        (["train", "--valid", "200", "--num-samples", "100"], "--valid"),
        (["train", "--batch", "4096", "--num-samples", "1000", "--valid", "100"], "--batch"),
        (["evaluate", "--checkpoint", "/nonexistent.npz"], "no such checkpoint"),
        (["train", "--model", "energy", "--loss", "hybrid"], "--loss hybrid needs --model unet"),
        (["train", "--vlb-weight", "0.01"], "--vlb-weight applies to --loss hybrid only"),
        (["train", "--depth", "2"], "--depth applies to --model energy only"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_evaluate_refuses_a_non_checkpoint(tmp_path, capsys):
    path = tmp_path / "x.npz"
    path.write_bytes(b"\x80\x04junk")
    assert main(["evaluate", "--checkpoint", str(path)]) == 2
    assert "pickle" in capsys.readouterr().err


@pytest.mark.slow
def test_train_then_evaluate_end_to_end(tmp_path, capsys):
    out = str(tmp_path / "m.npz")
    assert main(["train", *TINY, "--steps", "4", "--seed", "3", "--out", out]) == 0
    den, info = load_denoiser(out)
    assert info["training"]["step"] == 4 and info["has_optimizer"] and info["data"]["target"] == "gff"
    assert info["training"]["args"]["seed"] == 3 and info["model"]["data_std"] > 0
    # resume to 6 steps
    assert main(["train", *TINY, "--steps", "6", "--seed", "3", "--resume", out, "--out", out, "--slim"]) == 0
    den, info = load_denoiser(out)
    assert info["training"]["step"] == 6 and not info["has_optimizer"]
    assert (
        main(["evaluate", "--checkpoint", out, "--n", "64", "--inference-steps", "5", "--out", str(tmp_path / "e.npz")])
        == 0
    )
    assert "U-Net : Fourier KL" in capsys.readouterr().out
    assert jax.tree_util.tree_leaves(den.state)


@pytest.mark.slow
@pytest.mark.parametrize(
    "options, kind",
    [(["--loss", "hybrid", "--vlb-weight", "0.01"], "unet"), (["--model", "energy", "--depth", "2"], "energy")],
)
def test_hybrid_and_energy_runs_write_checkpoints_that_sample(tmp_path, capsys, options, kind):
    out = str(tmp_path / "m.npz")
    assert main(["train", *TINY, *options, "--steps", "3", "--out", out]) == 0
    den, info = load_denoiser(out)
    assert info["model_kind"] == kind and info["training"]["step"] == 3
    if kind == "unet":
        assert den.learns_variance and info["model"]["learn_sigma"]
        assert info["training"]["objective"] == {"loss": "hybrid", "vlb_weight": 0.01}
    else:
        assert isinstance(den, EnergyNetDenoiser) and info["model"]["depth"] == 2
        assert info["training"]["objective"] == {"loss": "eps_mse", "vlb_weight": None}
    schedule = make_schedule(**info["schedule"])
    for method in ("ddpm", "ddim"):
        res = sample(jax.random.key(0), den, schedule, (8, 8), 8, inference_steps=10, solver=method)
        assert bool(jnp.all(jnp.isfinite(res.samples)))
    assert main(["evaluate", "--checkpoint", out, "--n", "64", "--inference-steps", "5"]) == 0
    assert "Fourier KL" in capsys.readouterr().out
    assert main(["evaluate", "--checkpoint", out, "--n", "64", "--inference-steps", "5", "--method", "ddpm"]) == 0
    assert "5 DDPM steps" in capsys.readouterr().out


def test_training_on_your_own_fields_from_a_file(tmp_path, capsys):
    import numpy as np

    from idf.energy import GaussianFreeField
    from idf.io import load_npz

    fields = np.asarray(GaussianFreeField(1.0).sample_exact(jax.random.key(0), (8, 8), 160), np.float32)
    data = tmp_path / "mine.npy"
    np.save(data, fields)
    out = str(tmp_path / "m.npz")
    small = ["--num-steps", "50", "--base-channels", "8", "--time-dim", "16", "--groups", "4", "--no-progress"]
    argv = ["train", "--data", "file", "--data-file", str(data), "--batch", "32", "--steps", "3", *small]
    assert main([*argv, "--out", out]) == 0
    den, info = load_denoiser(out)
    assert info["data"]["target"] == "file" and info["data"]["count"] == 160 and info["data"]["size"] == 8
    assert len(info["data"]["sha256"]) == 64 and info["training"]["step"] == 3
    res = sample(jax.random.key(1), den, make_schedule(**info["schedule"]), (8, 8), 4, inference_steps=5)
    assert bool(jnp.all(jnp.isfinite(res.samples)))
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", out]) == 2
    err = capsys.readouterr().err
    assert "no exact reference" in err and "idf generate" in err
    # idf generate draws from it (DDIM η = 0.5) and records what it was trained on
    gen = tmp_path / "g.npz"
    assert main(["generate", "--checkpoint", out, "--n", "32", "--inference-steps", "10", "--eta", "0.5",
                 "--out", str(gen)]) == 0
    arrays, config = load_npz(gen)
    assert arrays["samples"].shape == (32, 8, 8) and np.all(np.isfinite(arrays["samples"]))
    assert config["checkpoint_info"]["data"]["target"] == "file" and config["checkpoint_info"]["data"]["file"] == \
        "mine.npy"
    assert config["eta"] == 0.5 and config["checkpoint_info"]["schedule"]["num_steps"] == 50
    # refusals: a pickle-bearing file, a missing file, and the flags apart
    evil = tmp_path / "evil.npz"
    np.savez(evil, fields=np.array([{"a": 1}], dtype=object))
    for bad, needle in ((["--data", "file", "--data-file", str(evil)], "pickle"),
                        (["--data", "file", "--data-file", str(tmp_path / "none.npy")], "--data-file"),
                        (["--data-file", str(data)], "go together")):
        assert main(["train", *bad, *small, "--out", out]) == 2
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
