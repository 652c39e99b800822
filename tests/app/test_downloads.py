"""Download payloads: the .npz round-trips through idf.io with its config."""

import numpy as np

from idf.app.downloads import npz_bytes
from idf.io import load_npz


def test_npz_bytes_round_trip(tmp_path):
    payload = npz_bytes({"samples": np.arange(6.0).reshape(1, 2, 3)}, {"page": "reverse", "eta": 0.5})
    path = tmp_path / "r.npz"
    path.write_bytes(payload)
    arrays, config = load_npz(path)
    np.testing.assert_array_equal(arrays["samples"], np.arange(6.0).reshape(1, 2, 3))
    assert config == {"page": "reverse", "eta": 0.5}
