"""Checkpoints: a safe, versioned ``.npz`` format — no pickle anywhere.

Layout of one file:

    meta_json            0-d unicode array: JSON with
                         format = "idf-unet-checkpoint" (the historical name,
                         for every model kind), version = 1,
                         model_kind ("unet" or "energy"; absent = "unet"),
                         model (its UNetConfig or EnergyNetConfig), schedule,
                         data, training (step, loss, objective, seed, command,
                         device, wall time …),
                         weights_sha256 (over every array below, name-sorted),
                         has_optimizer
    params/<path>        sampling weights (the EMA weights when EMA is on),
                         one float array per parameter, <path> the NNX path
                         joined with "/" (e.g. params/down/0/conv1/kernel)
    train/<path>         (resumable files only) the raw training weights
    opt/<path>           (resumable files only) the optax state leaves

Anything else — a missing or unknown format, a newer version, a pickled or
object array, a truncated zip, a hash mismatch, missing, extra or mis-shaped
weights — raises ``CheckpointError`` (a ``ValueError``) that says which.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

FORMAT = "idf-unet-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be trusted or does not fit the model."""


def _key_name(entry: Any) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(entry, attr):
            return str(getattr(entry, attr))
    return str(entry)


def flatten_named(tree: Any) -> dict[str, np.ndarray]:
    """{path name: array} for every leaf of a pytree; NNX ``.value`` wrappers
    are dropped from the names (``conv_in/kernel`` not ``conv_in/kernel/value``)."""
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        names = [_key_name(p) for p in path]
        if names and names[-1] == "value":
            names = names[:-1]
        out["/".join(names)] = np.asarray(leaf)
    return out


def unflatten_named(template: Any, arrays: dict[str, np.ndarray], what: str = "weights") -> Any:
    """The pytree ``template`` with its leaves replaced by ``arrays`` (by name).

    Raises CheckpointError on missing, extra or mis-shaped entries.
    """
    names = list(flatten_named(jax.tree_util.tree_map(lambda x: np.zeros((), np.int8), template)))
    leaves, treedef = jax.tree_util.tree_flatten(template)
    missing = [n for n in names if n not in arrays]
    extra = sorted(set(arrays) - set(names))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} (first: {missing[0]})")
        if extra:
            parts.append(f"unexpected {len(extra)} (first: {extra[0]})")
        raise CheckpointError(f"{what} do not match the model config: " + ", ".join(parts))
    new = []
    for name, leaf in zip(names, leaves, strict=True):
        value = arrays[name]
        if value.shape != np.shape(leaf):
            raise CheckpointError(f"{what}: {name} has shape {value.shape}, the model expects {np.shape(leaf)}")
        if not np.all(np.isfinite(value)) and np.issubdtype(value.dtype, np.floating):
            raise CheckpointError(f"{what}: {name} contains NaN or inf")
        new.append(jnp.asarray(value, dtype=jnp.result_type(leaf)))
    return jax.tree_util.tree_unflatten(treedef, new)


def weights_hash(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over names, dtypes, shapes and bytes, in sorted name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def save_checkpoint(
    path: str | os.PathLike,
    params: Any,
    meta: dict[str, Any],
    *,
    train_params: Any = None,
    opt_state: Any = None,
) -> int:
    """Write a checkpoint; returns its size in bytes. ``meta`` must hold
    ``model``, ``schedule``, ``data`` and ``training`` (JSON-serialisable);
    the format fields and the hash are added here. Writes to a temporary
    file and renames, so an interrupted save never leaves a half file."""
    arrays = {f"params/{k}": v for k, v in flatten_named(params).items()}
    resumable = train_params is not None and opt_state is not None
    if resumable:
        arrays.update({f"train/{k}": v for k, v in flatten_named(train_params).items()})
        arrays.update({f"opt/{k}": v for k, v in flatten_named(opt_state).items()})
    full = dict(meta, format=FORMAT, version=VERSION, has_optimizer=resumable, weights_sha256=weights_hash(arrays))
    path = os.fspath(path)
    tmp = path + ".tmp.npz"
    np.savez_compressed(tmp, meta_json=np.asarray(json.dumps(full, sort_keys=True)), **arrays)
    os.replace(tmp, path)
    return os.path.getsize(path)


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays by name, meta) after every format check that needs no model."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(6)
    except FileNotFoundError as err:
        raise CheckpointError(f"{path}: no such checkpoint file") from err
    except OSError as err:
        raise CheckpointError(f"{path}: cannot be read ({err})") from err
    if magic.startswith(b"\x93NUMPY"):
        raise CheckpointError(f"{path}: a bare .npy array, not an idf checkpoint (.npz)")
    if magic[:1] == b"\x80":
        raise CheckpointError(f"{path}: a Python pickle, refused (checkpoints never need pickle)")
    if not magic.startswith(b"PK"):
        raise CheckpointError(f"{path}: not an .npz (zip) file: corrupt or some other format")
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise CheckpointError(
                f"{path}: holds pickled object arrays; refused (checkpoints never need pickle)"
            ) from err
        raise CheckpointError(f"{path}: not a readable .npz ({err})") from err
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise CheckpointError(f"{path}: corrupt or truncated .npz ({type(err).__name__}: {err})") from err
    if "meta_json" not in arrays:
        raise CheckpointError(f"{path}: no meta_json entry, so not an idf checkpoint")
    try:
        meta = json.loads(str(arrays.pop("meta_json")))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: meta_json is not valid JSON ({err})") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise CheckpointError(f"{path}: format {found!r} is not {FORMAT!r}")
    version = meta.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise CheckpointError(f"{path}: format version {version!r} not supported (this idf reads 1…{VERSION})")
    for field in ("model", "schedule", "data", "training"):
        if not isinstance(meta.get(field), dict):
            raise CheckpointError(f"{path}: meta_json lacks the {field!r} section")
    if weights_hash(arrays) != meta.get("weights_sha256"):
        raise CheckpointError(f"{path}: weights do not match their recorded sha256 (file altered or corrupt)")
    return arrays, meta


def split_groups(arrays: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """{"params": {...}, "train": {...}, "opt": {...}} with prefixes stripped."""
    groups: dict[str, dict[str, np.ndarray]] = {"params": {}, "train": {}, "opt": {}}
    for name, value in arrays.items():
        prefix, _, rest = name.partition("/")
        if prefix not in groups or not rest:
            raise CheckpointError(f"unexpected array {name!r} in checkpoint")
        groups[prefix][rest] = value
    return groups
