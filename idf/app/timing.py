"""How long a computation took, and how much of that was JAX compiling.

JAX reports its tracing, lowering and XLA compile durations through
``jax.monitoring``; one listener (registered once per process) adds them up,
so ``timed()`` can split wall time into compile time and the rest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Iterator

import jax

_COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
_lock = threading.Lock()
_compile_seconds = [0.0]
_registered = [False]


def _listener(event: str, duration: float, **_: object) -> None:
    if event in _COMPILE_EVENTS:
        with _lock:
            _compile_seconds[0] += duration


def _ensure_listener() -> None:
    with _lock:
        if not _registered[0]:
            jax.monitoring.register_event_duration_secs_listener(_listener)
            _registered[0] = True


def compile_seconds_so_far() -> float:
    """Total seconds JAX spent tracing and compiling in this process."""
    _ensure_listener()
    with _lock:
        return _compile_seconds[0]


@dataclasses.dataclass
class Timing:
    """Wall seconds of one computation, and the part spent compiling."""

    label: str
    seconds: float = 0.0
    compile_seconds: float = 0.0


@contextlib.contextmanager
def timed(label: str) -> Iterator[Timing]:
    """``with timed("reverse loop") as t: ...``; block on results inside."""
    timing = Timing(label)
    start_compile = compile_seconds_so_far()
    start = time.perf_counter()
    try:
        yield timing
    finally:
        timing.seconds = time.perf_counter() - start
        timing.compile_seconds = compile_seconds_so_far() - start_compile
