"""The CLI: argparse subcommands over the public API, one module per command.

Each module in :data:`COMMANDS` has ``register(subparsers)`` (adds its parser and sets
``run``) and ``run(args) -> int``. Exit codes: 0 the run completed (some rows may carry errors),
1 nothing could be processed, 2 a usage error (argparse's own code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "build_parser", "main"]

# Applications append their command module's name here.
COMMANDS: tuple[str, ...] = ("list", "classify", "sentiment", "detect", "faces", "dicom", "xray", "summary", "train", "tour")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cnnapps",
        description="Convolutional networks you can watch: batch work from the command line.",
        epilog="Run 'python -m cnnapps <command> --help' for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name in COMMANDS:
        importlib.import_module(f"cnnapps.cli.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
