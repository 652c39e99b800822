"""What every page's compute shares: the frame cap of an animation, a count of
computations that really ran (not served from Streamlit's cache), and mean ± s.d.
over a batch."""

from __future__ import annotations

import numpy as np

MAX_FRAMES = 60
_calls = {"count": 0}


def calls() -> int:
    """How many cached computations actually ran (not served from cache)."""
    return _calls["count"]


def ran() -> None:
    _calls["count"] += 1


def mean_sd(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step mean and s.d. over the batch axis (axis 1) of [steps, batch] values."""
    v = np.asarray(values, np.float64)
    return v.mean(axis=1), v.std(axis=1)
