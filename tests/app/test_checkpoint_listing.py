"""The app reads and verifies the shipped checkpoints once per state of assets/*.npz, not on
every rerun (the load test found ten sessions' script threads all hashing them)."""

from idf.app import data


def test_listing_is_read_once_per_state_of_the_assets(monkeypatch):
    reads = []

    def counting():
        reads.append(1)
        return [{"name": "x", "path": "x.npz"}]

    data._checkpoints.clear()
    monkeypatch.setattr(data, "shipped_checkpoints", counting)
    monkeypatch.setattr(data, "_fingerprint", lambda: (("x.npz", 10, 1),))
    first = data.checkpoints()
    for _ in range(5):
        assert data.checkpoints() == first
    assert len(reads) == 1  # five reruns, one read
    monkeypatch.setattr(data, "_fingerprint", lambda: (("x.npz", 11, 2),))  # the file was replaced
    data.checkpoints()
    assert len(reads) == 2
    data._checkpoints.clear()


def test_the_fingerprint_follows_the_shipped_files():
    names = [name for name, _, _ in data._fingerprint()]
    assert names == sorted(p.name for p in data.ASSETS.glob("*.npz")) and names
