"""The custom-energy expression language: grammar, exactness against the
built-in energies, tracing, the whitelist, fuzzing and the unboundedness probe."""

import ast
import importlib
import inspect
import pkgutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idf.energy import (
    CustomEnergy,
    ExpressionError,
    GaussianFreeField,
    ImproperEnergyError,
    Phi4,
    expression,
    parse_energy,
    probe_unbounded,
)
from idf.energy.expression import FUNCTIONS, MAX_CHARS

SHAPE = (6, 5)  # non-square on purpose: catches swapped axes
GFF = "0.5*sum(grad(x)**2) + 0.5*m2*sum(x**2)"
PHI4 = "sum(grad(x)**2) + m2*sum(x**2) + lam*sum(x**4)"


def _field(seed=0, shape=SHAPE):
    return jax.random.normal(jax.random.key(seed), shape)


# The examples in the module docstring, and one use of every function.
GRAMMAR = [
    GFF,
    PHI4,
    "sum(dx(x)**2 + dy(x)**2)/2 + 0.5*m2*sum(x**2)",
    "-0.5*sum(x*lap(x)) + 0.25*sum((x**2 - 1)**2)",
    "0.5*sum(grad(x)**2) + 0.25*sum(x**4)",
    "mean(abs(x)) + sum(exp(-x**2)) - sum(log(1 + x**2)) + sum(sqrt(1 + square(x)))",
    "sum(sin(x) + cos(x) + tanh(x) + cosh(x/10))",
    "sum(neighbours(x)*x) + sum(roll(x, 1, 0)*roll(x, -2, 1)) + sum(roll(grad(x), 1, -1))",
    "min(x) + max(x) + sum(min(x, 0) + max(x, m2))",
    "kT*sum(x**2) + pi + +2 - -3 + 2**-1 + sum(x**0.5 + x**-2)*0",
    "sum(dx(grad(x))**2) + sum(lap(grad(x)))",
]


@pytest.mark.parametrize("source", GRAMMAR)
def test_the_documented_grammar_is_accepted_and_evaluates(source):
    energy = parse_energy(source, {"m2": 0.5, "lam": 0.25}, kT=1.5)
    value = energy.energy(jnp.abs(_field()) + 0.5)
    assert value.shape == ()
    assert np.isfinite(float(value))


@pytest.mark.parametrize("m2", [0.3, 1.0, 4.0])
def test_gff_expression_equals_the_builtin_energy(m2):
    x = _field(1)
    want = float(GaussianFreeField(mass2=m2).energy(x))
    for source in (GFF, "sum(dx(x)**2 + dy(x)**2)/2 + 0.5*m2*sum(x**2)", "-0.5*sum(x*lap(x)) + 0.5*m2*sum(x**2)"):
        got = float(parse_energy(source, {"m2": m2}).energy(x))
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_phi4_expression_equals_the_builtin_energy():
    x = _field(2)
    got = parse_energy(PHI4, {"m2": -4.0, "lam": 8.0}).energy(x)
    np.testing.assert_allclose(float(got), float(Phi4(mass2=-4.0, coupling=8.0).energy(x)), rtol=1e-5)


def test_stencils_match_explicit_rolls():
    x = _field(3)
    env = {"m2": 1.0}
    cases = {
        "sum(dx(x)*x)": jnp.sum((jnp.roll(x, -1, axis=1) - x) * x),
        "sum(dy(x)*x)": jnp.sum((jnp.roll(x, -1, axis=0) - x) * x),
        "sum(roll(x, 2, 0)*x**3)": jnp.sum(jnp.roll(x, 2, axis=0) * x**3),
        "sum(roll(x, -1, 1)*x**3)": jnp.sum(jnp.roll(x, -1, axis=1) * x**3),
        "sum(neighbours(x)**2)": jnp.sum(
            (jnp.roll(x, 1, 0) + jnp.roll(x, -1, 0) + jnp.roll(x, 1, 1) + jnp.roll(x, -1, 1)) ** 2
        ),
        "sum(x*lap(x)) + sum(grad(x)**2)": 0.0,  # summation by parts
    }
    for source, want in cases.items():
        np.testing.assert_allclose(float(parse_energy(source, env).energy(x)), float(want), rtol=1e-5, atol=1e-4)


