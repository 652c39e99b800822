"""Data the pages start from: the shipped image as a lattice field, φ⁴
configurations from the samplers, and which denoisers are available."""

from __future__ import annotations

import importlib

import numpy as np
from PIL import Image

from idf.io import ASSETS

IMAGE = ASSETS / "idf_pattern.png"


def image_field(size: int) -> np.ndarray:
    """The shipped image (``assets/make_image.py``) resized to [size, size],
    standardised to zero mean and unit variance per site (float64)."""
    img = Image.open(IMAGE).convert("L").resize((size, size), Image.Resampling.BILINEAR)
    x = np.asarray(img, np.float64)
    return (x - x.mean()) / (x.std() + 1e-12)


def samplers_available() -> bool:
    """True once ``idf.samplers`` (HMC etc.) can be imported."""
    try:
        module = importlib.import_module("idf.samplers")
    except ImportError:
        return False
    return hasattr(module, "run_chains") and "hmc" in getattr(module, "SAMPLERS", {})


def unet_checkpoint() -> dict | None:
    """The first valid U-Net checkpoint shipped in ``assets/`` (as listed by
    ``idf.models.shipped_checkpoints``: ``path``, ``name``, ``data``,
    ``training``, ``model``, ``schedule``), or None: then the U-Net is not offered."""
    try:
        models = importlib.import_module("idf.models")
        entries = models.shipped_checkpoints()
    except Exception:  # noqa: BLE001 - a broken or missing models package just hides the option
        return None
    valid = [e for e in entries if "error" not in e]
    return valid[0] if valid else None
