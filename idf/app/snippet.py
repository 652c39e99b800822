"""The "reproduce in Python" code block: the same ``idf`` calls a page made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st


def call(fn: str, *args: Any, **kwargs: Any) -> str:
    """``fn(arg, key=value, …)`` with values written as Python literals."""
    parts = [a if isinstance(a, _Raw) else repr(a) for a in args]
    parts += [f"{k}={v if isinstance(v, _Raw) else repr(v)}" for k, v in kwargs.items()]
    return f"{fn}({', '.join(parts)})"


class _Raw(str):
    """A string written as code, not as a literal."""


def raw(code: str) -> _Raw:
    return _Raw(code)


def show(lines: list[str], url_values: Mapping[str, Any] | None = None) -> None:
    """An expander with runnable code (and the URL parameters of this view)."""
    with st.expander("🐍 Reproduce in Python"):
        st.code("\n".join(lines), language="python")
        if url_values:
            query = "&".join(f"{k}={v}" for k, v in url_values.items())
            st.caption(f"This view's URL parameters: `?{query}`")
