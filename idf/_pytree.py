"""Frozen dataclasses registered as JAX pytrees.

Float parameters are pytree leaves, so a jitted function that takes the object
as an argument traces them: changing a weight or a temperature never
recompiles. Fields marked ``static()`` are part of the tree structure instead
(a change there does recompile, on purpose: they select code paths).
``static(default, traced_when="other")`` is static while the field ``other``
(itself static) is None and a traced leaf once it is set: HMC's leapfrog count
L shapes a loop of length L, or is a trip count inside a loop of capacity
``max_leapfrog``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import jax

T = TypeVar("T")


def static(default: Any = dataclasses.MISSING, *, traced_when: str | None = None) -> Any:
    """A dataclass field that is static (part of the treedef, hashed by jit);
    with ``traced_when``, a leaf instead whenever that static field is not None."""
    metadata = {"static": True} if traced_when is None else {"static": True, "traced_when": traced_when}
    return dataclasses.field(default=default, metadata=metadata)


def pytree_dataclass(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen dataclass whose non-static fields are leaves."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    fields = dataclasses.fields(cls)
    data = [f.name for f in fields if not f.metadata.get("static", False)]
    switched = {f.name: f.metadata["traced_when"] for f in fields if "traced_when" in f.metadata}
    meta = [f.name for f in fields if f.metadata.get("static", False) and f.name not in switched]
    for name, other in switched.items():
        if other not in meta:
            raise TypeError(f"{cls.__name__}.{name}: traced_when={other!r} must name a static field")

    def layout(meta_values):
        """(leaf names, switched names kept static) for the static values ``meta_values``."""
        values = dict(zip(meta, meta_values, strict=True))
        traced = [n for n, other in switched.items() if values[other] is not None]
        return [*data, *traced], [n for n in switched if n not in traced]

    def aux_of(obj):
        meta_values = tuple(getattr(obj, n) for n in meta)
        leaves, kept = layout(meta_values)
        return leaves, (meta_values, tuple(getattr(obj, n) for n in kept))

    # Not jax.tree_util.register_dataclass: its tree definitions compare equal
    # across classes with the same field names (Langevin and MALA: one leaf,
    # step_size), so a cache keyed by treedef equality could hand one class's
    # compiled loop to the other. A custom node's definition holds the class.
    def flatten_with_keys(obj):
        leaves, aux = aux_of(obj)
        return [(jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in leaves], aux

    def flatten(obj):
        leaves, aux = aux_of(obj)
        return [getattr(obj, n) for n in leaves], aux

    def unflatten(aux, children):
        meta_values, kept_values = aux
        leaves, kept = layout(meta_values)
        obj = object.__new__(cls)  # no __init__: children may be tracers or JAX's placeholders
        pairs = (*zip(leaves, children, strict=True), *zip(meta, meta_values, strict=True),
                 *zip(kept, kept_values, strict=True))  # fmt: skip
        for name, value in pairs:
            object.__setattr__(obj, name, value)
        return obj

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
    return cls


def replace(obj: T, **changes: Any) -> T:
    """``dataclasses.replace`` re-exported so callers need one import."""
    return dataclasses.replace(obj, **changes)
