"""``idf train`` and ``idf evaluate``: bad arguments exit 2 in one line; a tiny
end-to-end run (slow) writes a checkpoint that loads and evaluates."""

import jax
import pytest

from idf.cli import main
from idf.models import load_denoiser

TINY = ["--size", "8", "--num-samples", "128", "--valid", "32", "--batch", "32", "--num-steps", "50",
        "--base-channels", "8", "--time-dim", "16", "--groups", "4", "--eval-samples", "0", "--no-progress"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--size", "7"], "divisible by 2"),
        (["train", "--channel-mults", "1,x"], "channel-mults"),
        (["train", "--valid", "200", "--num-samples", "100"], "--valid"),
        (["train", "--batch", "4096", "--num-samples", "1000", "--valid", "100"], "--batch"),
        (["evaluate", "--checkpoint", "/nonexistent.npz"], "no such checkpoint"),
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
    assert main(["evaluate", "--checkpoint", out, "--n", "64", "--inference-steps", "5",
                 "--out", str(tmp_path / "e.npz")]) == 0
    assert "U-Net : Fourier KL" in capsys.readouterr().out
    assert jax.tree_util.tree_leaves(den.state)
