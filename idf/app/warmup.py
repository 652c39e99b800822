"""Warm every page's default view, then every count and shape value, in the server process.

The first visitor of a fresh server otherwise waits for XLA to compile the
loops behind the view they open. ``start()`` runs ``run`` on a daemon thread,
once per process: ``python -m idf.app.serve`` calls it as the server starts
(so a server left alone is warm before anyone visits) and app.py calls it too
(for ``streamlit run app.py``; the second call does nothing).

Two phases:
1. *views*: each page's default view, computed through the very
   ``st.cache_data`` functions the pages call with the pages' own default
   configs (``ReverseConfig()``, ``ForwardConfig()``, ``ArenaConfig()``, …).
   Streamlit's caches are process-global, so these results are what the first
   session reads: its first view is a cache hit, not a compile.
2. *shapes*: what a count or shape control needs beyond the default view.
   Counts run as traced trip counts in fixed-capacity loops (inference steps
   S, training steps T, the Arena's HMC leapfrog steps L) and batches are padded to a few buckets
   (``idf.diffusion.buckets``), so what is left is every lattice side L and
   every batch bucket at the page's other defaults, and the Multi-scale page's
   inpainting sides, samples buckets and scale presets; these are compiled
   through the uncached computes, so they fill no cache entry.

Root cause of the retrace seen on jax ≥ 0.11: JAX keys its tracing cache on
the tuple of every config state registered "in the trace context". Importing
flax imports ``jax.extend``, which imports Pallas, which registers two more
such states; a page that imported flax *after* the warm-up had traced made the
tuple longer, so every jitted loop missed its cache once and retraced. The
warm-up therefore imports everything the pages import before it computes
anything (``settle_imports``); tests/app/test_warmup.py checks that the trace
context and the trace counts stay the same when every page then runs.

Set ``IDF_WARMUP=0`` to switch it off, ``IDF_WARMUP=views`` for phase 1 only.
``progress()`` is what the sidebar shows.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import gc
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from idf.device import release_lowerings, release_new_lowerings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_started = False

# Every module a page imports that may register JAX config state (flax pulls in jax.extend and Pallas).
PAGE_IMPORTS = (
    "jax.extend", "flax", "optax", "blackjax", "idf.app", "idf.viz", "idf.samplers", "idf.models",
    "idf.training", "idf.app.forward", "idf.app.reverse", "idf.app.multiscale", "idf.app.energy",
    "idf.app.physics", "idf.app.home", "idf.app.arena", "idf.app.training",
)


class Progress(NamedTuple):
    """Where the warm-up stands: ``phase`` "idle", "views", "shapes" or "done";
    ``done`` of ``total`` items of the current phase; ``seconds`` since it began;
    ``failed`` the items that raised (logged)."""

    phase: str
    done: int
    total: int
    seconds: float
    failed: tuple[str, ...]


_state = {"phase": "idle", "done": 0, "total": 0, "t0": 0.0, "t1": 0.0, "failed": ()}


def progress() -> Progress:
    """The warm-up's state now (thread-safe)."""
    with _lock:
        s = dict(_state)
    end = s["t1"] if s["phase"] == "done" else time.perf_counter()
    return Progress(s["phase"], s["done"], s["total"], (end - s["t0"]) if s["t0"] else 0.0, s["failed"])


def settle_imports() -> None:
    """Import everything the pages import, so that no later import changes JAX's trace context."""
    for name in PAGE_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:  # an optional extra missing: its page shows its own message
            log.debug("warm-up: could not import %s", name)


