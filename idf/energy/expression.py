"""A safe expression language for custom lattice energies φ(x).

The text a user types is parsed with Python's ``ast`` module, checked node by
node against a whitelist, and turned into a JAX function of the field. It is
never given to ``eval``, ``exec`` or ``compile``.

Grammar
-------
    expr := number | name | expr OP expr | -expr | +expr | (expr) | call
    OP   := +  -  *  /  **        (** needs a number literal exponent, |p| ≤ 8)

Names
    x         the field, shape [H, W] on a periodic lattice
    kT        the energy's temperature
    pi        3.14159…
    <param>   a float parameter the caller supplies, e.g. params={"m2": 0.5};
              parameters are traced, so changing one never recompiles

Functions ("a" is a field [H, W], a stack [2, H, W] or a scalar)
    sum(a)  mean(a)  min(a)  max(a)    reduce over every site: a scalar
    min(a, b)  max(a, b)               elementwise minimum / maximum
    abs exp log sqrt sin cos tanh cosh square     elementwise, one argument
    dx(a)          forward difference along columns: a[i, j+1] − a[i, j]
    dy(a)          forward difference along rows:    a[i+1, j] − a[i, j]
    grad(x)        [dx(x), dy(x)] stacked, shape [2, H, W] (of a [H, W] field)
    lap(a)         lattice Laplacian neighbours(a) − 4a; Σ x·lap(x) = −Σ grad(x)²
    neighbours(a)  sum of the 4 nearest neighbours
    roll(a, shift, axis)  periodic shift along axis 0 (rows) or 1 (columns);
                          shift and axis are integer literals
All differences are periodic. dx, dy, lap, neighbours and roll need a field.

Rules
    The result must be a scalar: wrap fields in sum(...) or mean(...).
    At most 500 characters, 200 expression nodes, nesting depth 20;
    number literals up to 1e30.
    Anything else (attributes, indexing, strings, keyword arguments,
    comparisons, and/or, lambdas, comprehensions, := , other names) is
    rejected with an ``ExpressionError`` naming the token and its column.

Examples
    0.5*sum(grad(x)**2) + 0.5*m2*sum(x**2)              Gaussian free field
    sum(dx(x)**2 + dy(x)**2)/2 + 0.5*m2*sum(x**2)       the same, spelt out
    sum(grad(x)**2) + m2*sum(x**2) + lam*sum(x**4)      φ⁴ (Albergo et al.)
    -0.5*sum(x*lap(x)) + 0.25*sum((x**2 - 1)**2)        a double well

Whether exp(−φ/kT) is normalisable cannot be read off the text:
``probe_unbounded`` is a heuristic search for directions where φ falls or
stays flat, and ``CustomEnergy.check_normalizable`` raises on what it finds.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import keyword
import math
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import jax
import jax.numpy as jnp
import numpy as np

from idf._pytree import pytree_dataclass, static
from idf.energy.base import Energy, Shape, lattice_shape

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


def _as_field(x: Any) -> jax.Array:
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"a custom energy takes one field [H, W], got shape {x.shape}; vmap over batches")
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))


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


@pytree_dataclass
class CustomEnergy(Energy):
    """φ(x) given as text in the expression language (see the module docstring).

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


# ---------------------------------------------------------------- the probe

_SCALES = np.array([1.0, 10.0, 100.0, 1e3, 1e4])  # amplitude c per site along each ray


def _descend(energy: Energy, x0: jax.Array, steps: int) -> jax.Array:
    """Normalised gradient descent whose step doubles on success and halves on
    failure, kept inside rms(x) ≤ max(_SCALES): it runs off towards infinity
    when φ falls without bound, and settles in a well otherwise."""
    dtype = x0.dtype
    phi = lambda x: jnp.asarray(energy.energy(x), dtype)
    grad = jax.grad(phi)

    def step(_, carry):
        x, f, eta = carry
        g = grad(x)
        x_new = x - eta * g / jnp.maximum(jnp.sqrt(jnp.mean(g**2)), 1e-30)
        f_new = phi(x_new)
        better = (f_new < f) & (jnp.sqrt(jnp.mean(x_new**2)) <= _SCALES[-1])
        return jnp.where(better, x_new, x), jnp.where(better, f_new, f), jnp.where(better, 2.0, 0.5) * eta

    x, _, _ = jax.lax.fori_loop(0, steps, step, (x0, phi(x0), jnp.asarray(0.1, dtype)))
    return x


@functools.partial(jax.jit, static_argnames="steps")
def _probe_values(energy: Energy, rays: jax.Array, x0: jax.Array, steps: int = 64) -> tuple[jax.Array, jax.Array]:
    """φ(c·v) [R + 2, S] along the rays [R, H, W] and ± the unit-rms end point
    of a gradient descent from x0, and that end point [H, W]. Jitted with the
    energy as an argument, so a new parameter value reuses the compiled probe."""
    end = _descend(energy, x0, steps)
    unit = end / jnp.maximum(jnp.sqrt(jnp.mean(end**2)), 1e-30)
    rays = jnp.concatenate([rays, unit[None], -unit[None]])
    points = rays[:, None] * jnp.asarray(_SCALES, rays.dtype)[:, None, None]
    return jax.vmap(jax.vmap(energy.energy))(points), end


