"""The ``idf`` command line: batch runs of the same functions the app uses.

Each subcommand lives in its own module with ``register(subparsers)``, which
adds a parser whose ``func`` takes the parsed arguments and returns an exit
status. Bad arguments exit with status 2 and one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules, in the order ``idf --help`` lists them.
COMMANDS = ["schedule", "diffuse", "sample", "multiscale", "train", "evaluate", "generate"]


class UsageError(Exception):
    """A bad argument found after parsing; reported in one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="idf", description="Physics-informed diffusion and Boltzmann sampling on lattices.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"idf.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from idf.device import configure

    configure()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UsageError, ValueError, OSError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"idf {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
