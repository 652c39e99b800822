"""Counts padded to a few buckets, so that a count a user moves compiles a few programs, not one per value.

A batch of B samples runs as a batch of ``bucket(B, buckets)`` and the host keeps
the first B. With the partitionable threefry PRNG (JAX's default) the first B
rows of ``normal(key, (B_pad, ...))`` are exactly ``normal(key, (B, ...))``, so
padding changes no sample: results equal the unpadded run's.
"""

from __future__ import annotations

from collections.abc import Sequence


def bucket(n: int, buckets: Sequence[int]) -> int:
    """The smallest bucket that holds ``n`` (``n`` itself beyond the largest)."""
    return next((b for b in sorted(buckets) if n <= b), int(n))


def bucket_sizes(buckets: Sequence[int]) -> tuple[int, ...]:
    """The buckets in increasing order (each is one compiled batch shape)."""
    return tuple(sorted(set(int(b) for b in buckets)))
