"""The Forward page's compute: one forward chain x₀ → x_T and the exact curves beside it.

``ForwardConfig`` holds every control of the page, its defaults the page's
defaults (the warm-up computes ``forward_run(ForwardConfig())``);
``forward_run`` returns a ``ForwardRun``, whose ``exact`` part is there only
for GFF data. The page writes every caption.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app import data
from idf.app._common import MAX_FRAMES, MeanSd, mean_sd, ran, rise_share
from idf.app.phi4 import phi4_configurations
from idf.app.timing import Timing, timed
from idf.diffusion import SCHEDULES, forward_frames, make_schedule
from idf.diffusion.buckets import bucket
from idf.energy import GaussianFreeField, Phi4, QuadraticEnergy
from idf.viz import subsample_frames

DATA = ("gff", "image", "phi4", "upload")
PHI4_MASS2 = -4.0  # m² when the data are φ⁴ (its broken phase); ``mass2`` is the GFF's
# Count and shape controls (the page's slider ranges): T runs as a traced trip count
# in a loop of MAX_STEPS, the batch is padded to a bucket, every L is warmed up.
SIZE_RANGE = (4, 32)
MAX_STEPS = 2000
BATCH_RANGE = (4, 128)
BATCH_BUCKETS = (32, 128)


@dataclasses.dataclass(frozen=True)
class ForwardConfig:
    """The Forward page's controls (URL keys in brackets where they differ).

    data        "gff" (exact samples), "image" (the shipped image), "phi4" (HMC
                configurations) or "upload" (a given field, ``forward_run(field=…)``)
    size [L], batch, mass2 [m2 / phi4_m2], kT, coupling [phi4_lam]: the data and
                the metric energy φ (a GFF for every data but φ⁴)
    schedule, num_steps [T], beta_start, beta_end: the noise schedule
    guided, strength: the design document's energy-guided correction; the
                strength is used only when ``guided``
    """

    data: str = "gff"
    size: int = 16
    batch: int = 32
    mass2: float = 1.0
    kT: float = 1.0
    coupling: float = 8.0
    schedule: str = "linear"
    num_steps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    guided: bool = False
    strength: float = 10.0
    seed: int = 0

    @property
    def guidance_strength(self) -> float:
        """The strength the chain uses: ``strength`` when guided, else 0."""
        return self.strength if self.guided else 0.0


class ExactForward(NamedTuple):
    """The exact facts of a GFF's forward marginals q_t, per step t = 0 … T.

    mean_energy    [T+1]  ⟨φ(x_t)⟩ = ½Σ_k A_k v_k(t)
    entropy        [T+1]  H(t) of q_t (nats)
    kl             [T+1]  KL(q_t ‖ N(0, I)) (nats)
    entropy_rises  share of steps on which H rises
    kl_rises       share of steps on which KL rises (0: it never does)
    falling_modes  modes whose entropy falls (data variance P_k > 1), of ``num_modes``
    """

    mean_energy: np.ndarray
    entropy: np.ndarray
    kl: np.ndarray
    entropy_rises: float
    kl_rises: float
    falling_modes: int
    num_modes: int


class ForwardRun(NamedTuple):
    """One forward chain on a batch of B fields.

    frames     [F, L, L]   sample 0 at the steps ``frame_t`` [F] (F ≤ MAX_FRAMES)
    t          [T+1]       steps 0 … T
    energy     φ(x_t) over the batch, mean and s.d. [T+1] each
    entropy    the document's S(x_t), mean and s.d. [T+1] each
    alpha_bar  [T]         ᾱ_t of the schedule
    x0, xT     [≤ 8, L, L] the first fields at both ends
    exact      the exact curves (GFF data only, else None)
    """

    frames: np.ndarray
    frame_t: np.ndarray
    t: np.ndarray
    energy: MeanSd
    entropy: MeanSd
    alpha_bar: np.ndarray
    x0: np.ndarray
    xT: np.ndarray
    exact: ExactForward | None
    timing: Timing


class ScheduleCurves(NamedTuple):
    """ᾱ_t, SNR(t) and β_t of one schedule, [T] each."""

    alpha_bar: np.ndarray
    snr: np.ndarray
    beta: np.ndarray


def forward_data_energy(config: ForwardConfig) -> QuadraticEnergy | Phi4:
    """The energy behind the data: φ⁴ for ``phi4``, else a GFF (for the image
    and an upload only the metric)."""
    if config.data == "phi4":
        return Phi4(mass2=config.mass2, coupling=config.coupling, kT=config.kT)
    return GaussianFreeField(mass2=config.mass2, kT=config.kT)


@st.cache_data(max_entries=32, show_spinner=False)
def schedule_curves(num_steps: int, beta_start: float, beta_end: float) -> dict[str, ScheduleCurves]:
    """The curves of every schedule by name (linear with the given β range)."""
    out = {}
    for name in SCHEDULES:
        s = make_schedule(name, num_steps, beta_start, beta_end)
        out[name] = ScheduleCurves(s.alpha_bars, s.snr(), s.betas)
    return out


def _exact(energy: GaussianFreeField, shape: tuple[int, int], alpha_bars: np.ndarray) -> ExactForward:
    power = np.asarray(energy.covariance_spectrum(shape), np.float64)
    entropy = diagnostics.forward_entropy(power, alpha_bars)
    kl = diagnostics.forward_kl_to_prior(power, alpha_bars)
    return ExactForward(
        # A(k) = kT / E|x̂_k|², from the one program per side the variance already took (energy.spectrum
        # run eagerly compiled two more per side, ~3 MB each on the CPU)
        mean_energy=diagnostics.forward_mean_energy(power, float(energy.kT) / power, alpha_bars),
        entropy=entropy,
        kl=kl,
        entropy_rises=rise_share(entropy),
        kl_rises=rise_share(kl, tol=1e-12 * max(kl[0], 1.0)),
        falling_modes=int(np.sum(power > 1.0)),  # mode entropy ½ln v_k falls iff P_k > 1
        num_modes=int(power.size),
    )


class ForwardStart(NamedTuple):
    """What the forward chain starts from: the data energy (also the metric), the schedule,
    x₀ padded to a batch bucket [B_pad, L, L] (its first B rows are the batch) and the noise key."""

    energy: QuadraticEnergy | Phi4
    schedule: Any
    x0: jax.Array
    key: jax.Array


def initial_batch(config: ForwardConfig, field: np.ndarray | None = None) -> ForwardStart:
    """x₀ and the noise key of ``config``'s chain (``compute`` and the live view share them)."""
    c = config
    shape = (c.size, c.size)
    energy = forward_data_energy(c)
    sched = make_schedule(c.schedule, c.num_steps, c.beta_start, c.beta_end)
    key_data, key_noise = jax.random.split(jax.random.key(c.seed))
    dtype = jnp.result_type(float)
    padded = bucket(c.batch, BATCH_BUCKETS)
    if c.data == "gff":
        x0 = energy.sample_exact(key_data, shape, padded)  # its first B rows are the B-sample draw
    elif c.data in ("image", "upload"):
        given = data.image_field(c.size) if field is None else field
        x0 = jnp.broadcast_to(jnp.asarray(given, dtype), (padded, *shape))
    else:
        fields = jnp.asarray(phi4_configurations(c.size, c.mass2, c.coupling, c.kT, c.batch, c.seed).fields, dtype)
        x0 = jnp.concatenate([fields, jnp.zeros((padded - c.batch, *shape), dtype)])
    return ForwardStart(energy, sched, x0, key_noise)


