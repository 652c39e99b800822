"""Warm the default views in the background when the app starts.

The first visitor of a fresh server otherwise waits for XLA to compile the
loops behind each page's default view. ``start()`` (called by app.py, once
per process) runs those computations on a daemon thread with the pages'
default configs (``ForwardConfig()``, ``ReverseConfig()``: the same objects
whose defaults the pages' widgets start from): JAX compiles the very executables the first visit needs
(and, inside a running server, Streamlit's shared cache holds the results).
Set ``IDF_WARMUP=0`` to switch it off. tests/app/test_warmup.py checks that
after ``run()`` the default Forward and Reverse pages compile nothing new, so
these defaults cannot drift from the pages' without a failing test.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)
_lock = threading.Lock()
_started = False

def run() -> None:
    """Compute the default views now (blocking); errors are logged, never raised."""
    from idf.app import forward, reverse

    for name, compute in (("reverse", lambda: reverse.reverse_run(reverse.ReverseConfig())),
                          ("forward", lambda: forward.forward_run(forward.ForwardConfig()))):
        try:
            compute()
        except Exception:  # a warm-up must never take the app down
            log.exception("warm-up of the %s page failed", name)


def start() -> None:
    """Start ``run`` on a daemon thread, once per process."""
    global _started
    with _lock:
        if _started or os.environ.get("IDF_WARMUP", "1") == "0":
            return
        _started = True
    threading.Thread(target=run, name="idf-warmup", daemon=True).start()
