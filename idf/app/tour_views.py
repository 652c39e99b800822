"""Every chart a tour step can show, by (page url, view name), and the check of
a step's URL state against what that page accepts.

Views live beside the pages they draw for: ``tour_diffusion`` (Forward,
Reverse) and ``tour_sampling`` (Energy, Sampler arena).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from idf.app import tour_diffusion, tour_sampling
from idf.app.tour_base import Field, State, StepView, View, check_value, url_value

VIEWS: dict[tuple[str, str], View] = {**tour_diffusion.VIEWS, **tour_sampling.VIEWS}

__all__ = ["VIEWS", "StepView", "check_state", "draw", "page_link"]


def _fields(page: str, state: State) -> dict[str, Field]:
    if page in tour_diffusion.URLS:
        return {k: f for k, (_, f) in tour_diffusion.URLS[page].items()}
    if page == "arena":
        return tour_sampling.arena_fields(state)
    return tour_sampling.energy_fields(state)


def check_state(page: str, state: Mapping[str, Any]) -> tuple[str, str] | None:
    """(URL name, why) for the first parameter ``page`` would not accept as given, else None."""
    fields = _fields(page, state)
    for name, value in state.items():
        if name not in fields:
            return name, f"not a URL parameter of the {page} page (it has {', '.join(sorted(fields))})"
        problem = check_value(name, value, fields[name])
        if problem:
            return name, problem
    if page == "arena":
        problem = tour_sampling.check_samplers(state)
        if problem:
            return "samplers", problem
    return None


def draw(page: str, view: str, state: State) -> StepView:
    """The step's chart and numbers: the page's compute with this state."""
    return VIEWS[page, view].draw(state)


def page_link(page: str, state: State) -> str:
    """``/<page>?<state>``: the same view on its own page."""
    query = urlencode({k: url_value(v) for k, v in state.items()})
    return f"/{page}" + (f"?{query}" if query else "")