def test_terms_are_labelled_and_add_up():
    energy = parse_energy("0.5*sum(grad(x)**2) - 2*sum(x**2) + 0.1*sum(x**4)")
    x = _field(4)
    terms = energy.terms(x)
    assert list(terms) == ["0.5*sum(grad(x)**2)", "-2*sum(x**2)", "0.1*sum(x**4)", "total"]
    parts = sum(float(v) for k, v in terms.items() if k != "total")
    np.testing.assert_allclose(parts, float(terms["total"]), rtol=1e-5)
    np.testing.assert_allclose(float(terms["-2*sum(x**2)"]), -2 * float(jnp.sum(x**2)), rtol=1e-6)
    assert list(parse_energy("sum(x**2)").terms(x)) == ["total"]


def test_score_is_minus_grad_energy_over_kT_and_jits():
    energy = parse_energy(PHI4, {"m2": -1.0, "lam": 0.5}, kT=2.0)
    x = _field(5)
    want = -jax.grad(energy.energy)(x) / 2.0
    np.testing.assert_allclose(np.asarray(energy.score(x)), np.asarray(want), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jax.jit(lambda e, x: e.score(x))(energy, x)), np.asarray(want), rtol=1e-5)
    np.testing.assert_allclose(float(energy.logdensity(x)), -float(energy.energy(x)) / 2.0, rtol=1e-6)
    batch = jnp.stack([x, 2 * x])
    np.testing.assert_allclose(np.asarray(jax.vmap(energy.energy)(batch))[1], float(energy.energy(2 * x)), rtol=1e-6)


def test_changing_params_or_kT_does_not_retrace():
    traces = []

    @jax.jit
    def logp(energy, x):
        traces.append(1)  # runs only while tracing
        return energy.logdensity(x)

    x = _field(6)
    for m2, kT in [(1.0, 1.0), (2.0, 1.0), (0.5, 3.0)]:
        energy = parse_energy(GFF, {"m2": m2}, kT=kT)
        want = -float(GaussianFreeField(mass2=m2).energy(x)) / kT
        np.testing.assert_allclose(float(logp(energy, x)), want, rtol=1e-5)
    assert len(traces) == 1
    logp(parse_energy(PHI4, {"m2": 1.0, "lam": 1.0}), x)  # a new text is a new program
    assert len(traces) == 2


def test_a_directly_built_energy_is_checked_too():
    with pytest.raises(ExpressionError, match="attribute"):
        CustomEnergy(source="sum(x.__class__)").energy(_field())


