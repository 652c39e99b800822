"""Memory estimates: refuse work that would not fit, and say why, before it starts.

``check_fits(nbytes, what, fix)`` compares an estimate with half of what the
machine has free now: the host's available memory (``MemAvailable``), and on an
accelerator also the device's free memory. Half, because JAX needs room for
intermediates beside the arrays we count.
"""

from __future__ import annotations

import os


class MemoryBudgetError(ValueError):
    """An estimate larger than the budget; the message names the fix."""


def host_available_bytes() -> int:
    """Memory the host can give now: ``MemAvailable`` from /proc/meminfo, else
    free pages from sysconf, else 4 GiB (an unknown platform)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return 4 * 1024**3


def device_available_bytes() -> int | None:
    """Free memory of JAX's first device when it reports it (GPUs), else None."""
    import jax  # noqa: PLC0415 - only when asked

    try:
        stats = jax.devices()[0].memory_stats()
    except Exception:  # noqa: BLE001 - backends without memory stats
        return None
    if not stats or "bytes_limit" not in stats:
        return None
    return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))


def budget_bytes() -> int:
    """Half of the smaller of the host's and the device's free memory."""
    free = host_available_bytes()
    device = device_available_bytes()
    if device is not None:
        free = min(free, device)
    return free // 2


def human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")


def check_fits(nbytes: int, what: str, fix: str, budget: int | None = None) -> None:
    """Raise MemoryBudgetError when ``nbytes`` exceeds ``budget`` (default
    ``budget_bytes()``): "<what> needs about X, more than the Y this machine
    can spare now: <fix>"."""
    budget = budget_bytes() if budget is None else budget
    if nbytes > budget:
        raise MemoryBudgetError(
            f"{what} needs about {human(nbytes)}, more than the {human(budget)} this machine can spare now "
            f"(half of its free memory): {fix}"
        )
