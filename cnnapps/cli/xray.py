"""``python -m cnnapps xray FILE_OR_DIR...``: normal / pneumonia for chest radiographs.

One row per image: file, label, probability (calibrated), threshold, out-of-distribution score and
warning. Research demo, not for diagnosis.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cnnapps.cli.common import (
    IMAGE_SUFFIXES,
    add_model_arg,
    add_output_args,
    expand_inputs,
    load_or_exit,
    run_items,
    write_records,
)

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "xray", help="chest radiographs (JPEG, PNG, DICOM): normal or pneumonia",
        description="Classify chest radiographs; one row per image. A file that cannot be read is "
        "a row with its error. Research demo, not for diagnosis.")
    parser.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    add_model_arg(parser, "xray")
    add_output_args(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cnnapps.medical.xray import xray

    files = expand_inputs(args.inputs, (*IMAGE_SUFFIXES, ".dcm", ".dicom"))
    loaded = load_or_exit(args.model)

    def one(path: Path) -> list[dict]:
        rows = xray(loaded, path).rows()
        for row in rows:
            row.pop("file", None)  # run_items puts the path first
        return rows

    records, code = run_items(files, one, name=str, desc="xray")
    write_records(records, args.format, args.out)
    return code
