"""Building networks from their configs, and loading trained denoisers for the
app and the command line.

Two model kinds, recorded as ``model_kind`` in a checkpoint's meta (absent in
files written before the energy network could be trained: those are U-Nets):

    "unet"    ``UNetConfig``      → ``UNet``      → ``UNetDenoiser``
    "energy"  ``EnergyNetConfig`` → ``EnergyNet`` → ``EnergyNetDenoiser``
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jax
from flax import nnx

from idf.io import ASSETS, CheckpointError, read_checkpoint, split_groups, unflatten_named
from idf.models.denoiser import EnergyNetDenoiser, UNetDenoiser, denoiser_from_state
from idf.models.energy_net import EnergyNetConfig, init_energy_net
from idf.models.unet import UNetConfig, init_unet

MODEL_KINDS = ("unet", "energy")
ModelConfig = UNetConfig | EnergyNetConfig


def model_kind(config: ModelConfig) -> str:
    """The kind a checkpoint records for ``config``: "unet" or "energy"."""
    return "energy" if isinstance(config, EnergyNetConfig) else "unet"


def config_from_dict(kind: str, data: dict[str, Any]) -> ModelConfig:
    """The config of a model ``kind`` from its ``to_dict``; ValueError on a bad kind or field."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}: choose one of {', '.join(MODEL_KINDS)}")
    return (UNetConfig if kind == "unet" else EnergyNetConfig).from_dict(data)


def init_model(key: jax.Array, config: ModelConfig) -> nnx.Module:
    """A freshly initialised network of the kind ``config`` describes."""
    if isinstance(config, EnergyNetConfig):
        return init_energy_net(key, config)
    return init_unet(key, config)


def load_denoiser(path: str | os.PathLike) -> tuple[UNetDenoiser | EnergyNetDenoiser, dict[str, Any]]:
    """(denoiser, info) from a checkpoint written by ``idf train``.

    The denoiser holds the sampling (EMA) weights and plugs into
    ``idf.diffusion.sample``: a ``UNetDenoiser`` (with ``learns_variance`` when
    trained with the hybrid loss) or, for ``model_kind = "energy"``, an
    ``EnergyNetDenoiser``. ``info`` is the checkpoint's meta: ``model_kind``
    (filled in as "unet" for older files), ``model`` (the config fields),
    ``schedule`` (``make_schedule`` arguments — sample with that schedule),
    ``data`` (what it was trained on), ``training`` (step, loss, seed, command,
    device, wall time, evaluation) and ``path``.
    Raises ``idf.io.CheckpointError`` (a ValueError) on any bad file.
    """
    arrays, meta = read_checkpoint(path)
    kind = meta.get("model_kind", "unet")
    try:
        config = config_from_dict(kind, meta["model"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: bad model config ({err})") from err
    model = nnx.eval_shape(lambda: init_model(jax.random.key(0), config))
    graphdef, template = nnx.split(model)
    state = unflatten_named(template, split_groups(arrays)["params"], f"{path}: weights")
    info = dict(meta, model_kind=kind, path=str(path))
    return denoiser_from_state(graphdef, state), info


def shipped_checkpoints(directory: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Checkpoints in ``assets/`` (or ``directory``), sorted by name: one dict
    each with ``path``, ``name`` (file stem), ``data``, ``training``, ``model``,
    ``model_kind``, ``schedule`` from its meta and ``size_bytes``. Files that are
    not valid checkpoints are listed with an ``error`` field instead, so a page
    can say why."""
    root = Path(directory) if directory is not None else ASSETS
    out = []
    for path in sorted(root.glob("*.npz")):
        entry: dict[str, Any] = {"path": str(path), "name": path.stem, "size_bytes": path.stat().st_size}
        try:
            _, meta = read_checkpoint(path)
            entry.update(
                data=meta["data"],
                training=meta["training"],
                model=meta["model"],
                model_kind=meta.get("model_kind", "unet"),
                schedule=meta["schedule"],
            )
        except CheckpointError as err:
            entry["error"] = str(err)
        out.append(entry)
    return out
