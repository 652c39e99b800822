"""The compilation cache never confuses two samplers whose pytrees look alike:
ULA and MALA with the same step size, shapes and counts (one traced leaf each,
no static fields). In one process (``jax.jit``'s own cache) and in two
processes sharing a persistent cache folder (a tmp dir: never the user's): the
second process reads the first one's entries, and each sampler's chains are
its own, bit for bit."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np

from idf.energy import GaussianFreeField
from idf.samplers import MALA, Langevin, run_chains

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import hashlib, json, sys
import jax, numpy as np
from jax import monitoring
from idf import device
device.configure(cache_dir=sys.argv[1])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
hits = []
monitoring.register_event_listener(lambda e, **kw: hits.append(e) if e == "/jax/compilation_cache/cache_hits" else None)
from idf.energy import GaussianFreeField
from idf.samplers import MALA, Langevin, run_chains
x0 = 0.5 * jax.random.normal(jax.random.key(1), (4, 6, 6))
out = {}
for name in sys.argv[2].split(","):
    sampler = Langevin(0.1) if name == "ula" else MALA(0.1)
    r = run_chains(sampler, GaussianFreeField(1.0, 1.0), jax.random.key(0), x0, 80, burn_in=10, warn=False)
    out[name] = [hashlib.sha256(np.asarray(r.positions).tobytes()).hexdigest(), float(np.mean(r.accepted))]
out["hits"] = len(hits)
print(json.dumps(out))
"""


def run_in_process(cache: Path, order: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IDF_COMPILE_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(cache), order], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ula_and_mala_with_alike_pytrees_stay_apart_in_one_process():
    energy, x0 = GaussianFreeField(1.0, 1.0), 0.5 * jax.random.normal(jax.random.key(1), (4, 6, 6))
    mala = run_chains(MALA(0.1), energy, jax.random.key(0), x0, 80, burn_in=10, warn=False)
    ula = run_chains(Langevin(0.1), energy, jax.random.key(0), x0, 80, burn_in=10, warn=False)
    mala_again = run_chains(MALA(0.1), energy, jax.random.key(0), x0, 80, burn_in=10, warn=False)
    assert bool(np.all(ula.accepted)) and not bool(np.all(mala.accepted))  # ULA never rejects; MALA does
    assert not np.allclose(ula.positions, mala.positions)
    np.testing.assert_array_equal(mala.positions, mala_again.positions)
    assert jax.tree.structure(MALA(0.1)) != jax.tree.structure(Langevin(0.1))


def test_two_processes_sharing_a_cache_folder_keep_ula_and_mala_apart(tmp_path):
    cache = tmp_path / "jax-cache"
    first = run_in_process(cache, "mala,ula")  # fills the cache, MALA compiled just before ULA
    assert any(p.name.startswith("jit__run") for p in cache.iterdir())
    second = run_in_process(cache, "ula,mala")  # reads it, in the other order
    assert second["hits"] >= 2, second  # both loops came from the cache
    assert second["ula"] == first["ula"] and second["mala"] == first["mala"]
    assert first["ula"][0] != first["mala"][0]
    assert first["ula"][1] == 1.0 and first["mala"][1] < 1.0


def test_the_minimum_compile_time_to_store_is_read_from_the_environment(monkeypatch):
    from idf import device

    for value, expected in [("0", 0.0), ("2.5", 2.5), ("-1", 0.5), ("soon", 0.5)]:
        monkeypatch.setenv("IDF_COMPILE_CACHE_MIN_SECS", value)
        assert device._min_compile_secs() == expected
    monkeypatch.delenv("IDF_COMPILE_CACHE_MIN_SECS")
    assert device._min_compile_secs() == 0.5
