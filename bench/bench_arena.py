"""Sampler arena at its default settings: 8×8 GFF (m² = 1, kT = 1), 8 chains,
500 steps after 200 burn-in, seed 0, ULA / MALA / RW-MH / HMC at the page's
default step sizes (HMC L = 10).

Per sampler: ``run_chains`` cold (first call in a fresh Python process with
every persistent compile cache off: trace + compile + run, process start-up
and imports excluded) and warm (the compiled loop alone); then the whole page
computation
(``idf.app.arena.run_sampler`` without Streamlit's cache: chains, warm re-run
for ESS/s, every diagnostic) for all four samplers, warm. Medians of the
repetitions.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax

from idf.app import arena
from idf.energy import GaussianFreeField
from idf.samplers import make_sampler, run_chains

SAMPLERS = ("langevin", "mala", "mh", "hmc")
SIZE, CHAINS, STEPS, BURN_IN, SEED = 8, 8, 500, 200, 0


def _median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _chains(name: str):
    energy = GaussianFreeField(mass2=1.0, kT=1.0)
    sampler = make_sampler(name, arena.DEFAULT_STEP["lattice"][name], 10)
    x_init, key = arena.initial_positions("gff", SIZE, CHAINS, SEED)
    return lambda: jax.block_until_ready(
        run_chains(sampler, energy, key, x_init, STEPS, burn_in=BURN_IN, warn=False).positions)


def _cold_seconds(name: str) -> float:
    """Seconds of the first ``run_chains`` call in a fresh process, no compile cache."""
    root = Path(__file__).resolve().parents[1]
    code = (f"import time, bench_arena as b; go = b._chains({name!r}); t = time.perf_counter(); go(); "
            "print(time.perf_counter() - t)")
    with tempfile.TemporaryDirectory() as empty:
        env = dict(os.environ, IDF_COMPILE_CACHE="0", IDF_CACHE_DIR=empty, JAX_ENABLE_COMPILATION_CACHE="false",
                   PYTHONPATH=os.pathsep.join([str(root), str(root / "bench")]))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                             timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    reps_cold, reps_warm = (1, 3) if quick else (3, 7)
    rows = []
    for name in SAMPLERS:
        go = _chains(name)
        t_cold = statistics.median(_cold_seconds(name) for _ in range(reps_cold))
        go()
        t_warm = _median_time(go, reps_warm)
        label = arena.SAMPLER_LABELS[name]
        rows.append({"name": f"{label}: run_chains cold (compile + run)", "value": t_cold, "unit": "s",
                     "note": f"8×8 GFF, {CHAINS} chains × ({BURN_IN} + {STEPS}) steps, median of {reps_cold}"})
        rows.append({"name": f"{label}: run_chains warm", "value": t_warm, "unit": "s",
                     "baseline": t_cold, "ratio": t_warm / t_cold, "note": f"median of {reps_warm}; ratio warm/cold"})
    config = arena.ArenaConfig(samplers=SAMPLERS, chains=CHAINS, steps=STEPS, burn_in=BURN_IN, seed=SEED)
    page = arena.run_sampler.__wrapped__

    def all_four():
        return [page(config.run_spec(n)) for n in SAMPLERS]

    all_four()  # compile everything once
    t_page = _median_time(all_four, max(1, reps_warm // 2))
    rows.append({"name": "page compute, four samplers, warm (chains + warm re-run + diagnostics)",
                 "value": t_page, "unit": "s", "note": "idf.app.arena.run_sampler without st.cache_data"})
    results = all_four()
    for name, res in zip(SAMPLERS, results, strict=True):
        row = res.row
        rows.append({"name": f"{arena.SAMPLER_LABELS[name]}: acceptance / ESS/s / Fourier KL",
                     "value": row.acceptance, "unit": "probability",
                     "note": f"ESS/s {row.ess_per_second:.3g} (slowest of φ, m); KL {row.fourier_kl:.3f} nats "
                             f"at n = {row.n_draws} (i.i.d. bias {row.kl_bias:.3f})"})
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick=True):
        print(r)
