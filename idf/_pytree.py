"""Frozen dataclasses registered as JAX pytrees.

Float parameters are pytree leaves, so a jitted function that takes the object
as an argument traces them: changing a weight or a temperature never
recompiles. Fields marked ``static()`` are part of the tree structure instead
(a change there does recompile, on purpose: they select code paths).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import jax

T = TypeVar("T")


def static(default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field that is static (part of the treedef, hashed by jit)."""
    return dataclasses.field(default=default, metadata={"static": True})


def pytree_dataclass(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen dataclass whose non-static fields are leaves."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    fields = dataclasses.fields(cls)
    data = [f.name for f in fields if not f.metadata.get("static", False)]
    meta = [f.name for f in fields if f.metadata.get("static", False)]
    # Not jax.tree_util.register_dataclass: its tree definitions compare equal
    # across classes with the same field names (Langevin and MALA: one leaf,
    # step_size), so a cache keyed by treedef equality could hand one class's
    # compiled loop to the other. A custom node's definition holds the class.
    def flatten_with_keys(obj):
        keyed = [(jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in data]
        return keyed, tuple(getattr(obj, n) for n in meta)

    def flatten(obj):
        return [getattr(obj, n) for n in data], tuple(getattr(obj, n) for n in meta)

    def unflatten(aux, children):
        obj = object.__new__(cls)  # no __init__: children may be tracers or JAX's placeholders
        for name, value in (*zip(data, children, strict=True), *zip(meta, aux, strict=True)):
            object.__setattr__(obj, name, value)
        return obj

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
    return cls


def replace(obj: T, **changes: Any) -> T:
    """``dataclasses.replace`` re-exported so callers need one import."""
    return dataclasses.replace(obj, **changes)
