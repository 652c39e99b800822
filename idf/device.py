"""Backend set-up for the app and the CLI: GPU memory sharing and the
persistent compilation cache.

JAX picks the GPU by itself when it sees one. We only make it share: the
``XLA_PYTHON_CLIENT_PREALLOCATE=false`` default must be set before JAX starts
its backend, so ``configure`` is called at the top of app.py and of the CLI.
"""

from __future__ import annotations

import os
from pathlib import Path

_configured = False


def configure(cache_dir: str | os.PathLike | None = None) -> None:
    """Turn off GPU memory preallocation (unless the user set it) and, when
    asked, turn on JAX's persistent compilation cache in ``cache_dir`` or
    ``$IDF_COMPILE_CACHE`` (a directory), so a restarted app does not compile
    its default views again. Idempotent.

    The cache is opt-in: once, in a full test run sharing a cache directory
    with concurrent processes, a Langevin chain came back equal to the MALA
    chain compiled just before it. We could not reproduce it, so correctness
    wins over start-up time until it is understood (see the README).
    """
    global _configured
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if _configured:
        return
    _configured = True
    import jax

    where = cache_dir if cache_dir is not None else os.environ.get("IDF_COMPILE_CACHE", "0")
    if str(where) in ("0", ""):
        return
    path = Path(where).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: run without the cache
    try:
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    except AttributeError:  # an older JAX without these options: run without the cache
        pass

