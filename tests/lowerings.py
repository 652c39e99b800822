"""Count the programs JAX lowers inside a block (a persistent-cache hit is still lowered, so a
shared compile cache cannot hide a new program): ``with lowerings() as names: ...``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from jax import monitoring

LOWERING = "/jax/core/compile/jaxpr_to_mlir_module_duration"


@contextlib.contextmanager
def lowerings() -> Iterator[list]:
    """The names of the functions lowered while the block runs (the listener is removed after)."""
    names: list = []

    def listen(event, duration, **kw):
        if event == LOWERING:
            names.append(kw.get("fun_name"))

    monitoring.register_event_duration_secs_listener(listen)
    try:
        yield names
    finally:
        monitoring.unregister_event_duration_listener(listen)
