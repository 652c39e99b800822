"""The Arena's partial reruns (issue 14, item 5): each sampler's column is a
``st.fragment`` that owns its ε control, so moving one sampler's ε reruns that
column alone. Counted two ways: ``arena_columns.COLUMN_RUNS`` (column bodies
executed) and ``arena.RUNS`` (``run_sampler`` cache misses, i.e. computations).

AppTest's ``run()`` always reruns the whole script; the browser's widget change
inside a fragment sends a rerun request naming that fragment. ``fragment_run``
sends exactly that request (Streamlit's ``RerunData.fragment_id_queue``)."""

import functools

import pytest
import streamlit as st
from streamlit.testing.v1 import local_script_runner

from idf.app import arena, arena_columns
from tests.app.apptest import assert_clean, page


def fragment_ids(at) -> list[str]:
    """The sampler columns' fragment ids, left to right (registered under ``arena_columns.COLUMN_KEY``)."""
    storage = at._fragment_storage
    return sorted(storage._ids_by_target_key[arena_columns.COLUMN_KEY], key=storage._registration_sequence_by_id.get)


def fragment_run(at, fragment_id: str):
    """Rerun one fragment, as the browser does when a widget inside it changes."""
    real = local_script_runner.RerunData
    local_script_runner.RerunData = functools.partial(real, fragment_id_queue=[fragment_id])
    try:
        return at.run()
    finally:
        local_script_runner.RerunData = real


@pytest.fixture(autouse=True)
def _no_cached_runs():
    """Start from empty caches: a value another test on this worker ran would be a cache hit, not a run."""
    st.cache_data.clear()


def test_one_samplers_step_size_reruns_its_column_only():
    at = page("arena").run()
    assert_clean(at)
    assert list(at.dataframe[0].value.index) == ["ULA", "MALA", "HMC"]
    ids = fragment_ids(at)
    assert len(ids) == 3  # one fragment per sampler column
    before_cols, before_runs = dict(arena_columns.COLUMN_RUNS), dict(arena.RUNS)
    table_before = at.dataframe[0].value.loc["HMC", "acceptance"]

    at.slider(key="arena.lattice.eps_hmc").set_value(0.3)
    at = fragment_run(at, ids[2])
    assert_clean(at)
    cols = {k: arena_columns.COLUMN_RUNS[k] - before_cols.get(k, 0) for k in ("langevin", "mala", "hmc")}
    runs = {k: arena.RUNS[k] - before_runs.get(k, 0) for k in ("langevin", "mala", "hmc")}
    assert cols == {"langevin": 0, "mala": 0, "hmc": 1}  # only HMC's column ran
    assert runs == {"langevin": 0, "mala": 0, "hmc": 1}  # and only HMC computed (a new ε: a cache miss)
    # HMC's column shows its new acceptance; the comparison below says it is still at the old ε
    metric = next(m for m in at.metric if m.label == "HMC acceptance")
    assert float(metric.value) < table_before - 0.05
    assert any("still show ε = 0.08" in i.value or "still show ε = 0.1" in i.value for i in at.info)
    assert at.query_params["eps_hmc"] in (["0.3"], "0.3")  # the URL follows the column's slider

    # "update the comparison" reruns the whole page: the table catches up, nothing else computes
    before_runs = dict(arena.RUNS)
    at.button(key="arena.refresh.hmc").click()
    at = fragment_run(at, ids[2])  # the click is a fragment rerun that asks for a full one
    assert_clean(at)
    assert {k: arena.RUNS[k] - before_runs.get(k, 0) for k in ("langevin", "mala", "hmc")} == {
        "langevin": 0, "mala": 0, "hmc": 0}  # fmt: skip
    assert abs(at.dataframe[0].value.loc["HMC", "acceptance"] - float(metric.value)) < 1e-3
    assert not any("still show ε" in i.value for i in at.info)


def test_a_full_rerun_recomputes_nothing_and_keeps_every_eps_in_the_url():
    at = page("arena", eps_mala="0.2").run()
    assert_clean(at)
    before = dict(arena.RUNS)
    at.slider(key="arena.gff.gff_m2").set_value(2.0).run()  # a sidebar control: a full rerun
    assert_clean(at)
    assert {k: arena.RUNS[k] - before.get(k, 0) for k in ("langevin", "mala", "hmc")} == {
        "langevin": 1, "mala": 1, "hmc": 1}  # fmt: skip
    before = dict(arena.RUNS)
    at.slider(key="arena.gff.gff_m2").set_value(2.0).run()  # same values again: all cached
    assert all(arena.RUNS[k] == before.get(k, 0) for k in ("langevin", "mala", "hmc"))
    assert at.query_params["eps_mala"] in (["0.2"], "0.2")
    assert at.slider(key="arena.lattice.eps_mala").value == 0.2
