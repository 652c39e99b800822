"""Streamlit glue shared by every page: URL-bound controls (``Controls``), the
sidebar status block, cached compute wrappers, downloads and the
reproduce-in-Python snippet. The math lives in ``idf``; the figures in
``idf.viz``."""

from idf.device import configure

configure()  # pages run without app.py under streamlit.testing: same JAX set-up

from idf.app import downloads, explain, snippet  # noqa: E402
from idf.app.params import Controls  # noqa: E402
from idf.app.sidebar import device_label, status, versions  # noqa: E402
from idf.app.timing import Timing, timed  # noqa: E402

__all__ = [
    "Controls", "Timing", "device_label", "downloads", "explain", "snippet", "status", "timed",
    "versions",
]
