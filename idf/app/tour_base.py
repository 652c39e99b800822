"""What a tour view is: a page's URL state in, one chart and its numbers out.

A ``Field`` describes one URL parameter of a page (type, range, choices), so a
tour file's ``[steps.state]`` is checked against what the page itself would
accept: a step's "open this view on its page" link never lands on a clamped
slider. ``StepView`` is what a view returns; its ``numbers`` fill the step's
narration.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import plotly.graph_objects as go

State = Mapping[str, Any]


class Field(NamedTuple):
    """One URL parameter: ``kind`` int, float, str or bool; ``lo``/``hi`` the
    slider's range (numbers); ``choices`` the options (strings)."""

    kind: type
    lo: float = -math.inf
    hi: float = math.inf
    choices: tuple[str, ...] = ()


class StepView(NamedTuple):
    """One step's chart (a Plotly figure) and the numbers (by placeholder name)
    its narration quotes; ``caption`` says what the chart shows."""

    figure: go.Figure
    numbers: dict[str, Any]
    caption: str = ""


@dataclasses.dataclass(frozen=True)
class View:
    """``draw(state) -> StepView``; ``names(state)``: the placeholders it fills
    (a function of the state where, e.g., the samplers chosen decide them)."""

    draw: Callable[[State], StepView]
    names: Callable[[State], set[str]]

    def numbers(self, state: State) -> set[str]:
        return set(self.names(state))


def fixed(*names: str) -> Callable[[State], set[str]]:
    return lambda state: set(names)


def check_value(name: str, value: Any, field: Field) -> str | None:
    """Why ``value`` is not a valid ``name`` for this field, or None."""
    if field.kind is bool:
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if field.kind is str:
        if not isinstance(value, str):
            return f"must be a string, got {value!r}"
        if field.choices and value not in field.choices:
            return f"{value!r} is not one of {', '.join(field.choices)}"
        return None
    ok = isinstance(value, int) if field.kind is int else isinstance(value, int | float)
    if not ok or isinstance(value, bool):
        return f"must be {'an integer' if field.kind is int else 'a number'}, got {value!r}"
    if not field.lo <= value <= field.hi:
        return f"{value!r} is outside the page's range [{field.lo:g}, {field.hi:g}]"
    return None


def url_value(value: Any) -> str:
    """How the page's URL writes a value (booleans as 1/0, floats to 6 digits)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
