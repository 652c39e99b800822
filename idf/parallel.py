"""Data parallelism over all local devices with ``jax.sharding``.

Batches of samples and chains are independent, so the leading axis is split
over a one-dimensional device mesh and jit's SPMD partitioner does the rest:
no home-made distribution layer. With the partitionable threefry PRNG (on by
default in current JAX) the random draws, and so the samples, are the same
whether or not the batch is sharded.

Several hosts: call ``jax.distributed.initialize()`` on every host before
anything else (coordinator address, number of processes and process id come
from the environment on SLURM/TPU, or as arguments); ``jax.devices()`` then
lists every device of every host and ``batch_sharding`` spans them all.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def batch_sharding(batch_size: int, axis: int = 0) -> NamedSharding | None:
    """A sharding that splits ``axis`` over all devices, or None when there is
    one device or the batch does not divide evenly."""
    devices = jax.devices()
    if len(devices) < 2 or batch_size % len(devices):
        return None
    mesh = Mesh(np.asarray(devices), ("batch",))
    return NamedSharding(mesh, PartitionSpec(*([None] * axis), "batch"))


def shard_batch(x: jax.Array, axis: int = 0) -> jax.Array:
    """Place ``x`` with its batch axis (``axis``; e.g. 1 for a stack of
    batches [K, B, ...]) split over the devices (no-op when that is not possible)."""
    sharding = batch_sharding(x.shape[axis], axis)
    return x if sharding is None else jax.device_put(x, sharding)


def replicate(tree):
    """Place every array of ``tree`` on all devices (for parameters that a
    data-parallel step reads on every device); no-op on one device."""
    devices = jax.devices()
    if len(devices) < 2:
        return tree
    mesh = Mesh(np.asarray(devices), ("batch",))
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))
