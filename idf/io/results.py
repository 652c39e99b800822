"""Result files: ``.npz`` with the arrays and the run's full configuration as
JSON (array ``config_json``). Read back without pickle."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np


def save_npz(path: str | os.PathLike, arrays: dict[str, Any], config: dict[str, Any]) -> None:
    """Write ``arrays`` and ``config`` (JSON-serialisable) to a compressed .npz."""
    payload = {name: np.asarray(value) for name, value in arrays.items()}
    payload["config_json"] = np.asarray(json.dumps(config, sort_keys=True))
    np.savez_compressed(path, **payload)


def load_npz(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a result file: (arrays, config). Refuses object arrays (pickle)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except ValueError as err:
        raise ValueError(f"{path}: not a plain .npz (object arrays need pickle, refused): {err}") from err
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: cannot be read as .npz ({err})") from err
    config = json.loads(str(arrays.pop("config_json"))) if "config_json" in arrays else {}
    return arrays, config