@pytest.mark.parametrize(
    "source,fragment",
    [
        ("__import__('os')", "'__import__' is not allowed"),
        ("x.__class__", "attribute access"),
        ("sum(x.__class__.__mro__)", "attribute access"),
        ("(lambda: 1)()", "lambda"),
        ("[x for x in y]", "comprehension"),
        ("sum(x for x in y)", "comprehension"),
        ("x[0]", "indexing"),
        ("open('f')", "'open' is not allowed"),
        ("eval('1')", "'eval' is not allowed"),
        ("globals()", "'globals' is not allowed"),
        ("'a'", "strings"),
        ("b'a'", "strings"),
        ("f'{x}'", "f-strings"),
        ("x**1000", "exponent 1000 is too large"),
        ("x**x", "exponent must be a number literal"),
        ("2**2**2**2**2", "exponent must be a number literal"),
        ("sum(x, axis=0)", "keyword arguments"),
        ("sum(*x)", "starred"),
        ("(y := 1)", ":="),
        ("sum(x) > 0", "comparisons"),
        ("sum(x) and 1", "'and' / 'or'"),
        ("1 if x else 2", "if ... else"),
        ("sum(x) % 2", "'%'"),
        ("~x", "'~'"),
        ("True", "bool constants"),
        ("1j*sum(x)", "complex constants"),
        ("1e999*sum(x)", "too large"),
        ("y*sum(x)", "unknown name 'y'"),
        ("sum", "sum is a function"),
        ("sum(x, x)", "sum() takes 1 argument"),
        ("roll(x, 1.5, 0)", "integer literal"),
        ("roll(x, 1, 2)", "out of range"),
        ("roll(x, k, 0)", "integer literal"),
        ("grad(grad(x))", "already a stack"),
        ("lap(2.0)", "needs a field"),
        ("x**2", "not a scalar"),
        ("grad(x)", "not a scalar"),
        ("import os", "syntax error"),
        ("x; y", "syntax error"),
        ("", "empty"),
        ("x" * 10_000, "10000 characters"),
        ("(" * 40 + "x" + ")" * 40, "nested deeper"),
        ("-" * 150 + "sum(x)", "nested"),
        ("+".join(["sum(x)"] * 70), "nodes"),
    ],
)
def test_rejections_name_the_problem(source, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_energy(source, {"m2": 1.0})
    assert fragment in str(info.value)


def test_rejection_messages_give_the_position():
    with pytest.raises(ExpressionError, match=r"'x\.__class__' at column 7"):
        parse_energy("1 + 2*x.__class__")


@pytest.mark.parametrize("name", ["x", "kT", "sum", "pi", "__class__", "_m", "2a", "a b", "lambda", 3])
def test_bad_parameter_names_are_rejected(name):
    with pytest.raises(ExpressionError, match="parameter name"):
        parse_energy("sum(x**2)", {name: 1.0})


def test_bad_parameter_values_are_rejected():
    for value in ["abc", None, float("nan")]:
        with pytest.raises(ExpressionError, match="parameter m2"):
            parse_energy("m2*sum(x**2)", {"m2": value})
    with pytest.raises(ExpressionError, match="string"):
        parse_energy(["sum(x)"])


def _accepts_or_rejects_cleanly(source):
    """parse_energy either raises ExpressionError or returns an energy whose value
    and score evaluate (possibly to inf/nan) without any other exception."""
    try:
        energy = parse_energy(source, {"m2": 0.5, "lam": 0.25})
    except ExpressionError:
        return
    assert len(source) <= MAX_CHARS
    x = _field(7, (4, 3))
    assert energy.energy(x).shape == ()
    assert energy.score(x).shape == x.shape


_FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
_CHARS = "x()+-*/.,0123456789e _sumgradlpqtincobkTy'\"[]{}:=<>!@#%&|^~\n\\"


@pytest.mark.timeout(120)
@_FUZZ
@given(st.one_of(st.text(max_size=60), st.text(alphabet=st.sampled_from(_CHARS), max_size=120)))
def test_fuzz_random_text_only_raises_expression_error(source):
    _accepts_or_rejects_cleanly(source)


# Mostly grammatical pieces, with forbidden ones mixed in at a lower rate.
_GOOD_LEAVES = ["x", "x", "x", "m2", "lam", "kT", "pi", "0", "1", "2.5", "-3", "1e30", "1e-30"]
_BAD_LEAVES = ["y", "__import__", "open", "sum", "1e31", "10**400", "1e999", "'a'", "True", "None", "1j", "...",
               "x.__class__", "x[0]", "[x]", "{x}"]  # fmt: skip
_LEAVES = st.sampled_from(_GOOD_LEAVES * 3 + _BAD_LEAVES)
_OPS = st.sampled_from(["+", "-", "*", "/", "**"] * 6 + ["%", "//", "@", "<", " and ", "|", ","])
_CALLEES = st.sampled_from([*FUNCTIONS] * 2 + ["eval", "getattr", "globals", "x.real", "lambda: x"])
_EXPONENTS = st.sampled_from(["2", "4", "-1", "0.5", "8", "(2)", "-(3)", "9", "x", "m2", "2**2"])


def _grow(children):
    return st.one_of(
        st.tuples(children, _OPS, children, st.booleans()).map(
            lambda t: f"({t[0]}){t[1]}({t[2]})" if t[3] else f"{t[0]}{t[1]}{t[2]}"
        ),
        st.tuples(_CALLEES, st.lists(children, min_size=1, max_size=2)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(children, st.integers(-12, 12), st.integers(-3, 3)).map(lambda t: f"roll({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(children, _EXPONENTS).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(st.sampled_from(["-", "-", "+", "not ", "~"]), children).map(lambda t: f"{t[0]}{t[1]}"),
        children.map(lambda c: f"sum({c})"),
        children.map(lambda c: f"mean({c})"),
    )


_EXPRESSIONS = st.recursive(_LEAVES, _grow, max_leaves=25)
_SUMMED = _EXPRESSIONS.map(lambda s: f"sum({s})")
_SCALARS = st.one_of(_EXPRESSIONS, _SUMMED, _SUMMED, _SUMMED, _EXPRESSIONS.map(lambda s: f"sum({s}, axis=0)"))


@pytest.mark.timeout(120)
@_FUZZ
@given(_SCALARS)
def test_fuzz_random_expressions_only_raise_expression_error(source):
    _accepts_or_rejects_cleanly(source)


# ---------------------------------------------------------------- the probe


@pytest.mark.parametrize(
    "source,fragment",
    [
        ("-sum(x**2)", "m2 > 2"),
        ("0.5*sum(grad(x)**2) - 2*sum(x**2)", "m2 > 4"),  # the design document's quadratic part
        ("0.5*sum(grad(x)**2)", "not to grow"),  # massless: flat along the constant field
        ("0.5*sum(grad(x)**2) + sum(x**2) - sum(x**4)", "lam*sum(x**6)"),
        ("sum(x**2) + sum(log(x))", "NaN"),
        ("sum(x**2)/0", "+inf already"),  # rises along every ray, but has no mass anywhere
    ],
)
def test_probe_flags_energies_without_a_boltzmann_distribution(source, fragment):
    message = probe_unbounded(parse_energy(source), (8, 8), jax.random.key(0))
    assert message is not None and fragment in message
    assert "no Boltzmann distribution" in message and "Heuristic" in message


def test_probe_names_the_constant_field_for_the_document_energy():
    with pytest.raises(ImproperEnergyError, match="unbounded below along .*the constant field.*m2 > 4"):
        parse_energy("0.5*sum(grad(x)**2) - 2*sum(x**2)").check_normalizable((8, 8))


@pytest.mark.parametrize(
    "source,params",
    [(GFF, {"m2": 1.0}), (GFF, {"m2": 0.05}), (PHI4, {"m2": -4.0, "lam": 8.0}), (PHI4, {"m2": 1.0, "lam": 0.1})],
)
def test_probe_accepts_proper_energies(source, params):
    energy = parse_energy(source, params)
    assert probe_unbounded(energy, (8, 8), jax.random.key(1)) is None
    energy.check_normalizable((8, 8))


def test_check_normalizable_rejects_a_non_positive_temperature():
    with pytest.raises(ImproperEnergyError, match="kT"):
        parse_energy(GFF, {"m2": 1.0}, kT=0.0).check_normalizable()


def test_the_module_never_calls_eval_exec_or_compile():
    modules = [expression] + [importlib.import_module(f"{expression.__name__}.{m.name}")
                              for m in pkgutil.iter_modules(expression.__path__)]
    assert len(modules) >= 5  # the package and its four modules: none is skipped
    for module in modules:
        tree = ast.parse(inspect.getsource(module))
        called = {node.func.id for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert not called & {"eval", "exec", "compile", "__import__", "getattr", "setattr", "globals", "vars"}
