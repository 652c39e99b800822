"""Backend set-up for the app and the CLI: GPU memory sharing and the
persistent compilation cache.

JAX picks the GPU by itself when it sees one. We only make it share: the
``XLA_PYTHON_CLIENT_PREALLOCATE=false`` default must be set before JAX starts
its backend, so ``configure`` is called at the top of app.py and of the CLI.

The persistent cache is on by default, in a per-user folder
(``$XDG_CACHE_HOME/idf/jax``, else ``~/.cache/idf/jax``). Why it is safe: JAX
keys an entry by a hash of the program itself (the lowered StableHLO with debug
info stripped, plus compile options, devices, backend and jax version), not by
Python names. Two samplers whose pytrees look alike (ULA and MALA: one traced
``step_size`` leaf, no static fields, same shapes) lower to different programs,
so they get different keys; within one process ``jax.jit`` keys by the pytree
definition, which holds the class. tests/test_compile_cache.py checks both,
in one process and in two processes sharing a cache folder.
"""

from __future__ import annotations

import os
from pathlib import Path

_configured = False


def default_cache_dir() -> Path:
    """The per-user cache folder (``$XDG_CACHE_HOME/idf/jax`` or ``~/.cache/idf/jax``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "idf" / "jax"


def configure(cache_dir: str | os.PathLike | None = None) -> None:
    """Turn off GPU memory preallocation (unless the user set it) and turn on
    JAX's persistent compilation cache in ``cache_dir``, else
    ``$IDF_COMPILE_CACHE`` (a folder; ``0`` turns the cache off), else
    ``default_cache_dir()``, so a restarted app does not compile its views
    again. Programs that compile in under ``$IDF_COMPILE_CACHE_MIN_SECS``
    (default 0.5 s) are not stored: reading one back costs about what compiling
    it does. Idempotent. A folder that cannot be created means no cache."""
    global _configured
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if _configured:
        return
    _configured = True
    import jax

    where = cache_dir if cache_dir is not None else os.environ.get("IDF_COMPILE_CACHE", str(default_cache_dir()))
    if str(where) in ("0", ""):
        return
    path = Path(where).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: run without the cache
    try:
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", _min_compile_secs())
    except AttributeError:  # an older JAX without these options: run without the cache
        pass


def _min_compile_secs() -> float:
    """``$IDF_COMPILE_CACHE_MIN_SECS`` as a number ≥ 0, else the default 0.5 s."""
    try:
        value = float(os.environ.get("IDF_COMPILE_CACHE_MIN_SECS", "0.5"))
    except ValueError:
        return 0.5
    return value if value >= 0 else 0.5
