"""Sampler throughput: gradient evaluations/s and ESS/s of HMC and MALA on the
8×8 GFF (m² = 1) and φ⁴ (m² = −4, λ = 5), three ways on the same target and
settings:

* ours: ``idf.samplers.run_chains`` (jit + scan over steps + vmap over chains);
* blackjax: ``blackjax.hmc`` / ``blackjax.mala`` in the same jit + scan + vmap
  loop (BlackJAX's MALA step h maps to ours as ε = 2h: x + h∇log p + √(2h)z);
* python loop: our kernel, vmapped and jitted per step, looped in Python (as
  the design document writes its sampler).

ESS is the bulk ESS (``idf.diagnostics.ess_bulk``) of the magnetisation and
the energy, the smaller of the two. With the same keys our HMC and MALA follow
BlackJAX's chains step for step (tests/samplers/test_phi4.py), so their ESS
agree and the ESS/s ratio is the speed ratio. Times are medians over repetitions of
warm calls (compile excluded).
"""

from __future__ import annotations

import statistics
import time

import blackjax
import jax
import jax.numpy as jnp
import numpy as np

from idf.diagnostics import ess_bulk
from idf.energy import GaussianFreeField, Phi4
from idf.samplers import HMC, MALA, run_chains
from idf.samplers.blackjax_reference import blackjax_runner

TARGETS = {
    "gff": (GaussianFreeField(1.0, 1.0), {"hmc": (0.25, 8), "mala": (0.12, 1)}),
    "phi4": (Phi4(-4.0, 5.0), {"hmc": (0.1, 10), "mala": (0.02, 1)}),
}


def _ess(energy, positions) -> float:
    x = np.asarray(positions, np.float64)
    m = x.mean(axis=(-2, -1))
    e = np.asarray(jax.vmap(jax.vmap(energy.energy))(jnp.asarray(positions)), np.float64)
    return float(min(ess_bulk(m), ess_bulk(e)))


def _ours_runner(name, energy, eps, leap, steps):
    sampler = HMC(eps, leap) if name == "hmc" else MALA(eps)
    return lambda key, x0: jax.block_until_ready(run_chains(sampler, energy, key, x0, steps, warn=False).positions)


def _blackjax_runner(name, energy, eps, leap, steps):
    size = 64
    if name == "hmc":
        algo = blackjax.hmc(energy.logdensity, eps, jnp.ones(size), leap)
    else:
        algo = blackjax.mala(energy.logdensity, 0.5 * eps)
    run = blackjax_runner(algo, steps)
    return lambda key, x0: jax.block_until_ready(run(key, x0))


def _python_loop_runner(name, energy, eps, leap, steps):
    sampler = HMC(eps, leap) if name == "hmc" else MALA(eps)
    init = jax.jit(jax.vmap(sampler.init, in_axes=(0, None)))
    step = jax.jit(jax.vmap(sampler.step, in_axes=(0, 0, None)))

    def run(key, x0):
        states = init(x0, energy)
        out = []
        for k in jax.random.split(key, steps):
            states, _ = step(jax.random.split(k, x0.shape[0]), states, energy)
            out.append(states.position)
        return jax.block_until_ready(jnp.stack(out, axis=1))

    return run


def _time(fn, reps, x0):
    fn(jax.random.key(100), x0)  # compile / warm-up
    times, result = [], None
    for r in range(reps):
        start = time.perf_counter()
        result = fn(jax.random.key(r), x0)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(quick: bool) -> list[dict]:
    chains, steps, reps = (16, 2000, 3) if quick else (64, 4000, 5)
    loop_steps = 100 if quick else 400  # the Python loop is slow; rate is per step anyway
    rows = []
    for target, (energy, settings) in TARGETS.items():
        x0 = 0.5 * jax.random.normal(jax.random.key(0), (chains, 8, 8))
        x0 = _ours_runner("hmc", energy, *settings["hmc"], 200)(jax.random.key(1), x0)[:, -1]  # equilibrate
        for name, (eps, leap) in settings.items():
            grads = chains * steps * leap
            label = f"{name} {target} 8×8 ({chains} chains × {steps} steps, ε={eps}" + (
                f", L={leap})" if name == "hmc" else ")"
            )
            t_ours, p_ours = _time(_ours_runner(name, energy, eps, leap, steps), reps, x0)
            t_bj, p_bj = _time(_blackjax_runner(name, energy, eps, leap, steps), reps, x0)
            t_loop, _ = _time(_python_loop_runner(name, energy, eps, leap, loop_steps), max(1, reps - 1), x0)
            ess_ours, ess_bj = _ess(energy, p_ours), _ess(energy, p_bj)
            g_ours, g_bj = grads / t_ours, grads / t_bj
            g_loop = chains * loop_steps * leap / t_loop
            rows += [
                {"name": f"{label}: gradient evals/s, ours vs blackjax", "value": g_ours, "unit": "grad/s",
                 "baseline": g_bj, "ratio": g_ours / g_bj, "note": "ratio = ours / blackjax"},
                {"name": f"{label}: ESS/s, ours vs blackjax", "value": ess_ours / t_ours, "unit": "ESS/s",
                 "baseline": ess_bj / t_bj, "ratio": (ess_ours / t_ours) / (ess_bj / t_bj),
                 "note": f"bulk ESS (min of m, φ): ours {ess_ours:.0f}, blackjax {ess_bj:.0f}"},
                {"name": f"{label}: ESS per gradient eval", "value": ess_ours / grads, "unit": "ESS/grad",
                 "baseline": ess_bj / grads, "ratio": ess_ours / ess_bj, "note": "ratio = ours / blackjax"},
                {"name": f"{label}: gradient evals/s, ours vs python loop", "value": g_ours, "unit": "grad/s",
                 "baseline": g_loop, "ratio": g_ours / g_loop,
                 "note": f"python loop: jitted vmapped step, {loop_steps} steps looped in Python"},
            ]
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