def _ray_finding(values: np.ndarray) -> tuple[str, int] | None:
    """(kind, index) when φ along one ray is not confining, else None."""
    seen: list[float] = []
    for k, value in enumerate(values):
        if value == -np.inf:
            return "-inf", k
        if value == np.inf:
            return None  # overflowed upwards: confined
        if np.isnan(value):  # after a rise it is an overflow such as inf − inf
            return None if len(seen) >= 2 and seen[-1] > seen[-2] else ("nan", k)
        seen.append(float(value))
    tol = 1e-6 * max(abs(seen[-1]), abs(seen[-2])) + 1e-30
    if seen[-1] < seen[-2] - tol:
        return "decreasing", len(seen) - 1
    return ("flat", len(seen) - 1) if seen[-1] <= seen[-2] + tol else None


def probe_unbounded(energy: Energy, shape: tuple[int, int] = (8, 8), key: jax.Array | None = None) -> str | None:
    """Look for directions v along which φ(c·v) falls, or stays flat, as c → ∞.

    Rays (both signs, per-site amplitude c = 1 … 1e4 on an [H, W] field): the
    constant field, the checkerboard, row and column stripes, three random
    fields (from ``key``; default key 0) and the end point of a short gradient
    descent. Returns None when φ rises along every ray, otherwise one message
    that names the direction and a fix (for a quadratic fall it estimates the
    mass m² needed). A heuristic: it can miss directions, and passing it does
    not prove that exp(−φ/kT) is normalisable.

    It runs a whole loop, so it compiles itself: once per expression text and
    field shape; new parameter values or kT reuse the compiled probe.
    """
    h, w = shape
    key = jax.random.key(0) if key is None else key
    key_rays, key_start = jax.random.split(key)
    i, j = np.indices(shape)
    named = {
        "the constant field": np.ones(shape),
        "the checkerboard (−1)^(i+j)": (-1.0) ** (i + j),
        "row stripes (−1)^i": (-1.0) ** i,
        "column stripes (−1)^j": (-1.0) ** j,
    }
    for n, noise in enumerate(np.asarray(jax.random.normal(key_rays, (3, h, w)))):
        named[f"random field #{n + 1}"] = noise
    named["the direction found by gradient descent"] = None
    rays = [f"x = {sign}c·v, v = {name}" for name in named for sign in "+−"]
    units = [s * v / np.sqrt(np.mean(v**2)) for v in list(named.values())[:-1] for s in (1.0, -1.0)]
    start = 0.1 * jax.random.normal(key_start, shape)
    if float(energy.energy(start)) == math.inf:  # e.g. sum(x**2)/0: the rays would read it as confining
        return ("φ = +inf already at a small random field (|x| ≈ 0.1), so exp(−φ/kT) is 0 there: there is no "
                "Boltzmann distribution; keep φ finite (look for a division by zero or an overflowing power). "
                "(Heuristic check: φ was evaluated once before probing rays; passing does not prove "
                "normalisability.)")  # fmt: skip
    values, end = _probe_values(energy, jnp.asarray(np.stack(units), start.dtype), start)
    values = np.asarray(values, np.float64)
    if not np.sqrt(np.mean((np.asarray(end) - np.asarray(start)) ** 2)) > 10.0:
        rays, values = rays[:-2], values[:-2]  # the descent settled nearby: no direction

    found = []
    for name, row in zip(rays, values, strict=True):
        finding = _ray_finding(row)
        if finding is None:
            continue
        kind, k = finding
        power, need = math.nan, 0.0
        if kind == "decreasing":
            drop = row[k] - row[k - 1]  # φ ≈ −A c^p: successive decades drop by a factor 10^p
            if k >= 2 and row[k - 1] < row[k - 2]:
                power = math.log10(drop / (row[k - 1] - row[k - 2]))
            # ½ m² Σx² adds ½ m² N c² along a unit-rms ray: enough when m² > −curvature
            curvature = 2.0 * drop / (h * w * (_SCALES[k] ** 2 - _SCALES[k - 1] ** 2))
            need = max(-curvature, 0.0) if not power < 1.8 else 0.0
        rank = {"-inf": 4, "decreasing": 3, "nan": 2, "flat": 1}[kind]
        key_ = (rank, power > 2.2, float(f"{need:.3g}"))  # ties go to the first (simplest) ray
        found.append((key_, name, kind, k, row[k], power, need))
    if not found:
        return None
    _, name, kind, k, value, power, need = max(found, key=lambda f: f[0])
    c = f"c = {_SCALES[k]:g}"
    confine = f"add a confining term such as + 0.5*m2*sum(x**2) with m2 > {need if need > 1e-3 else 0:.3g}"
    if kind == "-inf":
        head = f"φ appears unbounded below along {name}: φ = −inf already at {c}"
        confine += " (or a faster-growing term)"
    elif kind == "decreasing":
        head = f"φ appears unbounded below along {name}: φ = {value:.4g} at {c} and still falling"
        if power > 2.2:
            q = 2 * math.ceil((power + 0.01) / 2)
            confine = (f"φ falls like −c^{power:.2g}, faster than any quadratic term can hold: add a confining "
                       f"term such as + lam*sum(x**{q}) with lam > 0")  # fmt: skip
    elif kind == "nan":
        head = f"φ is NaN along {name} at {c} (log or sqrt of a negative number, or an overflow)"
        confine = "keep φ finite for every real field (e.g. log(1 + x**2), not log(x)) and " + confine
    else:
        head = f"φ appears not to grow along {name} (φ ≈ {value:.4g} at {c}), so exp(−φ/kT) does not decay"
    return (f"{head}: there is no Boltzmann distribution; {confine}. (Heuristic check: φ was probed along "
            f"{len(rays)} rays on a field of shape {h}×{w}; it can miss directions, and passing does not prove "
            "normalisability.)")  # fmt: skip
