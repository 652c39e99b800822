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


_lowerings = [0]  # programs lowered to MLIR in this process (a jax.monitoring listener counts them)
_released_at = [0]
_listening = [False]
_LOWERING_EVENT = "/jax/core/compile/jaxpr_to_mlir_module_duration"


def _count_lowering(event: str, _duration: float, **_: object) -> None:
    if event == _LOWERING_EVENT:
        _lowerings[0] += 1


def count_lowerings() -> int:
    """Programs lowered to MLIR in this process since the first call (registers a listener)."""
    if not _listening[0]:
        _listening[0] = True
        import jax

        jax.monitoring.register_event_duration_secs_listener(_count_lowering)
    return _lowerings[0]


def release_lowerings(trim: bool = False) -> int:
    """Drop JAX's in-memory cache of lowered programs (the MLIR modules, each with its own MLIR
    context, kept for a later ``.lower()``), not the compiled programs: a jitted function called
    again with a signature it has seen runs its compiled program from JAX's C++ dispatch cache,
    which holds it without the lowering. On jaxlib 0.10 (CPU) a small program's lowering holds
    about 2.2 MB and its compiled program 0.65 MB (larger programs hold more of both): the app
    after its full warm-up takes 2.66 GB instead of 3.62 GB (jax 0.12 needs less: 0.76 MB in all
    for the small program, little of it the lowering). A signature that is new, or evicted from
    that dispatch cache, is lowered again (and its XLA program read from the persistent cache, or
    compiled). ``trim``: also
    give the freed heap back to the system (``malloc_trim``, ~0.1 s on a 2.5 GB heap, during which
    other threads' allocations wait; without it the freed memory is reused by later allocations).
    Returns the entries dropped; 0 on a JAX without these caches (their names are JAX's internals)."""
    try:
        from jax._src import pjit
        from jax._src.interpreters import pxla
    except ImportError:  # a JAX laid out otherwise: keep everything, never fail a page run
        return 0

    dropped = 0
    for cache in (getattr(pjit, "_pjit_lower", None), getattr(pxla, "_cached_lowering_to_hlo", None)):
        if cache is None or not hasattr(cache, "cache_clear"):
            continue
        info = cache.cache_info() if hasattr(cache, "cache_info") else None
        dropped += getattr(info, "currsize", 0) or 0
        cache.cache_clear()
    _released_at[0] = _lowerings[0]
    if trim:  # (no gc.collect: the entries are freed as they drop; a full collection takes ~1 s here)
        _trim_heap()
    return dropped


def _trim_heap() -> None:
    """Give freed heap pages back to the system (glibc's ``malloc_trim``; elsewhere nothing): the
    contexts are many small blocks, which ``free`` keeps in the heap, counted in the RSS."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def release_new_lowerings() -> int:
    """``release_lowerings`` when something was lowered since the last release, else nothing (cheap:
    meant for the end of every page run). The first call, before any count, always releases."""
    if not _listening[0]:
        count_lowerings()
        return release_lowerings()
    return release_lowerings() if _lowerings[0] > _released_at[0] else 0
