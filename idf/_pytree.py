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
    return jax.tree_util.register_dataclass(cls, data_fields=data, meta_fields=meta)


def replace(obj: T, **changes: Any) -> T:
    """``dataclasses.replace`` re-exported so callers need one import."""
    return dataclasses.replace(obj, **changes)
