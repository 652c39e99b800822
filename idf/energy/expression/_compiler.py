"""The compiler: a checked ``ast`` tree -> a JAX function of (x, params, kT),
node by node against the whitelist (every rejection names its token and column),
with the rank rules that make the result a scalar. Compiled once per
(text, parameter names) and cached."""

from __future__ import annotations

import ast
import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import jax
import jax.numpy as jnp

from idf.energy.expression._language import (
    _BINARY,
    _ELEMENTWISE,
    _MIN_MAX,
    _REDUCTIONS,
    _REJECTED,
    _STENCILS,
    _SYMBOLS,
    FUNCTIONS,
    MAX_EXPONENT,
    MAX_LITERAL,
    MAX_SHIFT,
    ExpressionError,
    _dx,
    _dy,
    _parse,
)

# A compiled node: a function of env = (x [H, W], params dict, kT) and its rank
# (0 scalar, 2 field [H, W], 3 stack [2, H, W]).
_Env = tuple[jax.Array, Mapping[str, Any], Any]
_Fn = Callable[[_Env], Any]


@dataclasses.dataclass(frozen=True)
class _Program:
    total: _Fn
    terms: tuple[tuple[str, _Fn], ...]  # top-level + and − terms, labelled by their text


class _Compiler:
    """Checks a parsed expression against the whitelist while building it."""

    def __init__(self, source: str, param_names: tuple[str, ...]):
        self.source = source
        self.params = frozenset(param_names)

    def fail(self, node: Any, why: str) -> NoReturn:
        text = ast.get_source_segment(self.source, node) or type(node).__name__
        text = text if len(text) <= 40 else text[:37] + "..."
        lines = self.source.splitlines() or [""]
        line = lines[min(node.lineno, len(lines)) - 1]
        column = len(line.encode()[: node.col_offset].decode(errors="ignore")) + 1
        where = f"column {column}" if len(lines) == 1 else f"line {node.lineno}, column {column}"
        raise ExpressionError(f"{why}: {text!r} at {where}")

    def compile(self, node: ast.AST) -> tuple[_Fn, int]:
        if isinstance(node, ast.Constant):
            value = self.number(node)
            return (lambda env: value), 0
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                operand, rank = self.compile(node.operand)
                if isinstance(node.op, ast.UAdd):
                    return operand, rank
                return (lambda env: jnp.negative(operand(env))), rank
            self.fail(node, f"operator {_SYMBOLS[type(node.op)]!r} is not allowed")
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        self.fail(node, _REJECTED.get(type(node), f"{type(node).__name__} is not allowed"))

    def number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "strings" if isinstance(value, (str, bytes)) else f"{type(value).__name__} constants"
            self.fail(node, f"{kind} are not allowed, only real numbers")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not abs(number) <= MAX_LITERAL:
            self.fail(node, f"number is too large (|value| ≤ {MAX_LITERAL:g})")
        return number

    def literal(self, node: ast.AST) -> float | None:
        """The value of a signed number literal such as -2, else None."""
        sign = 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        if isinstance(node, ast.Constant):
            return sign * self.number(node)
        return None

    def integer(self, node: ast.AST, what: str, allowed: Callable[[int], bool]) -> int:
        inner = node
        while isinstance(inner, ast.UnaryOp):
            inner = inner.operand
        value = self.literal(node)
        if value is None or not isinstance(inner, ast.Constant) or not isinstance(inner.value, int):
            self.fail(node, f"the {what} of roll() must be an integer literal")
        if not allowed(int(value)):
            self.fail(node, f"the {what} of roll() is out of range")
        return int(value)

    def name(self, node: ast.Name) -> tuple[_Fn, int]:
        name = node.id
        if name == "x":
            return (lambda env: env[0]), 2
        if name == "kT":
            return (lambda env: env[2]), 0
        if name == "pi":
            return (lambda env: math.pi), 0
        if name in self.params:
            return (lambda env: env[1][name]), 0
        if name in FUNCTIONS:
            self.fail(node, f"{name} is a function: call it, as in {name}(x)")
        known = ", ".join(["x", "kT", "pi", *sorted(self.params)])
        self.fail(node, f"unknown name {name!r} (names: {known}; pass other parameters in params)")

    def binop(self, node: ast.BinOp) -> tuple[_Fn, int]:
        left, left_rank = self.compile(node.left)
        if isinstance(node.op, ast.Pow):
            power = self.literal(node.right)
            if power is None:
                self.fail(node.right, f"an exponent must be a number literal with |p| ≤ {MAX_EXPONENT}")
            if abs(power) > MAX_EXPONENT:
                self.fail(node.right, f"exponent {power:g} is too large (|p| ≤ {MAX_EXPONENT})")
            if power.is_integer():
                p = int(power)  # integer_pow is exact for negative bases
                return (lambda env: jax.lax.integer_pow(jnp.asarray(left(env)), p)), left_rank
            return (lambda env: jnp.power(left(env), power)), left_rank
        if type(node.op) not in _BINARY:
            self.fail(node, f"operator {_SYMBOLS[type(node.op)]!r} is not allowed")
        op = _BINARY[type(node.op)]
        right, right_rank = self.compile(node.right)
        return (lambda env: op(left(env), right(env))), max(left_rank, right_rank)

    def call(self, node: ast.Call) -> tuple[_Fn, int]:
        if not isinstance(node.func, ast.Name):
            self.fail(node.func, _REJECTED.get(type(node.func), "only the listed functions can be called"))
        name = node.func.id
        if name not in FUNCTIONS:
            self.fail(node.func, f"function {name!r} is not allowed (functions: {', '.join(FUNCTIONS)})")
        if node.keywords:
            self.fail(node.keywords[0], f"keyword arguments are not allowed in {name}()")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, _REJECTED[ast.Starred])
        arity = {"roll": (3,), "min": (1, 2), "max": (1, 2)}.get(name, (1,))
        if len(node.args) not in arity:
            wanted = " or ".join(map(str, arity))
            self.fail(node, f"{name}() takes {wanted} argument(s), got {len(node.args)}")
        if name == "roll":
            a, rank = self.field_argument(name, node.args[0])
            shift = self.integer(node.args[1], "shift", lambda s: abs(s) <= MAX_SHIFT)
            axis = self.integer(node.args[2], "axis", lambda ax: ax in (0, 1, -1, -2))
            axis = axis - 2 if axis >= 0 else axis  # axes of the field, the last two
            return (lambda env: jnp.roll(a(env), shift, axis=axis)), rank
        if name in _MIN_MAX and len(node.args) == 2:
            (a, rank_a), (b, rank_b) = self.compile(node.args[0]), self.compile(node.args[1])
            op = _MIN_MAX[name][1]
            return (lambda env: op(a(env), b(env))), max(rank_a, rank_b)
        if name in _MIN_MAX or name in _REDUCTIONS:
            a, _ = self.compile(node.args[0])
            op = _MIN_MAX[name][0] if name in _MIN_MAX else _REDUCTIONS[name]
            return (lambda env: op(a(env))), 0
        if name in _ELEMENTWISE:
            a, rank = self.compile(node.args[0])
            op = _ELEMENTWISE[name]
            return (lambda env: op(a(env))), rank
        a, rank = self.field_argument(name, node.args[0])
        if name == "grad":
            if rank != 2:
                self.fail(node.args[0], "grad() takes a field [H, W]; it is already a stack [2, H, W]")
            return (lambda env: jnp.stack([_dx(a(env)), _dy(a(env))])), 3
        op = _STENCILS[name]
        return (lambda env: op(a(env))), rank

    def field_argument(self, name: str, node: ast.AST) -> tuple[_Fn, int]:
        a, rank = self.compile(node)
        if rank < 2:
            self.fail(node, f"{name}() needs a field such as x, not a scalar")
        return a, rank


