"""Backend set-up for the app and the CLI: GPU memory sharing and the
persistent compilation cache.

JAX picks the GPU by itself when it sees one. We only make it share: the
``XLA_PYTHON_CLIENT_PREALLOCATE=false`` default must be set before JAX starts
its backend, so ``configure`` is called at the top of app.py and of the CLI.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get("IDF_CACHE_DIR", Path.home() / ".cache" / "idf" / "jax"))


def configure(cache_dir: str | os.PathLike | None = None) -> None:
    """Turn off GPU memory preallocation (unless the user set it) and turn on
    JAX's persistent compilation cache, so a restarted app does not compile
    its default views again. Safe to call more than once."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax

    path = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: run without the cache
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def describe() -> str:
    """'GPU: NVIDIA H100 …' or 'CPU: cpu', for display."""
    import jax

    device = jax.devices()[0]
    return f"{device.platform.upper()}: {device.device_kind} ×{jax.device_count()}"
