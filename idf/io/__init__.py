"""Files in and out, with no pickle anywhere: result files (``results``),
model checkpoints (``checkpoint``) and fields a person uploads (``uploads``).

    results     save_npz / load_npz: arrays + the run's configuration as JSON
    checkpoint  save_checkpoint / read_checkpoint: versioned, hashed weights
    uploads     read_fields: an uploaded .npy/.npz/PNG/JPEG as fields [N, L, L]

``ASSETS`` is the folder of shipped checkpoints and images. This package
needs only numpy, JAX's tree utilities and Pillow: every layer above it
(models, training, the CLI, the app) may import it.
"""

from pathlib import Path

from idf.io.checkpoint import (
    FORMAT,
    VERSION,
    CheckpointError,
    flatten_named,
    read_checkpoint,
    save_checkpoint,
    split_groups,
    unflatten_named,
    weights_hash,
)
from idf.io.results import load_npz, save_npz
from idf.io.uploads import UploadError, detect_format, fit_field, read_fields, standardise

ASSETS = Path(__file__).resolve().parents[2] / "assets"

__all__ = [
    "ASSETS",
    "FORMAT",
    "VERSION",
    "CheckpointError",
    "UploadError",
    "detect_format",
    "fit_field",
    "flatten_named",
    "load_npz",
    "read_checkpoint",
    "read_fields",
    "save_checkpoint",
    "save_npz",
    "split_groups",
    "standardise",
    "unflatten_named",
    "weights_hash",
]
