"""Property-based fuzz of URL query parameters: any value in any parameter of
any page gives a page that renders (a warning at most), never an exception."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.apptest import assert_clean, page

PARAMS = {
    "energy": ["energy", "L", "seed", "wk", "wp", "wth", "m2", "kT", "gff_m2", "phi4_lam", "a", "radius", "expr",
               "params"],
    "forward": ["data", "L", "batch", "m2", "kT", "schedule", "T", "beta_start", "beta_end", "guided", "strength"],
    "reverse": ["target", "L", "m2", "schedule", "T", "method", "steps", "eta", "spacing", "temp", "gform",
                "guidance", "denoiser", "conserve", "n"],
    "arena": ["target", "L", "samplers", "chains", "steps", "burn", "adapt", "eps_hmc", "L_hmc", "phase", "expr",
              "params"],
    "physics": ["seed", "kT"],
}
VALUES = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e309", "999999", "hmc,hmc,nuts,mala,mh", "", "1", "true"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@pytest.mark.parametrize("name", sorted(PARAMS))
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_url_value_renders(name, data):
    keys = data.draw(st.lists(st.sampled_from(PARAMS[name]), min_size=1, max_size=3, unique=True))
    query = {k: data.draw(VALUES) for k in keys}
    if name == "energy" and ("expr" in query or "params" in query):
        query["energy"] = "custom"
    if name == "arena" and ("expr" in query or "params" in query):
        query["target"] = "custom"
    at = page(name, **query).run()
    assert_clean(at)
