"""Guided tours: plain TOML files in ``idf/app/tour_files/``, loaded and checked
once at start-up.

A tour file holds ``title``, an optional ``summary`` and an array of
``[[steps]]``; each step names a page (its url path), a ``view`` of that page
(the chart the Tour page draws, ``idf.app.tour_views.VIEWS``), the page's URL
state (``[steps.state]``, the page's own query parameters), a ``narration`` of
two or three sentences, a ``notice`` line and an optional ``question`` for the
room. Narration and notice are templates: every number they quote is a named
placeholder (``{exact_loop_kl:.3f}``) filled from the view's computed result,
never typed.

A bad file never stops the app: ``load_tours`` returns the good tours and one
``TourProblem`` per bad file, naming the file, the step and the field.
"""

from __future__ import annotations

import dataclasses
import os
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from idf.app.tour_views import VIEWS, check_state

TOUR_DIR = Path(__file__).resolve().parent / "tour_files"
STEP_FIELDS = {"title", "page", "view", "state", "narration", "notice", "question"}
TOUR_FIELDS = {"title", "summary", "steps"}


@dataclasses.dataclass(frozen=True)
class Step:
    """One step: ``state`` holds the page's URL parameters as TOML gave them
    (str, int, float or bool); ``narration``, ``notice`` and ``question`` are
    templates over the view's numbers."""

    title: str
    page: str
    view: str
    state: tuple[tuple[str, Any], ...]
    narration: str
    notice: str
    question: str = ""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.state)


@dataclasses.dataclass(frozen=True)
class Tour:
    """A tour: ``name`` is the file stem (the Tour page's ``?name=``)."""

    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]


class TourProblem(NamedTuple):
    """What is wrong with one tour file: ``step`` is 1-based (None: the file
    itself), ``field`` the key at fault."""

    file: str
    step: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"step {self.step}, " if self.step is not None else ""
        return f"{self.file}: {where}field `{self.field}`: {self.message}"


class TourError(ValueError):
    """A tour file that cannot be played; ``problem`` says where and why."""

    def __init__(self, problem: TourProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class TourBook(NamedTuple):
    """Every tour that loaded (by name, in file order) and every file that did not."""

    tours: dict[str, Tour]
    problems: list[TourProblem]


def placeholders(template: str) -> list[tuple[str, str]]:
    """(name, format spec) of every ``{name:spec}`` in ``template``."""
    return [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None]


def _text(raw: Mapping[str, Any], key: str, fail, required: bool = True) -> str:
    value = raw.get(key, None)
    if value is None:
        if required:
            fail(key, "missing (a string is required)")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        fail(key, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _check_template(template: str, names: set[str], key: str, fail) -> None:
    try:
        fields = placeholders(template)
    except ValueError as err:
        fail(key, f"not a valid template ({err}); write numbers as {{name:.3f}}")
    for name, spec in fields:
        if name not in names:
            fail(key, f"unknown placeholder {{{name}}}; this view computes {', '.join(sorted(names))}")
        try:
            format(1.0, spec)
        except ValueError:
            fail(key, f"bad format spec {{{name}:{spec}}}")


def _step(raw: Any, file: str, index: int) -> Step:
    def fail(key: str, message: str) -> None:
        raise TourError(TourProblem(file, index, key, message))

    if not isinstance(raw, dict):
        fail("steps", "each step must be a table ([[steps]])")
    unknown = set(raw) - STEP_FIELDS
    if unknown:
        fail(sorted(unknown)[0], f"not a step field (use {', '.join(sorted(STEP_FIELDS))})")
    page = _text(raw, "page", fail)
    view = _text(raw, "view", fail)
    if (page, view) not in VIEWS:
        pages = sorted({p for p, _ in VIEWS})
        if page not in pages:
            fail("page", f"{page!r} is not a page with tour views ({', '.join(pages)})")
        fail("view", f"{view!r} is not a view of page {page!r} ({', '.join(v for p, v in VIEWS if p == page)})")
    state = raw.get("state", {})
    if not isinstance(state, dict):
        fail("state", "must be a table of the page's URL parameters")
    problem = check_state(page, state)
    if problem is not None:
        key, message = problem
        fail(f"state.{key}", message)
    names = VIEWS[page, view].numbers(state)
    step = Step(
        title=_text(raw, "title", fail),
        page=page,
        view=view,
        state=tuple(state.items()),
        narration=_text(raw, "narration", fail),
        notice=_text(raw, "notice", fail),
        question=_text(raw, "question", fail, required=False),
    )
    for key in ("narration", "notice", "question"):
        _check_template(getattr(step, key), names, key, fail)
    return step


def load_tour(path: Path) -> Tour:
    """One tour file, checked; ``TourError`` names the file, step and field at fault."""
    file = path.name

    def fail(key: str, message: str) -> None:
        raise TourError(TourProblem(file, None, key, message))

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        fail("(file)", f"cannot be read: {err}")
    except tomllib.TOMLDecodeError as err:
        fail("(file)", f"is not valid TOML: {err}")
    unknown = set(raw) - TOUR_FIELDS
    if unknown:
        fail(sorted(unknown)[0], f"not a tour field (use {', '.join(sorted(TOUR_FIELDS))})")
    title = _text(raw, "title", fail)
    summary = _text(raw, "summary", fail, required=False)
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        fail("steps", "needs at least one [[steps]] table")
    return Tour(path.stem, title, summary, tuple(_step(s, file, i) for i, s in enumerate(steps, start=1)))


def tour_dir() -> Path:
    """Where the tours are: ``$IDF_TOUR_DIR`` if set (a lecturer's own folder, or a test's), else the shipped ones."""
    return Path(os.environ.get("IDF_TOUR_DIR") or TOUR_DIR)


def load_tours(folder: Path | None = None) -> TourBook:
    """Every ``*.toml`` in ``folder`` (default ``tour_dir()``), sorted by name; bad files become problems."""
    folder = tour_dir() if folder is None else folder
    tours: dict[str, Tour] = {}
    problems: list[TourProblem] = []
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            tour = load_tour(path)
        except TourError as err:
            problems.append(err.problem)
            continue
        tours[tour.name] = tour
    return TourBook(tours, problems)


def fill(template: str, numbers: Mapping[str, Any]) -> str:
    """The template with the view's computed numbers in it."""
    return template.format(**numbers)
