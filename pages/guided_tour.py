"""Guided tours: one idea per step, each step a page's view with its own URL
(/tour?name=diffusion&step=4), a narration whose numbers are computed, a line
on what to notice and a question for the room."""

from pathlib import Path

import streamlit as st

from idf.app import presentation, tour_views, tours

show = presentation.apply()
st.title("🎓 Guided tour")


@st.cache_resource(show_spinner=False)
def _book(folder: str) -> tours.TourBook:
    return tours.load_tours(Path(folder))  # once per server and folder; a bad file is reported below


book = _book(str(tours.tour_dir()))
for problem in book.problems:
    st.error(f"**This tour file cannot be played:** {problem}", icon="🚫")
if not book.tours:
    st.info(f"No playable tour: fix the file named above (in {tours.tour_dir()}).")
    st.stop()

names = list(book.tours)
name = st.query_params.get("name", names[0])
if name not in book.tours:
    st.warning(f"URL parameter `name={name}`: no such tour; showing `{names[0]}`.", icon="⚠️")
    name = names[0]
tour = book.tours[name]
count = len(tour.steps)
try:
    number = min(max(int(st.query_params.get("step", "1")), 1), count)
except ValueError:
    st.warning(f"URL parameter `step={st.query_params['step']}`: not a step number; showing step 1.", icon="⚠️")
    number = 1


def _go(tour_name: str, step_number: int) -> None:
    st.query_params["name"] = tour_name
    st.query_params["step"] = str(step_number)


_go(name, number)


def _pick() -> None:
    _go(st.session_state["tour.name"], 1)


st.session_state["tour.name"] = name
st.sidebar.selectbox("Tour", names, key="tour.name", on_change=_pick, format_func=lambda n: book.tours[n].title)
st.sidebar.caption(tour.summary)
st.sidebar.markdown("\n".join(f"{i}. [{s.title}](/tour?name={name}&step={i})" for i, s in enumerate(tour.steps, 1)))

step = tour.steps[number - 1]
st.subheader(f"{tour.title} · step {number} of {count}: {step.title}")
nav = st.columns([1, 1, 4])
nav[0].button("◀ Previous", key="tour.prev", disabled=number == 1, on_click=_go, args=(name, number - 1),
              shortcut="Left", width="stretch")
nav[1].button("Next ▶", key="tour.next", disabled=number == count, on_click=_go, args=(name, number + 1),
              shortcut="Right", type="primary", width="stretch")
nav[2].caption("Keys: ← previous, → next. Each step has its own link: copy the address bar.")

with st.spinner("Computing this step …"):
    view = tour_views.draw(step.page, step.view, step.params)
# On a projector (1280×720, large type) the chart goes beside the words, so it is above the fold.
words, picture = st.columns([2, 3], gap="medium") if show.projector else (st.container(), st.container())
words.markdown(tours.fill(step.narration, view.numbers))
with picture:
    presentation.chart(view.figure, key="tour.chart")
words.info(f"**What to notice:** {tours.fill(step.notice, view.numbers)}", icon="👀")
if step.question:
    words.success(f"**Question for the room:** {tours.fill(step.question, view.numbers)}", icon="🙋")
link = tour_views.page_link(step.page, step.params)
words.markdown(f"[Open this view on its page ↗]({link})")
if not show.student:
    with st.expander("Expert: this step's URL state and every number the narration can quote"):
        st.caption(view.caption)
        st.json({"page": step.page, "view": step.view, "state": step.params})
        st.dataframe({"name": list(view.numbers), "value": [str(v) for v in view.numbers.values()]},
                     hide_index=True)