def default_views() -> list[tuple[str, Callable[[], object]]]:
    """(name, compute) of every page's default view, in the pages' order, through the cached computes,
    called with the very arguments the pages pass (tests/app/test_warmup.py fails on any drift)."""
    from idf.app import energy, forward, home, multiscale, physics, reverse

    views: list[tuple[str, Callable[[], object]]] = [
        ("home", lambda: home.gff_picture(home.HomeConfig())),
        ("energy", lambda: energy.energy_view(energy.EnergyPageConfig())),
        ("forward", lambda: _forward_default(forward)),
        ("reverse", lambda: reverse.reverse_run(reverse.ReverseConfig())),
    ]
    try:
        from idf.app import arena
        from idf.app.arena_config import ArenaConfig

        cfg = ArenaConfig()
        views.append(("arena", lambda: [arena.run_sampler(cfg.run_spec(s)) for s in cfg.samplers]))
    except ImportError:
        pass
    page = multiscale.MultiscalePage()
    views += [
        ("multiscale", lambda: multiscale.multiscale_run(page.multiscale)),
        ("multiscale inpainting", lambda: multiscale.inpainting_run(page.inpaint)),
        ("training", _training_default),
        ("physics", lambda: physics.entropy_curves(physics.PhysicsConfig())),
    ]
    return views


def _forward_default(forward) -> object:
    # As the page calls them: Streamlit's cache keys on the arguments as passed (field=None included).
    c = forward.ForwardConfig()
    return forward.forward_run(c, field=None), forward.schedule_curves(c.num_steps, c.beta_start, c.beta_end)


def _training_default() -> object:
    from idf.app import data, training

    entries = [e for e in data.checkpoints() if "error" not in e]
    if not entries:
        return None
    d = training.DEFAULTS
    return training.checkpoint_run(entries[0]["path"], d.n, d.steps, d.seed)


def shape_values() -> list[tuple[str, Callable[[], object]]]:
    """(name, compile) for each batch bucket and lattice side at each page's other defaults, in the
    order a user reaches them: buckets first, then sides by distance from the default (a key press
    moves L by one), the pages interleaved; the Arena's own sweep (``arena.warm_up``) last."""
    from idf.app import energy, forward, reverse
    from idf.diffusion.buckets import bucket, bucket_sizes

    ranked: list[tuple[int, str, Callable[[], object]]] = []
    e = energy.EnergyPageConfig()
    for size in range(energy.SIZE_RANGE[0], energy.SIZE_RANGE[1] + 1):
        if size != e.size:
            ranked.append((abs(size - e.size), f"energy L={size}",
                           functools.partial(energy.compute_view, e.energy, e.params, size, e.seed)))
    for module, config in ((reverse, reverse.ReverseConfig()), (forward, forward.ForwardConfig())):
        page = module.__name__.rsplit(".", 1)[-1]
        for b in bucket_sizes(module.BATCH_BUCKETS):
            if b != bucket(config.batch, module.BATCH_BUCKETS):
                ranked.append((0, f"{page} batch≤{b}", functools.partial(module.compute,
                                                                        dataclasses.replace(config, batch=b))))
        for size in range(module.SIZE_RANGE[0], module.SIZE_RANGE[1] + 1):
            if size != config.size:
                ranked.append((abs(size - config.size), f"{page} L={size}",
                               functools.partial(module.compute, dataclasses.replace(config, size=size))))
    ranked += _multiscale_shapes()
    items = [(name, fn) for _, name, fn in sorted(ranked, key=lambda r: r[0])]
    try:
        from idf.app import arena
        from idf.app.arena_config import ArenaConfig

        cfg = ArenaConfig()
        items.append(("arena sides and chain buckets", arena.warm_up))
        # Its sweep fills more cache entries than the Arena keeps: touch the default view last, so it stays.
        items.append(("arena default view", lambda: [arena.run_sampler(cfg.run_spec(s)) for s in cfg.samplers]))
    except (ImportError, AttributeError):
        pass
    return items


