"""HMC against diffusion-MH at the broken-phase φ⁴ target (L = 8, m² = −4, λ = 3),
charged honestly (idf.diagnostics.cost): ESS per second and per gradient-
equivalent, with and without the training amortised, and the break-even.

    .venv/bin/python bench/bench_cost.py [--chains 8] [--steps 200] [--checkpoint assets/phi4_broken8_unet_long.npz]

Timings exclude compilation (each sampler runs once to compile, then again,
timed, with a fresh key). Observables: |m| (both samplers mix it) and m itself
(HMC cannot cross between the two modes, so its ESS of m is that of a few
frozen chains)."""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

from idf.diagnostics import effective_sample_size, magnetization, phi4_observables
from idf.diagnostics.cost import Cost, compare, relative_cost, training_cost
from idf.diffusion import make_schedule
from idf.energy import Phi4
from idf.models import load_denoiser
from idf.samplers import HMC, run_chains
from idf.samplers.diffusion_mh import diffusion_mh_chains


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chains", type=int, default=8)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--hmc-steps", type=int, default=2000)
    ap.add_argument("--inference-steps", type=int, default=50)
    ap.add_argument("--checkpoint", default="assets/phi4_broken8_unet_long.npz")
    a = ap.parse_args()
    target, shape = Phi4(-4.0, 3.0), (8, 8)
    den, info = load_denoiser(a.checkpoint)
    schedule = make_schedule(**info["schedule"])

    def diffusion(seed: int):
        return diffusion_mh_chains(jax.random.key(seed), den, schedule, target, shape, a.chains, a.steps,
                                   inference_steps=a.inference_steps, batch=512)

    def hmc(seed: int):
        x0 = 0.5 * jax.random.normal(jax.random.key(100 + seed), (a.chains, *shape))
        return run_chains(HMC(0.1, 10), target, jax.random.key(seed), x0, a.hmc_steps, burn_in=500, warn=False)

    diffusion(99)  # compile
    t = time.perf_counter()
    dm = diffusion(0)
    jax.block_until_ready(dm.result.positions)
    t_diff = time.perf_counter() - t
    hmc(99)
    t = time.perf_counter()
    hr = hmc(0)
    jax.block_until_ready(hr.positions)
    t_hmc = time.perf_counter() - t

    x = jnp.zeros((1024, *shape))
    t_mid = jnp.asarray(500, jnp.int32)
    a_bar = jnp.asarray(schedule.alpha_bars[500])
    net = jax.jit(jax.vmap(lambda v: den(v, t_mid, a_bar, None)))
    grad = jax.jit(jax.vmap(jax.grad(target.energy)))
    ge = relative_cost(lambda: net(x).block_until_ready(), lambda: grad(x).block_until_ready())
    train = training_cost(info["training"], info["data"], ge)

    out = {"network_ge": ge, "training": train, "device_of_training": info["training"].get("device"),
           "seconds": {"hmc": t_hmc, "diffusion": t_diff}}
    for name, run in (("hmc", hr), ("diffusion-mh", dm.result)):
        obs = phi4_observables(run.positions)
        out[name] = {k: float(obs[k]) for k in ("abs_m", "abs_m_error", "chi2", "chi2_error", "p_positive",
                                                "p_positive_error")}
        out[name]["sign_flips"] = int(np.sum(obs["sign_flips"]))
        out[name]["acceptance"] = float(np.mean(np.asarray(run.accepted)))
    out["diffusion-mh"]["log_weight_std"] = float(np.std(np.asarray(dm.log_weights)))
    m_h, m_d = magnetization(hr.positions), magnetization(dm.result.positions)
    draws_h, draws_d = int(np.prod(m_h.shape)), int(np.prod(m_d.shape))
    grads_h = float(np.sum(np.asarray(hr.num_grad_evals)))
    grads_d = draws_d * a.inference_steps * ge
    for label, f in (("abs_m", np.abs), ("m", lambda v: v)):
        e_h, e_d = float(effective_sample_size(f(m_h))), float(effective_sample_size(f(m_d)))
        h = Cost("hmc", e_h, draws_h, t_hmc, grads_h)
        d = Cost("diffusion-mh", e_d, draws_d, t_diff, grads_d, train["seconds"], train["gradients"])
        table = compare(h, d)
        out[f"compare_{label}"] = {"rows": {k: dict(v) for k, v in table.rows.items()},
                                   "break_even_seconds": table.break_even_seconds,
                                   "break_even_gradients": table.break_even_gradients}
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
