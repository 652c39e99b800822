"""``prefix_power``: the Arena's KL-against-draws curve from one FFT of every draw."""

import numpy as np

from idf import diagnostics


def test_prefix_power_is_the_empirical_power_of_each_prefix():
    """One FFT per draw plus cumulative sums equals ``empirical_power`` of every prefix of the
    chains (C·s draws), in small blocks too; a non-finite draw makes its prefixes NaN only."""
    rng = np.random.default_rng(5)
    chains = rng.normal(size=(3, 40, 4, 6))
    lengths = np.array([1, 7, 8, 40])
    for block in (1 << 21, 30):  # one block; blocks of one step
        got = diagnostics.prefix_power(chains, lengths, block=block)
        for p, k in zip(got, lengths, strict=True):
            np.testing.assert_allclose(p, diagnostics.empirical_power(chains[:, :k].reshape(-1, 4, 6)), rtol=1e-12)
    chains[1, 9, 2, 3] = np.nan
    got = diagnostics.prefix_power(chains, lengths)
    assert np.isfinite(got[:3]).all() and np.isnan(got[3]).any()
