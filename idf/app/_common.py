"""What every page's compute shares: the frame cap of an animation, a count of
computations that really ran (not served from Streamlit's cache), mean ± s.d.
over a batch, and the share of steps on which a curve rises."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

MAX_FRAMES = 60
_calls = {"count": 0}


class MeanSd(NamedTuple):
    """Per-step mean and standard deviation over a batch, [steps] each (``idf.viz``
    draws a (mean, sd) pair as a line with a band)."""

    mean: np.ndarray
    sd: np.ndarray


def calls() -> int:
    """How many cached computations actually ran (not served from cache)."""
    return _calls["count"]


def ran() -> None:
    _calls["count"] += 1


def mean_sd(values: np.ndarray) -> MeanSd:
    """Per-step mean and s.d. over the batch axis (axis 1) of [steps, batch] values."""
    v = np.asarray(values, np.float64)
    return MeanSd(v.mean(axis=1), v.std(axis=1))


def rise_share(values: np.ndarray, tol: float = 0.0) -> float:
    """The share of steps on which ``values`` [steps] rises by more than ``tol``."""
    return float(np.mean(np.diff(np.asarray(values, np.float64)) > tol))
