"""Data the pages start from: the shipped image as a lattice field and the
shipped U-Net checkpoint, if any."""

from __future__ import annotations

import numpy as np
import streamlit as st
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


def checkpoints() -> list[dict]:
    """The checkpoints in ``assets/`` (``idf.models.shipped_checkpoints``), read and verified
    once per state of assets/*.npz (names, sizes, modification times). Uncached, every rerun
    of the Reverse page decompressed and hashed every file two or three times: ~0.1 s on a
    quiet machine, and the load test found ten sessions' script threads all waiting in it."""
    return _checkpoints(_fingerprint())


def _fingerprint() -> tuple:
    return tuple((p.name, st_.st_size, st_.st_mtime_ns) for p in sorted(ASSETS.glob("*.npz")) for st_ in [p.stat()])


@st.cache_data(max_entries=4, show_spinner=False)
def _checkpoints(fingerprint: tuple) -> list[dict]:
    return shipped_checkpoints()


def unet_checkpoint() -> dict | None:
    """The first valid U-Net checkpoint shipped in ``assets/`` (as listed by
    ``checkpoints``: ``path``, ``name``, ``data``, ``training``, ``model``,
    ``schedule``), or None: then the U-Net is not offered."""
    valid = [e for e in checkpoints() if "error" not in e]
    return valid[0] if valid else None
