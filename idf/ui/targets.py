"""Slider tables for the energies' parameters, shared by the pages.

Each row is (URL name, library field, label, low, high, default, step). The
toys have one table everywhere; the lattice energies' defaults differ by page
(the Energy page opens on the document's improper default, the Arena on a
proper one), so those tables stay with their pages.
"""

from __future__ import annotations

Row = tuple[str, str, str, float, float, float, float]

TOY_PARAMS: dict[str, list[Row]] = {
    "banana": [("a", "a", "a (width along x₁)", 0.5, 3.0, 1.5, 0.05),
               ("b", "b", "b (curvature)", 0.0, 1.5, 0.5, 0.05)],
    "donut": [("radius", "radius", "ring radius", 1.0, 3.5, 2.5, 0.05),
              ("width", "width", "ring width σ", 0.1, 1.0, 0.35, 0.01)],
    "mixture": [("radius", "radius", "ring radius", 1.0, 4.0, 3.0, 0.05),
                ("scale", "scale", "component s.d.", 0.2, 1.5, 0.5, 0.05)],
    "funnel": [("sigma_v", "sigma_v", "σ_v (neck depth)", 0.5, 4.0, 3.0, 0.1)],
}
