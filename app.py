"""IDF Explorer: the Streamlit entry point. Pages are listed here, once."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="IDF Explorer", page_icon="🌡️", layout="wide")

HERE = Path(__file__).parent
# (file, title, icon, url path). A page whose file is not there yet is skipped.
PAGE_TABLE = [
    ("pages/home.py", "Home", "🏠", "home"),
    ("pages/energy.py", "Energy landscape", "⛰️", "energy"),
    ("pages/forward.py", "Forward diffusion", "➡️", "forward"),
    ("pages/reverse.py", "Reverse diffusion", "⬅️", "reverse"),
    ("pages/arena.py", "Sampler arena", "🏟️", "arena"),
    ("pages/multiscale.py", "Multi-scale", "🔍", "multiscale"),
    ("pages/training.py", "Training", "🧠", "training"),
    ("pages/physics.py", "Physics checks", "✅", "physics"),
]

pages = [
    st.Page(str(HERE / path), title=title, icon=icon, url_path=url, default=(url == "home"))
    for path, title, icon, url in PAGE_TABLE
    if (HERE / path).exists()
]
st.navigation(pages).run()