@functools.lru_cache(maxsize=256)
def _compile(source: str, param_names: tuple[str, ...]) -> _Program:
    body = _parse(source)
    compiler = _Compiler(source, param_names)
    total, rank = compiler.compile(body)
    if rank != 0:
        shape = "[H, W]" if rank == 2 else "[2, H, W]"
        compiler.fail(body, f"the result is a field {shape}, not a scalar: wrap it in sum(...) or mean(...)")
    parts, node = [], body
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        parts.append((isinstance(node.op, ast.Sub), node.right))
        node = node.left
    parts.append((False, node))
    terms: list[tuple[str, _Fn]] = []
    for negative, part in reversed(parts) if len(parts) > 1 else ():
        fn, _ = compiler.compile(part)
        label = ast.get_source_segment(source, part) or "term"
        if negative:
            grouped = isinstance(part, ast.BinOp) and isinstance(part.op, (ast.Add, ast.Sub))
            label, fn = (f"-({label})" if grouped else f"-{label}"), (lambda env, f=fn: jnp.negative(f(env)))
        while label in dict(terms) or label == "total":
            label += "'"
        terms.append((label, fn))
    # Trace once on a small field: the rank rules above should make this a formality.
    scalar = jax.ShapeDtypeStruct((), jnp.float32)
    specs = (jax.ShapeDtypeStruct((5, 4), jnp.float32), {n: scalar for n in param_names}, scalar)
    try:
        out = jax.eval_shape(lambda x, p, t: jnp.asarray(total((x, p, t))), *specs)
    except Exception as error:  # any failure of a checked expression is reported, not raised raw
        raise ExpressionError(f"the expression cannot be evaluated: {type(error).__name__}: {error}") from None
    if out.shape != ():
        raise ExpressionError(f"the result has shape {list(out.shape)}, not a scalar: wrap it in sum(...)")
    return _Program(total, tuple(terms))

