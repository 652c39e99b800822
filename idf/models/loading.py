"""Loading trained denoisers for the app and the command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jax
from flax import nnx

from idf.models.denoiser import UNetDenoiser
from idf.models.unet import UNetConfig, init_unet

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def load_denoiser(path: str | os.PathLike) -> tuple[UNetDenoiser, dict[str, Any]]:
    """(denoiser, info) from a checkpoint written by ``idf train``.

    The denoiser holds the sampling (EMA) weights and plugs into
    ``idf.diffusion.sample``. ``info`` is the checkpoint's meta: ``model``
    (UNetConfig fields), ``schedule`` (``make_schedule`` arguments — sample with
    that schedule), ``data`` (what it was trained on), ``training`` (step,
    loss, seed, command, device, wall time, evaluation) and ``path``.
    Raises ``idf.training.CheckpointError`` (a ValueError) on any bad file.
    """
    from idf.training.checkpoint import (  # noqa: PLC0415 - training imports models
        CheckpointError,
        read_checkpoint,
        split_groups,
        unflatten_named,
    )

    arrays, meta = read_checkpoint(path)
    try:
        config = UNetConfig.from_dict(meta["model"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: bad model config ({err})") from err
    model = nnx.eval_shape(lambda: init_unet(jax.random.key(0), config))
    graphdef, template = nnx.split(model)
    state = unflatten_named(template, split_groups(arrays)["params"], f"{path}: weights")
    info = dict(meta, path=str(path))
    return UNetDenoiser(state=state, graphdef=graphdef), info


def shipped_checkpoints(directory: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Checkpoints in ``assets/`` (or ``directory``), sorted by name: one dict
    each with ``path``, ``name`` (file stem), ``data`` and ``training`` from
    its meta and ``size_bytes``. Files that are not valid checkpoints are
    listed with an ``error`` field instead, so a page can say why."""
    from idf.training.checkpoint import CheckpointError, read_checkpoint  # noqa: PLC0415

    root = Path(directory) if directory is not None else ASSETS
    out = []
    for path in sorted(root.glob("*.npz")):
        entry: dict[str, Any] = {"path": str(path), "name": path.stem, "size_bytes": path.stat().st_size}
        try:
            _, meta = read_checkpoint(path)
            entry.update(data=meta["data"], training=meta["training"], model=meta["model"], schedule=meta["schedule"])
        except CheckpointError as err:
            entry["error"] = str(err)
        out.append(entry)
    return out
