"""Data the pages start from: the shipped image as a lattice field and the
shipped U-Net checkpoint, if any."""

from __future__ import annotations

import numpy as np
from PIL import Image

from idf.io import ASSETS
from idf.models import shipped_checkpoints

IMAGE = ASSETS / "idf_pattern.png"


def image_field(size: int) -> np.ndarray:
    """The shipped image (``assets/make_image.py``) resized to [size, size],
    standardised to zero mean and unit variance per site (float64)."""
    img = Image.open(IMAGE).convert("L").resize((size, size), Image.Resampling.BILINEAR)
    x = np.asarray(img, np.float64)
    return (x - x.mean()) / (x.std() + 1e-12)


def unet_checkpoint() -> dict | None:
    """The first valid U-Net checkpoint shipped in ``assets/`` (as listed by
    ``idf.models.shipped_checkpoints``: ``path``, ``name``, ``data``,
    ``training``, ``model``, ``schedule``), or None: then the U-Net is not offered."""
    valid = [e for e in shipped_checkpoints() if "error" not in e]
    return valid[0] if valid else None
