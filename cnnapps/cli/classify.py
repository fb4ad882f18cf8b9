"""``python -m cnnapps classify FILE_OR_DIR...``: top-k labels for many images."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cnnapps.cli.common import (
    IMAGE_SUFFIXES,
    add_engine_args,
    add_model_arg,
    add_output_args,
    expand_inputs,
    load_or_exit,
    run_items,
    run_on_ray,
    write_records,
)

if TYPE_CHECKING:
    from cnnapps.loaded import LoadedModel
    from cnnapps.results.base import Row

__all__ = ["classify_rows", "register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "classify", help="classify images (files or folders)",
        description="Classify images; one row per (file, rank). A file that cannot be read is a "
        "row with its error. Exit 0 when the run completed, 1 when no file could be read.")
    parser.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    add_model_arg(parser, "classification")
    parser.add_argument("--top-k", type=int, default=5, metavar="K", help="classes per image (default 5)")
    add_output_args(parser, formats=("csv", "json", "parquet"))
    add_engine_args(parser)
    parser.set_defaults(run=run)


def classify_rows(loaded: LoadedModel, source: Path | bytes, *, top_k: int) -> list[Row]:
    """The rows of one image (one per rank), for both engines (local and Ray)."""
    from cnnapps.tasks.classify import classify

    result = classify(loaded, source, top_k=top_k)
    return [{"model": result.model_name, **row} for row in result.rows()]


def run(args: argparse.Namespace) -> int:
    if args.top_k < 1:
        print("error: --top-k must be at least 1")
        return 2
    if args.engine == "ray":
        records, code = run_on_ray(args, "classification", inputs=args.inputs,
                                   suffixes=IMAGE_SUFFIXES, options={"top_k": args.top_k})
    else:
        files = expand_inputs(args.inputs, IMAGE_SUFFIXES)
        loaded = load_or_exit(args.model)
        records, code = run_items(files, lambda path: classify_rows(loaded, path, top_k=args.top_k),
                                  name=str, desc="classify")
    write_records(records, args.format, args.out)
    return code