def compute(config: ForwardConfig, field: np.ndarray | None = None) -> ForwardRun:
    """One forward chain x₀ → x_T on a batch, with per-step φ and S, and the
    exact H(t), KL(q_t‖N(0, I)) and ⟨φ(x_t)⟩ when the data are a GFF.

    ``field`` [size, size]: a given x₀ (an upload; ``config.data`` "upload"), the
    same in every batch member like the shipped image, with the GFF as metric.

    Uncached (the page calls ``forward_run``). T ≤ MAX_STEPS is a traced trip
    count and the batch is padded to a bucket of BATCH_BUCKETS (rows past B are
    dropped; the first B are the unpadded chain's), so no count recompiles; only
    the frames shown are kept, as float32."""
    ran()
    c = config
    shape = (c.size, c.size)
    with timed("forward chain") as timing:
        start = initial_batch(c, field)
        energy, sched, x0, key_noise = start.energy, start.schedule, start.x0, start.key
        idx = subsample_frames(c.num_steps + 1, MAX_FRAMES)
        res = forward_frames(key_noise, x0, sched, idx, num_fields=c.batch, max_steps=MAX_STEPS,
                             guidance_energy=energy if c.guided else None,
                             guidance_strength=c.guidance_strength, metric_energy=energy)
        # Sample 0's frames. On the CPU the device buffer is host memory: slice it in NumPy, as
        # res.frames[:, 0] would compile a slice program per (L, bucket); elsewhere copy only them.
        on_host = jax.default_backend() == "cpu"
        frames = np.array(np.asarray(res.frames)[:, 0] if on_host else res.frames[:, 0], np.float32)
    return ForwardRun(
        frames=frames,
        frame_t=idx,
        t=np.arange(c.num_steps + 1),
        energy=mean_sd(res.energy),
        entropy=mean_sd(res.entropy),
        alpha_bar=sched.alpha_bars,
        x0=np.asarray(x0[: min(8, c.batch)], np.float32),
        xT=np.asarray(res.x_T[:8], np.float32),
        exact=_exact(energy, shape, sched.alpha_bars) if c.data == "gff" else None,
        timing=timing,
    )


forward_run = st.cache_data(max_entries=32, show_spinner=False)(compute)
