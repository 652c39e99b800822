"""Slider tables for the energies' parameters, and the custom energy's text
boxes, shared by the pages.

Each row is (URL name, library field, label, low, high, default, step). The
toys have one table everywhere; the lattice energies' defaults differ by page
(the Energy page opens on the document's improper default, the Arena on a
proper one), so those tables stay with each page (the Energy page's in
``idf.app.energy.PARAMS``, beside the config whose defaults they are). A typed
φ has the same controls and URL names (``expr``, ``params``, ``custom_kT``) on
every page, so a link's expression carries from one page to another.
"""

from __future__ import annotations

from typing import Any

from idf.energy import EXPRESSION_FUNCTIONS

Row = tuple[str, str, str, float, float, float, float]

TOY_PARAMS: dict[str, list[Row]] = {
    "banana": [("a", "a", "a (width along x₁)", 0.5, 3.0, 1.5, 0.05), ("b", "b", "b (curvature)", 0.0, 1.5, 0.5, 0.05)],
    "donut": [
        ("radius", "radius", "ring radius", 1.0, 3.5, 2.5, 0.05),
        ("width", "width", "ring width σ", 0.1, 1.0, 0.35, 0.01),
    ],
    "mixture": [
        ("radius", "radius", "ring radius", 1.0, 4.0, 3.0, 0.05),
        ("scale", "scale", "component s.d.", 0.2, 1.5, 0.5, 0.05),
    ],
    "funnel": [("sigma_v", "sigma_v", "σ_v (neck depth)", 0.5, 4.0, 3.0, 0.1)],
}

# A typed φ in the safe expression language (idf.energy.parse_energy): the Energy page's defaults.
CUSTOM_PARAMS: list[Row] = [("custom_kT", "kT", "kT (temperature)", 0.1, 5.0, 1.0, 0.05)]
CUSTOM_EXPR = "0.5*sum(grad(x)**2) + 0.5*m2*sum(x**2) + 0.25*lam*sum(x**4)"
CUSTOM_PARAMS_TEXT = "m2=1, lam=0.5"
CUSTOM_HELP = (
    "Functions: " + ", ".join(EXPRESSION_FUNCTIONS) + ". x is the field; ** takes a number exponent "
    "(|p| ≤ 8). Never evaluated as Python."
)


def custom_text_boxes(controls: Any) -> tuple[str, str]:
    """The expression and its parameters as two text boxes of ``controls`` (a
    ``ui.Controls``), bound to the URL names ``expr`` and ``params``: returns
    (expression text, parameter text such as 'm2=1, lam=0.5')."""
    source = controls.text("expr", "φ(x) =", CUSTOM_EXPR, help=CUSTOM_HELP)
    params_text = controls.text(
        "params", "parameters (NAME=NUMBER, comma-separated)", CUSTOM_PARAMS_TEXT, max_chars=200
    )
    return source, params_text
