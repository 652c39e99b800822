"""Count how often jitted entry points are traced (= compiled).

A Python side effect inside a jitted function runs only while JAX traces it,
so ``mark(name)`` there counts compilations. Tests use this to prove that
moving a continuous slider compiles nothing new.
"""

from __future__ import annotations

import collections
import threading

_lock = threading.Lock()
_counts: collections.Counter[str] = collections.Counter()


def mark(name: str) -> None:
    """Record one trace of the entry point ``name`` (call inside jitted code)."""
    with _lock:
        _counts[name] += 1


def traces(name: str | None = None) -> int:
    """Traces so far of ``name``, or of every entry point when None."""
    with _lock:
        return _counts[name] if name is not None else sum(_counts.values())
