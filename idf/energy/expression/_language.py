"""The expression language's vocabulary and limits: what may be written (the
function tables, the allowed operators, the names) and ``_parse``, text -> an
``ast`` tree with the size limits applied. The grammar is in the package docstring."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

MAX_CHARS = 500
MAX_NODES = 200
MAX_DEPTH = 20
MAX_EXPONENT = 8
MAX_LITERAL = 1e30
MAX_SHIFT = 1024


class ExpressionError(ValueError):
    """The text is not in the energy expression language; the message says where."""


def _dx(a: jax.Array) -> jax.Array:
    return jnp.roll(a, -1, axis=-1) - a


def _dy(a: jax.Array) -> jax.Array:
    return jnp.roll(a, -1, axis=-2) - a


def _neighbours(a: jax.Array) -> jax.Array:
    return sum(jnp.roll(a, s, axis=ax) for s in (1, -1) for ax in (-1, -2))


_ELEMENTWISE: dict[str, Callable] = {
    "abs": jnp.abs, "exp": jnp.exp, "log": jnp.log, "sqrt": jnp.sqrt, "sin": jnp.sin,
    "cos": jnp.cos, "tanh": jnp.tanh, "cosh": jnp.cosh, "square": jnp.square,
}  # fmt: skip
_STENCILS: dict[str, Callable] = {
    "dx": _dx, "dy": _dy, "neighbours": _neighbours, "lap": lambda a: _neighbours(a) - 4.0 * a,
}  # fmt: skip
_REDUCTIONS: dict[str, Callable] = {"sum": jnp.sum, "mean": jnp.mean}
_MIN_MAX = {"min": (jnp.min, jnp.minimum), "max": (jnp.max, jnp.maximum)}
FUNCTIONS: tuple[str, ...] = tuple(sorted([*_ELEMENTWISE, *_STENCILS, *_REDUCTIONS, *_MIN_MAX, "grad", "roll"]))
_RESERVED = frozenset({"x", "kT", "pi", *FUNCTIONS})
_BINARY = {ast.Add: jnp.add, ast.Sub: jnp.subtract, ast.Mult: jnp.multiply, ast.Div: jnp.divide}
_SYMBOLS = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
            ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}  # fmt: skip
_REJECTED = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing (subscripts) is not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.IfExp: "'if ... else' is not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Starred: "starred arguments are not allowed",
}
_PARAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


def _parse(source: Any) -> ast.expr:
    """Text -> the body of an ``ast.Expression``, with the size limits applied."""
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string, not {type(source).__name__}")
    if len(source) > MAX_CHARS:
        raise ExpressionError(f"expression is {len(source)} characters long (at most {MAX_CHARS})")
    if not source.strip():
        raise ExpressionError("expression is empty")
    depth = 0
    for i, char in enumerate(source):  # before ast.parse, whose own limit is a crash
        depth += (char in "([{") - (char in ")]}")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"brackets nested deeper than {MAX_DEPTH} at character {i + 1}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about odd but valid text
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        where = f" at line {error.lineno}, column {error.offset}" if "\n" in source and error.offset else where
        raise ExpressionError(f"syntax error: {error.msg}{where}") from None
    except (ValueError, MemoryError, RecursionError) as error:
        raise ExpressionError(f"cannot parse the expression: {error}") from None
    nodes = sum(isinstance(node, ast.expr) for node in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExpressionError(f"expression has {nodes} nodes (at most {MAX_NODES})")
    stack, deepest = [(tree.body, 1)], 0
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
    if deepest > MAX_DEPTH:
        raise ExpressionError(f"expression is nested {deepest} deep (at most {MAX_DEPTH})")
    return tree.body
