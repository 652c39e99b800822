"""The app's pages, listed once: app.py builds ``st.navigation`` from this table,
and the tests find a page's script through it.

No page file's stem equals its ``url_path``: where one did, a fresh server's
first visit to a deep link (``/reverse?eta=0.5``) fell into Streamlit's legacy
``pages/`` folder mode, with raw file names in the sidebar and the page's
config and URL parameters lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]


class PageEntry(NamedTuple):
    file: str  # relative to the repository root
    title: str
    icon: str
    url: str  # url_path; never the file's stem

    @property
    def path(self) -> Path:
        return ROOT / self.file


PAGES: tuple[PageEntry, ...] = (
    PageEntry("pages/home_page.py", "Home", ":material/home:", "home"),
    PageEntry("pages/energy_landscape.py", "Energy landscape", ":material/landscape:", "energy"),
    PageEntry("pages/forward_diffusion.py", "Forward diffusion", ":material/arrow_forward:", "forward"),
    PageEntry("pages/reverse_diffusion.py", "Reverse diffusion", ":material/arrow_back:", "reverse"),
    PageEntry("pages/sampler_arena.py", "Sampler arena", ":material/compare:", "arena"),
    PageEntry("pages/multi_scale.py", "Multi-scale", ":material/zoom_in:", "multiscale"),
    PageEntry("pages/model_training.py", "Training", ":material/model_training:", "training"),
    PageEntry("pages/physics_checks.py", "Physics checks", ":material/verified:", "physics"),
    PageEntry("pages/phase_transition.py", "Phase transition", ":material/thermostat:", "phase"),
    PageEntry("pages/guided_tour.py", "Tour", ":material/school:", "tour"),
)
BY_URL = {p.url: p for p in PAGES}


def page_file(url: str) -> Path:
    """The script behind ``url`` ("reverse" -> .../pages/reverse_diffusion.py)."""
    return BY_URL[url].path
