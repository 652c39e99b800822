"""A small U-Net noise predictor ε̂_θ(x_t, t) for lattice fields, in Flax NNX.

The architecture of Ho et al. (2020), cut down for 8×8 … 64×64 fields:
sinusoidal timestep embedding → MLP; residual blocks (GroupNorm, SiLU, 3×3
conv) with the time embedding added between the two convolutions; 2×2 average
pooling down, nearest-neighbour upsampling, skip connections concatenated on
the way up. With ``periodic=True`` every 3×3 convolution pads circularly, so
the network is exactly translation-equivariant on the torus, like the lattice
energies it learns (average pooling and nearest upsampling keep equivariance
under even shifts).

The module works on a batch in NHWC layout: x [B, H, W, C_in], t [B] (integer
training timesteps), condition [B, H, W, C_cond] or None → ε̂ [B, H, W, C_out]
(with ``learn_sigma``: [B, H, W, 2·C_out], ε̂ then the variance output v; see
``variance_fraction``). ``idf.models.UNetDenoiser`` adapts it to the unbatched
denoiser protocol.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

CONFIG_FIELDS = (
    "base_channels",
    "channel_mults",
    "num_res_blocks",
    "time_dim",
    "groups",
    "in_channels",
    "out_channels",
    "cond_channels",
    "periodic",
    "data_std",
    "learn_sigma",
)


@dataclasses.dataclass(frozen=True)
class UNetConfig:
    """Architecture hyper-parameters (JSON-serialisable via ``to_dict``).

    base_channels   width C₀ of the first level
    channel_mults   level i has C₀·channel_mults[i] channels; len = number of levels
    num_res_blocks  residual blocks per level, on each side
    time_dim        width of the sinusoidal timestep embedding
    groups          GroupNorm groups (reduced to gcd(groups, channels) per layer)
    in_channels     field channels (1 for a scalar field)
    out_channels    predicted channels (1: ε̂)
    cond_channels   extra conditioning channels concatenated to the input (0: none)
    periodic        circular padding (lattice on a torus) instead of zero padding
    data_std        σ_d > 0 turns on the Gaussian preconditioning (see ``UNet``):
                    the per-site standard deviation of the training data; 0: off
    learn_sigma     also output a variance channel v per site and field channel,
                    for the learned reverse variance of improved DDPM (Nichol &
                    Dhariwal 2021): log σ²_θ = v'·log β_t + (1−v')·log β̃_t with
                    v' = ``variance_fraction(v)`` = (v + 1)/2. False: ε̂ only
                    (every checkpoint written before this option existed)
    """

    base_channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2)
    num_res_blocks: int = 1
    time_dim: int = 64
    groups: int = 8
    in_channels: int = 1
    out_channels: int = 1
    cond_channels: int = 0
    periodic: bool = True
    data_std: float = 0.0
    learn_sigma: bool = False

    def __post_init__(self):
        object.__setattr__(self, "channel_mults", tuple(int(m) for m in self.channel_mults))
        if self.base_channels < 1 or not self.channel_mults or min(self.channel_mults) < 1:
            raise ValueError("base_channels and every channel_mult must be ≥ 1")
        if self.num_res_blocks < 1:
            raise ValueError(f"num_res_blocks must be ≥ 1, got {self.num_res_blocks}")
        if not self.data_std >= 0.0:
            raise ValueError(f"data_std must be ≥ 0, got {self.data_std}")
        if self.time_dim < 2 or self.time_dim % 2:
            raise ValueError(f"time_dim must be even and ≥ 2, got {self.time_dim}")

    @property
    def levels(self) -> int:
        return len(self.channel_mults)

    def check_shape(self, shape: tuple[int, int]) -> None:
        """Raise ValueError unless H and W are divisible by 2^(levels−1)."""
        factor = 2 ** (self.levels - 1)
        if shape[0] % factor or shape[1] % factor:
            raise ValueError(
                f"a {self.levels}-level U-Net needs H and W divisible by {factor}, got {shape[0]}×{shape[1]}"
            )

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["channel_mults"] = list(self.channel_mults)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UNetConfig:
        unknown = set(data) - set(CONFIG_FIELDS)
        if unknown:
            raise ValueError(f"unknown U-Net config fields: {', '.join(sorted(unknown))}")
        return cls(**data)


def variance_fraction(v: jax.Array) -> jax.Array:
    """v' = (v + 1)/2: the interpolation fraction of the learned log-variance.

    Nichol & Dhariwal (2021, eq. 15) interpolate log σ² = v'·log β + (1−v')·log β̃
    with the raw output as v'; their code maps it from [−1, 1] as here, so the
    zero-initialised output layer starts at v' = ½ (the geometric mean of β̃ and
    β), and v = −1 means β̃ exactly. Not clipped: v' > 1 (σ² > β) is the right
    answer for data modes with variance above 1 (the optimal reverse variance of
    a mode of variance P is β·s_{t−1}/s_t, s_t = ᾱ_t·P + 1 − ᾱ_t), and a clip
    would stop the gradient of a network stuck outside [0, 1].
    """
    return 0.5 * (v + 1.0)


def timestep_embedding(t: jax.Array, dim: int, max_period: float = 10_000.0) -> jax.Array:
    """Sinusoidal embedding of integer timesteps (Vaswani et al. 2017, §3.5).

    t [B] → [B, dim]: cos(t·ω_j) ‖ sin(t·ω_j), ω_j = max_period^(−j/(dim/2)).
    """
    half = dim // 2
    freqs = jnp.exp(-math.log(max_period) * jnp.arange(half, dtype=jnp.float32) / half)
    angles = jnp.asarray(t, jnp.float32)[:, None] * freqs[None, :]
    return jnp.concatenate([jnp.cos(angles), jnp.sin(angles)], axis=-1)


def _norm(channels: int, groups: int, rngs: nnx.Rngs) -> nnx.GroupNorm:
    return nnx.GroupNorm(channels, num_groups=math.gcd(groups, channels), rngs=rngs)


class ResBlock(nnx.Module):
    """h = conv(SiLU(GN(x))); h += W·emb; h = conv(SiLU(GN(h))); out = skip(x) + h.

    x [B, H, W, C_in], emb [B, E] → [B, H, W, C_out]. The second convolution
    starts at zero, so every block starts as the identity (or its 1×1 skip).
    """

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int, padding: str, *, rngs: nnx.Rngs):
        self.norm1 = _norm(c_in, groups, rngs)
        self.conv1 = nnx.Conv(c_in, c_out, (3, 3), padding=padding, rngs=rngs)
        self.emb = nnx.Linear(emb_dim, c_out, rngs=rngs)
        self.norm2 = _norm(c_out, groups, rngs)
        self.conv2 = nnx.Conv(c_out, c_out, (3, 3), padding=padding, kernel_init=nnx.initializers.zeros, rngs=rngs)
        self.skip = nnx.Conv(c_in, c_out, (1, 1), rngs=rngs) if c_in != c_out else None

    def __call__(self, x: jax.Array, emb: jax.Array) -> jax.Array:
        h = self.conv1(jax.nn.silu(self.norm1(x)))
        h = h + self.emb(jax.nn.silu(emb))[:, None, None, :]
        h = self.conv2(jax.nn.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


def _downsample(x: jax.Array) -> jax.Array:
    """2×2 average pooling, [B, H, W, C] → [B, H/2, W/2, C]."""
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def _upsample(x: jax.Array) -> jax.Array:
    """Nearest-neighbour ×2, [B, H, W, C] → [B, 2H, 2W, C]."""
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class UNet(nnx.Module):
    """ε̂_θ(x_t, t[, condition]) on a batch of fields (see the module docstring).

    With ``config.data_std`` = σ_d > 0 the network is preconditioned around the
    exact denoiser of white Gaussian data with variance σ_d² (in the spirit of
    Karras et al. 2022, §5): with s² = ᾱσ_d² + 1 − ᾱ (the variance of x_t),

        ε̂ = √(1−ᾱ)/s² · x_t + F_θ(x_t / s, t)

    so the input has unit variance at every t, and the zero-initialised F_θ
    only learns the correction due to the data's correlations. It matters at
    large t, where x̂₀ = (x_t − √(1−ᾱ)ε̂)/√ᾱ amplifies any error in ε̂.
    """

    def __init__(self, config: UNetConfig, *, rngs: nnx.Rngs):
        self.config = config
        cfg = config
        pad = "CIRCULAR" if cfg.periodic else "SAME"
        emb_dim = 4 * cfg.time_dim
        self.time_mlp1 = nnx.Linear(cfg.time_dim, emb_dim, rngs=rngs)
        self.time_mlp2 = nnx.Linear(emb_dim, emb_dim, rngs=rngs)
        widths = [cfg.base_channels * m for m in cfg.channel_mults]
        self.conv_in = nnx.Conv(cfg.in_channels + cfg.cond_channels, widths[0], (3, 3), padding=pad, rngs=rngs)
        down, up = [], []
        ch = widths[0]
        skips = []
        for width in widths:
            for _ in range(cfg.num_res_blocks):
                down.append(ResBlock(ch, width, emb_dim, cfg.groups, pad, rngs=rngs))
                ch = width
            skips.append(ch)
        self.mid = ResBlock(ch, ch, emb_dim, cfg.groups, pad, rngs=rngs)
        for width in reversed(widths):
            skip_ch = skips.pop()
            for i in range(cfg.num_res_blocks):
                up.append(ResBlock(ch + (skip_ch if i == 0 else 0), width, emb_dim, cfg.groups, pad, rngs=rngs))
                ch = width
        self.down = nnx.List(down)
        self.up = nnx.List(up)
        self.norm_out = _norm(ch, cfg.groups, rngs)
        out_channels = cfg.out_channels * (2 if cfg.learn_sigma else 1)
        self.conv_out = nnx.Conv(ch, out_channels, (3, 3), padding=pad, kernel_init=nnx.initializers.zeros, rngs=rngs)

    def __call__(
        self,
        x: jax.Array,
        t: jax.Array,
        condition: jax.Array | None = None,
        alpha_bar: jax.Array | None = None,
    ) -> jax.Array:
        """x [B, H, W, C_in], t [B] ints, condition [B, H, W, C_cond] | None,
        alpha_bar [B] (ᾱ_t; needed when ``data_std`` > 0) → [B, H, W, C_out],
        or with ``learn_sigma`` [B, H, W, 2·C_out]: ε̂ ‖ v (``split_output``)."""
        cfg = self.config
        cfg.check_shape(x.shape[1:3])
        skip = None
        if cfg.data_std > 0.0:
            if alpha_bar is None:
                raise ValueError("a preconditioned U-Net (data_std > 0) needs alpha_bar")
            ab = jnp.asarray(alpha_bar, x.dtype)[:, None, None, None]
            var = ab * cfg.data_std**2 + 1.0 - ab
            skip = jnp.sqrt(1.0 - ab) / var * x
            x = x / jnp.sqrt(var)
        if cfg.cond_channels:
            if condition is None:
                raise ValueError(f"this U-Net needs a condition with {cfg.cond_channels} channels")
            x = jnp.concatenate([x, condition.astype(x.dtype)], axis=-1)
        emb = self.time_mlp2(jax.nn.silu(self.time_mlp1(timestep_embedding(t, cfg.time_dim))))
        h = self.conv_in(x)
        skips = []
        n = cfg.num_res_blocks
        for level in range(cfg.levels):
            for block in self.down[level * n : (level + 1) * n]:
                h = block(h, emb)
            skips.append(h)
            if level < cfg.levels - 1:
                h = _downsample(h)
        h = self.mid(h, emb)
        for j, level in enumerate(reversed(range(cfg.levels))):
            if level < cfg.levels - 1:
                h = _upsample(h)
            h = jnp.concatenate([h, skips.pop()], axis=-1)
            for block in self.up[j * n : (j + 1) * n]:
                h = block(h, emb)
        out = self.conv_out(jax.nn.silu(self.norm_out(h)))
        if skip is None:
            return out
        # The preconditioning skip is the white-Gaussian ε̂: the ε channels only.
        eps, v = split_output(cfg, out)
        return eps + skip if v is None else jnp.concatenate([eps + skip, v], axis=-1)


def split_output(config: UNetConfig, out: jax.Array) -> tuple[jax.Array, jax.Array | None]:
    """(ε̂ [..., C_out], v [..., C_out] or None) from a U-Net output [..., C_out(·2)]."""
    if not config.learn_sigma:
        return out, None
    return out[..., : config.out_channels], out[..., config.out_channels :]


def init_unet(key: jax.Array, config: UNetConfig) -> UNet:
    """A freshly initialised U-Net (weights drawn from ``key``)."""
    return UNet(config, rngs=nnx.Rngs(params=key))


def count_params(model: nnx.Module) -> int:
    """Number of trainable scalars."""
    return sum(int(v.size) for v in jax.tree_util.tree_leaves(nnx.state(model, nnx.Param)))
