"""JAX settings for the app process, applied once when ``idf.ui`` is imported.

A persistent compilation cache (``~/.cache/idf-explorer/jax``, or
``$IDF_COMPILE_CACHE``; set it to ``0`` to switch off) makes a restarted app
reuse the XLA executables of the previous run: the first chart of a fresh
server appears without recompiling the diffusion loops.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax


def configure() -> None:
    where = os.environ.get("IDF_COMPILE_CACHE", str(Path.home() / ".cache" / "idf-explorer" / "jax"))
    if where in ("0", ""):
        return
    try:
        Path(where).mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", where)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    except (OSError, AttributeError):  # read-only home or an older JAX: run without the cache
        pass
