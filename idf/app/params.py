"""Widgets bound to URL query parameters, so a link reproduces the view.

On a page's first run in a session each widget's value is read from
``st.query_params[name]``; a bad value (not a number, out of range, not one of
the options) is replaced by the nearest valid one or the default, and the
page shows an ``st.warning`` naming it: a URL never crashes a page. After each
run the URL holds every value that differs from its default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

# URL parameters that belong to the whole app, not to one page's controls: every
# page keeps them (projector mode and the Student/Expert level, idf.app.presentation).
APP_WIDE = ("projector", "level")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Controls:
    """Sidebar controls of one page; ``page`` namespaces their session keys.

    ``values`` maps each URL name to its current value (for the run's config,
    the npz file and the reproduce-in-Python snippet).
    """

    def __init__(self, page: str, container: Any = None) -> None:
        self.page = page
        self.container = container if container is not None else st.sidebar
        self.values: dict[str, Any] = {}
        self.defaults: dict[str, Any] = {}
        self.warnings: list[str] = []

    # -- binding -----------------------------------------------------------------
    def _key(self, name: str) -> str:
        return f"{self.page}.{name}"

    def _bind(self, name: str, default: Any, parse: Callable[[str], tuple[Any, str | None]]) -> str:
        key = self._key(name)
        shadow = f"_kept.{key}"
        if key not in st.session_state and shadow in st.session_state:
            # Streamlit forgets a widget's value while it is not drawn (e.g. the
            # weights of an energy not selected); bring the last one back.
            st.session_state[key] = st.session_state[shadow]
        if key not in st.session_state:
            value = default
            raw = st.query_params.get(name)
            if raw is not None:
                value, problem = parse(raw)
                if problem:
                    self.warnings.append(f"URL parameter `{name}={raw}`: {problem}")
            st.session_state[key] = value
        return key

    def _publish(self, name: str, value: Any, default: Any) -> Any:
        st.session_state[f"_kept.{self._key(name)}"] = value
        self.values[name] = value
        self.defaults[name] = default
        if value == default:
            if name in st.query_params:
                del st.query_params[name]
        else:
            st.query_params[name] = _format(value)
        return value

    # -- widgets -----------------------------------------------------------------
    def slider(self, name: str, label: str, lo: float, hi: float, default: float, step: float,
               help: str | None = None, fmt: str | None = None) -> float:
        """A float slider in [lo, hi] (``fmt``: printf format of the value, e.g. "%.5f")."""
        key = self._bind(name, default, lambda raw: _parse_number(raw, lo, hi, default, float))
        _clamp_state(key, lo, hi)
        value = self.container.slider(label, min_value=float(lo), max_value=float(hi), step=float(step),
                                      key=key, help=help, format=fmt)
        return self._publish(name, float(value), default)

    def int_slider(self, name: str, label: str, lo: int, hi: int, default: int, step: int = 1,
                   help: str | None = None) -> int:
        key = self._bind(name, default, lambda raw: _parse_number(raw, lo, hi, default, int))
        _clamp_state(key, lo, hi)
        value = self.container.slider(label, min_value=int(lo), max_value=int(hi), step=int(step),
                                      key=key, help=help)
        return self._publish(name, int(value), default)

    def select(self, name: str, label: str, options: Sequence[Any], default: Any,
               format_func: Callable[[Any], str] = str, help: str | None = None) -> Any:
        options = list(options)
        by_text = {str(o): o for o in options}

        def parse(raw: str) -> tuple[Any, str | None]:
            if raw in by_text:
                return by_text[raw], None
            return default, f"not one of {', '.join(map(str, options))}; using {default}."

        key = self._bind(name, default, parse)
        if st.session_state[key] not in options:  # options can shrink (e.g. no U-Net shipped)
            st.session_state[key] = default
        value = self.container.selectbox(label, options, key=key, format_func=format_func, help=help)
        return self._publish(name, value, default)

    def text(self, name: str, label: str, default: str, max_chars: int = 500, help: str | None = None) -> str:
        """A one-line text input (e.g. a custom energy); over-long URL values are cut with a warning."""

        def parse(raw: str) -> tuple[str, str | None]:
            if len(raw) > max_chars:
                return raw[:max_chars], f"longer than {max_chars} characters; cut."
            return raw, None

        key = self._bind(name, default, parse)
        value = self.container.text_input(label, key=key, max_chars=max_chars, help=help)
        return self._publish(name, str(value), default)

    def toggle(self, name: str, label: str, default: bool, help: str | None = None) -> bool:
        def parse(raw: str) -> tuple[bool, str | None]:
            low = raw.strip().lower()
            if low in _TRUE:
                return True, None
            if low in _FALSE:
                return False, None
            return default, f"not a yes/no value (use 1 or 0); using {int(default)}."

        key = self._bind(name, default, parse)
        value = self.container.toggle(label, key=key, help=help)
        return self._publish(name, bool(value), default)

    def prune(self, *others: Controls) -> None:
        """Drop URL parameters that no control on this run published (e.g. the
        weights of an energy that is no longer selected)."""
        keep = set(self.values).union(*(o.values for o in others), APP_WIDE)
        for name in list(st.query_params):
            if name not in keep:
                del st.query_params[name]

    def show_warnings(self) -> None:
        """Show what was wrong with the URL (call once, in the main area)."""
        for message in self.warnings:
            st.warning(message, icon="⚠️")


def _clamp_state(key: str, lo: float, hi: float) -> None:
    """Keep a slider's value inside a range that moved (e.g. S ≤ T when T drops)."""
    value = st.session_state[key]
    if value < lo or value > hi:
        st.session_state[key] = type(value)(min(max(value, lo), hi))


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _parse_number(raw: str, lo: float, hi: float, default: Any, kind: type) -> tuple[Any, str | None]:
    try:
        number = float(raw)
    except ValueError:
        return default, f"not a number; using the default {default}."
    if not math.isfinite(number):
        return default, f"not a finite number; using the default {default}."
    problem = None
    if kind is int and number != round(number):
        problem = f"not an integer; rounded to {round(number)}."
        number = round(number)
    if number < lo or number > hi:
        clamped = min(max(number, lo), hi)
        problem = f"outside [{lo}, {hi}]; clamped to {kind(clamped)}."
        number = clamped
    return kind(number), problem
