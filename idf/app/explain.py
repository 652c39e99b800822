"""The physics expander every page ends with: an explanation, then the design
document's claims beside what is true (DESIGN §3)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def physics(text: str, claims: Sequence[tuple[str, str]]) -> None:
    """An expander with ``text`` (markdown) and a claims-vs-truth table."""
    with st.expander("📖 The physics, and what the design document claims vs what is true"):
        st.markdown(text)
        if claims:
            rows = ["| the document claims | what is true (and measured on this page) |", "|---|---|"]
            rows += [f"| {claim} | {truth} |" for claim, truth in claims]
            st.markdown("\n".join(rows))
