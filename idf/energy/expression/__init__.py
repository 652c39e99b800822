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

Modules: ``_language`` (the vocabulary, the limits, text -> ``ast``),
``_compiler`` (``ast`` -> a JAX function, checked node by node), ``_custom``
(``CustomEnergy`` and ``parse_energy``) and ``_probe`` (``probe_unbounded``).
"""

from idf.energy.expression._custom import CustomEnergy, parse_energy
from idf.energy.expression._language import (
    FUNCTIONS,
    MAX_CHARS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LITERAL,
    MAX_NODES,
    MAX_SHIFT,
    ExpressionError,
)
from idf.energy.expression._probe import probe_unbounded

__all__ = [
    "FUNCTIONS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LITERAL",
    "MAX_NODES",
    "MAX_SHIFT",
    "CustomEnergy",
    "ExpressionError",
    "parse_energy",
    "probe_unbounded",
]