def _multiscale_shapes() -> list[tuple[int, str, Callable[[], object]]]:
    """The Multi-scale page's shape values: each inpainting side and samples bucket, then each
    scale preset (the largest last: 256² is the slowest item). Its batch n runs in chunks of one
    size and its step counts are traced, so they need nothing."""
    from idf.app import multiscale
    from idf.diffusion.buckets import bucket, bucket_sizes

    page = multiscale.MultiscalePage()
    inp, ms = page.inpaint, page.multiscale
    lo, hi, step = multiscale.INPAINT_SIDES
    out = [(abs(size - inp.size) // step, f"inpainting L={size}",
            functools.partial(multiscale.inpainting_compute, dataclasses.replace(inp, size=size)))
           for size in range(lo, hi + 1, step) if size != inp.size]
    out += [(0, f"inpainting n≤{b}", functools.partial(multiscale.inpainting_compute, dataclasses.replace(inp, n=b)))
            for b in bucket_sizes(multiscale.INPAINT_BUCKETS) if b != bucket(inp.n, multiscale.INPAINT_BUCKETS)]
    out += [(20 + i, f"multiscale scales={s}",
             functools.partial(multiscale.multiscale_compute, dataclasses.replace(ms, scales=s)))
            for i, s in enumerate(sorted(multiscale.SCALE_PRESETS, key=lambda s: int(s.split(",")[-1])))
            if s != ms.scales]
    return out


def _run_phase(phase: str, items: list[tuple[str, Callable[[], object]]]) -> None:
    with _lock:
        _state.update(phase=phase, done=0, total=len(items))
    for name, compute in items:
        if _stopping.is_set():
            return
        try:
            compute()
        except Exception:  # a warm-up must never take the app down
            log.exception("warm-up of %s failed", name)
            with _lock:
                _state["failed"] = (*_state["failed"], name)
        release_new_lowerings()  # keep the compiled programs, not their MLIR (idf.device): ~1 GB less in all
        with _lock:
            _state["done"] += 1


def run(shapes: bool | None = None) -> Progress:
    """Warm the default views, then (``shapes``; default: unless ``IDF_WARMUP=views``) every count
    and shape value; blocking. Errors are logged, never raised."""
    if shapes is None:
        shapes = os.environ.get("IDF_WARMUP", "1") != "views"
    with _lock:
        _state.update(t0=time.perf_counter(), failed=())
    settle_imports()
    _run_phase("views", default_views())
    if shapes:
        _lower_priority()  # sessions first: the shape phase only fills the idle time of the cores
        _run_phase("shapes", shape_values())
    release_lowerings(trim=True)  # the heap the released lowerings held goes back to the system, once
    with _lock:
        _state.update(phase="done", t1=time.perf_counter())
    gc.collect()
    gc.freeze()  # the programs and caches built stay: no later collection need scan them (idf.app.serve)
    return progress()


def _lower_priority() -> None:
    """Raise this thread's nice value by 10 (Linux: a thread is a task; XLA compiles on the calling thread)."""
    if threading.current_thread() is threading.main_thread() or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except OSError:
        pass


def _wait_for_runtime(timeout: float = 60.0) -> None:
    """In a server, wait until Streamlit's runtime exists, so the caches filled are the sessions' own."""
    from streamlit.runtime import Runtime

    end = time.monotonic() + timeout
    while not Runtime.exists() and time.monotonic() < end:
        time.sleep(0.2)


def start(wait_for_runtime: bool = False) -> bool:
    """Start ``run`` on a daemon thread, once per process; True if this call started it."""
    global _started
    with _lock:
        if _started or os.environ.get("IDF_WARMUP", "1") == "0":
            return False
        _started = True

    def target() -> None:
        if wait_for_runtime:
            _wait_for_runtime()
        run()

    thread = threading.Thread(target=target, name="idf-warmup", daemon=True)
    thread.start()
    atexit.register(_stop, thread)
    return True


_stopping = threading.Event()


def _stop(thread: threading.Thread, timeout: float = 30.0) -> None:
    """At interpreter exit: let the item being compiled finish, start no other. A daemon thread
    still inside XLA when the interpreter finalises aborts the process (exit status 134)."""
    _stopping.set()
    thread.join(timeout)
