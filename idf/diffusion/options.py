"""The library's choices as ``StrEnum``s, one per question, each with its own name.

| enum          | values                    | chooses                                   | used by                 |
|---------------|---------------------------|-------------------------------------------|-------------------------|
| ScheduleName  | linear, cosine, sqrt      | the noise schedule                        | ``make_schedule``       |
| Spacing       | leading, trailing         | the strided timestep sub-sequence         | ``inference_timesteps`` |
| Solver        | ddim, ddpm                | the reverse update rule                   | ``sample(solver=…)``    |
| GuidanceForm  | document, scaled          | how the energy's score enters ε̂           | ``Guidance(form=…)``    |
| Refinement    | sdedit, cascade           | how a coarse scale is refined             | ``multiscale_sample``   |
| Upsampling    | spectral, bilinear        | how a coarse field is lifted              | ``upsample``            |

Members are strings, so the command line and the URL keep passing plain
strings ("ddim" == Solver.DDIM), and they hash like them: as ``jax.jit``
static arguments they select code paths and never become traced values.
``choose`` turns a string into a member at the library's edge, with the
error message the command line shows.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class ScheduleName(StrEnum):
    LINEAR = "linear"
    COSINE = "cosine"
    SQRT = "sqrt"


class Spacing(StrEnum):
    LEADING = "leading"
    TRAILING = "trailing"


class Solver(StrEnum):
    DDIM = "ddim"
    DDPM = "ddpm"


class GuidanceForm(StrEnum):
    DOCUMENT = "document"
    SCALED = "scaled"


class Refinement(StrEnum):
    SDEDIT = "sdedit"
    CASCADE = "cascade"


class Upsampling(StrEnum):
    SPECTRAL = "spectral"
    BILINEAR = "bilinear"


def choose(enum: type[E], value: str, what: str) -> E:
    """``enum(value)``, or ``ValueError("unknown <what> 'x': choose one of a, b")``."""
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"unknown {what} {value!r}: choose one of {', '.join(enum)}") from None


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The members as plain strings, in order (command-line ``choices``, selectboxes)."""
    return tuple(m.value for m in enum)
