"""``CustomEnergy``, a typed φ(x) as a pytree energy, and ``parse_energy``,
which checks the text and its parameters before building one."""

from __future__ import annotations

import dataclasses
import keyword
import math
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass, static
from idf.energy.base import Energy, Shape, lattice_shape
from idf.energy.expression._compiler import _compile, _Program
from idf.energy.expression._language import _PARAM_NAME, _RESERVED, ExpressionError
from idf.energy.expression._probe import probe_unbounded


def _as_field(x: Any) -> jax.Array:
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"a custom energy takes one field [H, W], got shape {x.shape}; vmap over batches")
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))


@pytree_dataclass
class CustomEnergy(Energy):
    """φ(x) given as text in the expression language (see ``idf.energy.expression``).

    ``source`` is static (a new text compiles anew); ``params`` (name -> float)
    and ``kT`` are traced leaves, so moving a parameter never recompiles.
    Build one with ``parse_energy``, which checks the text and the parameters.
    """

    source: str = static()
    params: dict[str, float] = dataclasses.field(default_factory=dict)
    kT: float = 1.0

    def _program(self) -> _Program:
        return _compile(self.source, tuple(sorted(self.params)))

    def energy(self, x: jax.Array) -> jax.Array:
        """φ(x) for one field x [H, W]: a scalar."""
        return jnp.asarray(self._program().total((_as_field(x), self.params, self.kT)))

    def terms(self, x: jax.Array) -> dict[str, jax.Array]:
        """The top-level + and − terms, labelled by their text, and ``total``."""
        env = (_as_field(x), self.params, self.kT)
        parts = {label: jnp.asarray(fn(env)) for label, fn in self._program().terms}
        return {**parts, "total": self.energy(x)}

    def improper_reason(self, shape: Shape | None = None, *, key: jax.Array | None = None) -> str | None:
        """Why there is no Boltzmann distribution when kT ≤ 0 or ``probe_unbounded``
        (on ``shape``, default 8×8, seeded by ``key``, default key 0) finds a
        direction where φ falls or stays flat; else None (a heuristic: see there)."""
        if not float(self.kT) > 0.0:
            return f"kT = {float(self.kT):g} must be positive."
        return probe_unbounded(self, lattice_shape(shape), key)


def parse_energy(source: str, params: Mapping[str, float] | None = None, kT: float = 1.0) -> CustomEnergy:
    """Check ``source`` against the grammar and return it as a ``CustomEnergy``.

    ``params`` maps parameter names used in the text to floats (names: a letter
    then letters, digits or _, at most 32, not x, kT, pi or a function name).
    Raises ``ExpressionError`` (a ``ValueError``) naming what is wrong and where.
    """
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string, not {type(source).__name__}")
    clean: dict[str, float] = {}
    for name, value in dict(params or {}).items():
        if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name) or keyword.iskeyword(name):
            raise ExpressionError(f"parameter name {name!r} must be a letter then letters, digits or _")
        if name in _RESERVED:
            hint = " (pass the temperature as kT=...)" if name == "kT" else ""
            raise ExpressionError(f"parameter name {name!r} is reserved{hint}")
        try:
            clean[name] = float(value)
        except (TypeError, ValueError):
            raise ExpressionError(f"parameter {name} = {value!r} is not a number") from None
        if not math.isfinite(clean[name]):
            raise ExpressionError(f"parameter {name} = {value!r} must be finite")
    try:
        kT = float(kT)
    except (TypeError, ValueError):
        raise ExpressionError(f"kT = {kT!r} is not a number") from None
    _compile(source, tuple(sorted(clean)))
    return CustomEnergy(source=source, params=clean, kT=kT)
