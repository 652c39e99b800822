"""Argument types shared by subcommands: ranges checked at parse time."""

from __future__ import annotations

import argparse
import math


def bounded(kind, low=None, high=None, *, low_open: bool = False):
    """An argparse ``type`` that parses ``kind`` and checks low ≤ v ≤ high
    (low < v with ``low_open``); rejects NaN and inf."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
        if low is not None and (value <= low if low_open else value < low):
            raise argparse.ArgumentTypeError(f"must be {'>' if low_open else '≥'} {low}, got {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be ≤ {high}, got {text}")
        return value

    return parse


def add_out(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--out", default=default, help=f"output .npz (default {default})")


def add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=bounded(int, 0, 2**31 - 1), default=0, help="PRNG seed")


def fits(nbytes: int, what: str, fix: str) -> None:
    """Refuse (exit 2 with one line) work whose arrays would not fit in memory."""
    from idf.cli import UsageError  # noqa: PLC0415 - idf.cli imports this module
    from idf.memory import MemoryBudgetError, check_fits  # noqa: PLC0415

    try:
        check_fits(nbytes, what, fix)
    except MemoryBudgetError as err:
        raise UsageError(str(err)) from None
