"""The verdict is built from the numbers: change a number, the text changes."""

import numpy as np

from idf.diagnostics.verdict import Status, Summary, key_numbers, summarize, verdict


def good(**changes):
    s = Summary(
        sampler="hmc", num_chains=4, num_draws=1000,
        rhat={"energy": 1.002, "m": 1.004}, ess_bulk={"energy": 900.0, "m": 1200.0},
        ess_tail={"energy": 800.0, "m": 700.0}, mcse={"energy": 0.01, "m": 0.001},
        acceptance=0.82, divergences=0, e_bfmi=(0.9, 1.0, 0.95, 1.1), stuck=0,
    )
    return s._replace(**changes)


def test_good_chains_say_so_with_the_worst_numbers():
    v = verdict(good())
    assert v.status is Status.GOOD and v.problems == ()
    assert "R-hat is below 1.01 for every quantity (worst 1.004, m)" in v.paragraph
    assert "bulk ESS is at least 100 per chain for every quantity (smallest 900, energy)" in v.paragraph
    assert "tail ESS is at least 100 per chain for every quantity (smallest 700, m)" in v.paragraph
    assert "E-BFMI is at least 0.3 in every chain (lowest 0.90)" in v.paragraph


def test_absurd_step_size_names_acceptance_and_the_fix():
    v = verdict(good(acceptance=0.12))
    assert v.status is Status.WARNING and v.worst == "acceptance"
    assert v.headline.startswith("step size too large: acceptance 0.12 — lower ε or turn on adaptation")
    assert "acceptance 0.31" in verdict(good(acceptance=0.31)).headline  # the number is read, not fixed


def test_rhat_above_threshold_is_named_with_its_quantity():
    v = verdict(good(rhat={"energy": 1.002, "m": 1.31}))
    assert v.worst == "m" and "R-hat is 1.310 for m" in v.headline
    assert "R-hat is 1.420 for m" in verdict(good(rhat={"energy": 1.002, "m": 1.42})).headline


def test_small_ess_tells_how_much_longer_to_run():
    v = verdict(good(ess_bulk={"energy": 40.0, "m": 1200.0}))
    assert "bulk ESS is 40 for energy, below 100 per chain (400)" in v.headline
    assert "about 10× more draws" in v.headline


def test_order_of_seriousness_and_every_problem_in_the_paragraph():
    v = verdict(good(divergences=7, rhat={"energy": 1.05, "m": 1.0}, num_chains=2, e_bfmi=(0.2, 0.5)))
    kinds = [p.kind for p in v.problems]
    assert kinds[0] == "divergent" and "7 divergent transitions" in v.headline
    assert kinds.index("rhat") < kinds.index("e_bfmi") < kinds.index("chains")
    assert "E-BFMI is 0.20 in chain 0" in v.paragraph and "only 2 chains" in v.paragraph


def test_not_enough_draws_unless_something_is_already_certain():
    assert verdict(good(num_draws=20)).status is Status.UNDECIDED
    assert verdict(good(num_draws=20)).headline == "Not enough draws to judge"
    early = verdict(good(num_draws=20, stuck=3))
    assert early.status is Status.WARNING and "3 of 4 chains never moved" in early.headline
    assert "Not enough draws to judge the rest" in early.paragraph


def test_mh_has_no_adaptation_to_suggest():
    v = verdict(good(sampler="mh", acceptance=0.02, e_bfmi=None))
    assert "lower ε (efficient" in v.headline and "adaptation" not in v.headline


def test_summarize_computes_the_numbers_from_chains():
    rng = np.random.default_rng(0)
    draws = {"x": rng.normal(size=(4, 400)), "stuck": np.concatenate([rng.normal(size=(3, 400)), np.ones((1, 400))])}
    s = summarize(draws, sampler="mala", accepted=rng.random((4, 400)) < 0.6, divergent=np.zeros((4, 400), bool))
    assert s.num_chains == 4 and s.num_draws == 400 and s.stuck == 1
    assert s.rhat["x"] < 1.01 < s.rhat["stuck"]
    assert abs(s.acceptance - 0.6) < 0.03
    v = verdict(s)
    assert v.problems[0].kind == "stuck" and "1 of 4 chains never moved" in v.headline
    assert set(key_numbers(s)) == {"R-hat (worst)", "ESS (smallest)", "acceptance"}


def test_constant_chains_give_zero_ess_and_a_warning_not_a_large_ess():
    s = summarize({"x": np.full((4, 200), 2.0)}, sampler="hmc", accepted=np.zeros((4, 200), bool))
    assert s.ess_bulk["x"] == 0.0 and s.stuck == 4
    v = verdict(s)
    assert v.status is Status.WARNING and "never moved" in v.headline
