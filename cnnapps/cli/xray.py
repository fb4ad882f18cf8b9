"""``python -m cnnapps xray FILE_OR_DIR...``: normal / pneumonia for chest radiographs.

One row per image: file, label, probability (calibrated), threshold, out-of-distribution score and
warning. Research demo, not for diagnosis.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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

__all__ = ["SUFFIXES", "register", "run", "xray_rows"]

SUFFIXES = (*IMAGE_SUFFIXES, ".dcm", ".dicom")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "xray", help="chest radiographs (JPEG, PNG, DICOM): normal or pneumonia",
        description="Classify chest radiographs; one row per image. A file that cannot be read is "
        "a row with its error. Research demo, not for diagnosis.")
    parser.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    add_model_arg(parser, "xray")
    add_output_args(parser, formats=("csv", "json", "parquet"))
    add_engine_args(parser)
    parser.set_defaults(run=run)


def xray_rows(loaded: Any, source: Path | bytes, *, name: str | None = None) -> list[dict]:
    """The rows of one radiograph, for both engines (local and Ray: bytes plus the file's name,
    which tells DICOM by its suffix as a path would)."""
    from cnnapps.medical.xray import xray

    rows = xray(loaded, source, name=name).rows()
    for row in rows:
        row.pop("file", None)  # run_items puts the path first
    return rows


def run(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        records, code = run_on_ray(args, "xray", inputs=args.inputs, suffixes=SUFFIXES)
    else:
        files = expand_inputs(args.inputs, SUFFIXES)
        loaded = load_or_exit(args.model)
        records, code = run_items(files, lambda path: xray_rows(loaded, path), name=str, desc="xray")
    write_records(records, args.format, args.out)
    return code
