"""Deep links on a fresh server.

Streamlit decides once per process whether the app uses the legacy ``pages/``
directory: until ``app.py`` has called ``st.navigation``, a first request for
``/reverse`` runs ``pages/reverse.py`` on its own (legacy multipage mode: file
names in the sidebar, no page config). Every page calls ``ensure_app()``
first: in that mode it switches Streamlit to ``st.navigation`` and reruns, so
``app.py`` runs and shows the page properly, URL parameters intact.
"""

from __future__ import annotations

import streamlit as st


def ensure_app() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # another Streamlit layout: nothing to fix
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()
