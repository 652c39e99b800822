"""IDF Explorer: the Streamlit entry point. Pages are listed here, once."""

import streamlit as st

st.set_page_config(page_title="IDF Explorer", page_icon="🌡️", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
]

st.navigation(PAGES).run()
