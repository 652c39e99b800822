"""The Sampler arena's custom target: φ typed in the safe expression language
(``idf.energy.parse_energy``; the text is parsed against a whitelist, never
evaluated as Python).

The arena's cached functions take a target as (name, params) with ``params`` a
hashable tuple. For ``custom`` that tuple holds the expression text, kT and
the sorted (name, value) parameters (``custom_params``), so ``st.cache_data``
keys on the text and the numbers, never on a JAX object: two sessions with the
same expression share a cached run, two expressions never collide. Below
that, ``CustomEnergy`` keeps its text as a static pytree field and its
parameters as leaves, so the jitted loops compile once per expression (and
parameter names) and a new parameter value reuses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from idf.app.energy import parse_params
from idf.energy import EXPRESSION_FUNCTIONS as FUNCTIONS
from idf.energy import CustomEnergy, ExpressionError, ImproperEnergyError, parse_energy

CUSTOM = "custom"
Params = tuple[tuple[str, Any], ...]
ERROR_HINT = (  # Markdown: the operators are code, so ** and * are not read as emphasis
    "Edit φ(x) or its parameters in the sidebar and press Enter. The language has `x` (the field), `kT`, `pi`, "
    "your parameters (`NAME=NUMBER, …`), numbers, `+ - * /`, `**` with a number exponent (|p| ≤ 8) and the "
    "functions " + ", ".join(f"`{f}`" for f in FUNCTIONS) + "; nothing else (no attributes, indexing, strings "
    "or other names)."
)


def custom_params(source: str, params: Mapping[str, float], kT: float) -> Params:
    """The hashable description of a typed φ: (("expr", text), ("kT", kT),
    ("params", ((name, value), …) sorted by name))."""
    values = tuple(sorted((str(k), float(v)) for k, v in params.items()))
    return (("expr", source), ("kT", float(kT)), ("params", values))


def make_custom(params: Params) -> CustomEnergy:
    """The ``CustomEnergy`` that ``custom_params`` describes."""
    p = dict(params)
    return parse_energy(p["expr"], dict(p["params"]), kT=p["kT"])


@st.cache_data(max_entries=32, show_spinner="Parsing and probing the energy …")
def check_custom(source: str, params_text: str, kT: float, size: int) -> dict[str, Any]:
    """Parse a typed φ with its parameters ('m2=1, lam=0.5') and probe it on an
    L×L field for directions where it is unbounded below (a heuristic:
    ``idf.energy.probe_unbounded``; the probe's key is fixed, so the verdict
    does not depend on the page's seed).

    Returns ``params`` (``custom_params``, None unless it passed), ``error``
    (the parser's message: the text or a parameter is not in the language) and
    ``improper`` (the probe's message, which names the direction and a fix;
    it also refuses a φ that is +inf near 0).
    """
    out: dict[str, Any] = {"params": None, "error": None, "improper": None}
    try:
        values = parse_params(params_text)
        energy = parse_energy(source, values, kT=kT)
    except (ExpressionError, ValueError) as err:
        out["error"] = str(err)
        return out
    try:
        energy.check_normalizable((size, size))
    except ImproperEnergyError as err:
        out["improper"] = str(err)
        return out
    out["params"] = custom_params(source, values, kT)
    return out


def custom_config(params: Params) -> dict[str, Any]:
    """The run's configuration entries for the .npz file: expression, parameters, kT."""
    p = dict(params)
    return {"expr": p["expr"], "params": dict(p["params"]), "kT": p["kT"]}


def custom_code(params: Params, size: int) -> list[str]:
    """The reproduce-in-Python lines that build the energy and probe it (after
    ``from idf.energy import parse_energy``)."""
    p = dict(params)
    return [
        f"energy = parse_energy({p['expr']!r}, {dict(p['params'])!r}, kT={p['kT']!r})",
        f"energy.check_normalizable(({size}, {size}))  # raises ImproperEnergyError if φ looks unbounded below",
    ]
