"""Checkpoints: exact round trip, and a clear CheckpointError for every bad file."""

import json
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diffusion import make_schedule
from idf.io import CheckpointError, read_checkpoint, save_checkpoint
from idf.io.checkpoint import flatten_named, weights_hash
from idf.models import UNetConfig, UNetDenoiser, init_unet, load_denoiser, shipped_checkpoints

CONFIG = UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4, data_std=0.5)


def meta(config=CONFIG):
    return {"model": config.to_dict(), "schedule": {"name": "linear", "num_steps": 100},
            "data": {"target": "gff", "size": 8}, "training": {"step": 7, "loss": 0.25}}


@pytest.fixture(scope="module")
def model():
    return init_unet(jax.random.key(0), CONFIG)


@pytest.fixture
def good(tmp_path, model):
    path = tmp_path / "good.npz"
    save_checkpoint(path, UNetDenoiser.from_model(model).state, meta())
    return path


def test_round_trip_is_exact(good, model):
    den, info = load_denoiser(good)
    original = flatten_named(UNetDenoiser.from_model(model).state)
    loaded = flatten_named(den.state)
    assert original.keys() == loaded.keys() and "conv_in/kernel" in loaded
    for name in original:
        np.testing.assert_array_equal(original[name], loaded[name])
        assert original[name].dtype == loaded[name].dtype
    assert info["training"]["step"] == 7 and info["model"] == CONFIG.to_dict() and info["version"] == 1
    x = jax.random.normal(jax.random.key(1), (8, 8))
    ref = UNetDenoiser.from_model(model)
    np.testing.assert_array_equal(jax.jit(den.__call__)(x, 3, 0.5), jax.jit(ref.__call__)(x, 3, 0.5))
    make_schedule(**info["schedule"])  # the recorded schedule rebuilds
    listed = shipped_checkpoints(good.parent)
    assert listed[0]["name"] == "good" and listed[0]["training"]["step"] == 7


def _rewrite(src, dst, mutate):
    with np.load(src, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    mutate(arrays)
    np.savez(dst, **arrays)
    return dst


def test_truncated_and_garbage_files(good, tmp_path):
    data = good.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all" * 10)
    for name in ("cut.npz", "junk.npz"):
        with pytest.raises(CheckpointError, match="corrupt"):
            load_denoiser(tmp_path / name)
    with pytest.raises(CheckpointError, match="no such"):
        load_denoiser(tmp_path / "missing.npz")
    assert issubclass(CheckpointError, ValueError)


def test_pickle_bearing_npz_is_refused(good, tmp_path):
    path = tmp_path / "pickled.npz"
    with np.load(good, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["params/evil"] = np.array([{"a": 1}], dtype=object)  # would need pickle to read
    np.savez(path, **arrays)
    with zipfile.ZipFile(path) as z:
        assert "params/evil.npy" in z.namelist()
    with pytest.raises(CheckpointError, match="pickle"):
        load_denoiser(path)


def test_altered_weights_wrong_format_and_mismatched_config(good, tmp_path):
    def bump(a):
        a["params/conv_in/kernel"] = a["params/conv_in/kernel"] + 1.0

    with pytest.raises(CheckpointError, match="sha256"):
        load_denoiser(_rewrite(good, tmp_path / "a.npz", bump))

    def wrong_format(a):
        m = json.loads(str(a["meta_json"]))
        a["meta_json"] = np.asarray(json.dumps(dict(m, format="something-else")))

    with pytest.raises(CheckpointError, match="format"):
        read_checkpoint(_rewrite(good, tmp_path / "b.npz", wrong_format))

    def future(a):
        m = json.loads(str(a["meta_json"]))
        a["meta_json"] = np.asarray(json.dumps(dict(m, version=99)))

    with pytest.raises(CheckpointError, match="version 99"):
        read_checkpoint(_rewrite(good, tmp_path / "c.npz", future))
    with pytest.raises(CheckpointError, match="meta_json"):
        read_checkpoint(_rewrite(good, tmp_path / "d.npz", lambda a: a.pop("meta_json")))

    # Weights saved for a wider network, labelled with this config (hash recomputed).
    wide = init_unet(jax.random.key(0), UNetConfig(**{**CONFIG.to_dict(), "base_channels": 16}))
    path = tmp_path / "e.npz"
    save_checkpoint(path, UNetDenoiser.from_model(wide).state, meta(CONFIG))
    with pytest.raises(CheckpointError, match="shape"):
        load_denoiser(path)

    def nan(a):
        a["params/conv_in/bias"] = np.full_like(a["params/conv_in/bias"], np.nan)
        m = json.loads(str(a["meta_json"]))
        rest = {k: v for k, v in a.items() if k != "meta_json"}
        a["meta_json"] = np.asarray(json.dumps(dict(m, weights_sha256=weights_hash(rest))))

    with pytest.raises(CheckpointError, match="NaN"):
        load_denoiser(_rewrite(good, tmp_path / "f.npz", nan))
    assert jnp.isfinite(load_denoiser(good)[0].state["conv_in"]["bias"][...]).all()
