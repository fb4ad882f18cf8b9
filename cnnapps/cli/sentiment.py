"""``python -m cnnapps sentiment FILE``: sentiment of each line of a .txt or each row of a .csv."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cnnapps.cli.common import (
    add_engine_args,
    add_model_arg,
    add_output_args,
    load_or_exit,
    run_on_ray,
    write_records,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cnnapps.loaded import LoadedModel
    from cnnapps.results.base import Row

__all__ = ["register", "run", "score_texts"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sentiment", help="sentiment of texts (.txt one per line, or .csv)",
        description="Sentiment of every text in FILE: a .txt holds one text per line, a .csv one per "
        "row (--column picks the column; default: the most text-like). '-' reads standard input "
        "as .txt. The output keeps the CSV's columns and adds label, probability and note.")
    parser.add_argument("file", metavar="FILE")
    add_model_arg(parser, "sentiment")
    parser.add_argument("--column", default=None, metavar="NAME", help="CSV column with the texts")
    add_output_args(parser, formats=("csv", "json", "parquet"))
    add_engine_args(parser)
    parser.set_defaults(run=run)


def score_texts(loaded: LoadedModel, texts: Sequence[str], *,
                progress: Callable[[int, int], None] | None = None) -> list[Row]:
    """label, probability and note per text, for both engines (local and Ray)."""
    from cnnapps.tasks.sentiment import predict_batch

    return [{"label": r.label, "probability": round(r.probability, 6), "note": r.note}
            for r in predict_batch(loaded, texts, progress=progress)]


def run(args: argparse.Namespace) -> int:
    from cnnapps.errors import CnnappsError
    from cnnapps.text.io import guess_text_column, read_table

    try:
        if args.file == "-":
            data, name = sys.stdin.buffer.read(), "stdin.txt"
        else:
            path = Path(args.file)
            if not path.is_file():
                print(f"error: no such file: {args.file}", file=sys.stderr)
                return 2
            data, name = path.read_bytes(), path.name
        frame = read_table(data, name=name)
    except CnnappsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    column = args.column or guess_text_column(frame)
    if column not in frame.columns:
        print(f"error: no column {column!r}; columns: {', '.join(map(str, frame.columns))}",
              file=sys.stderr)
        return 2
    texts = ["" if v != v else str(v) for v in frame[column].tolist()]  # NaN (empty cell) -> ""
    if args.engine == "ray" and texts:
        scores, _ = run_on_ray(args, "sentiment", texts=texts)
    else:
        scores = _score_locally(args.model, texts)
    records = [
        {**{str(k): v for k, v in original.items()}, **score}
        for original, score in zip(frame.to_dict(orient="records"), scores, strict=True)
    ]
    write_records(records, args.format, args.out)
    return 0 if texts else 1


def _score_locally(model: str, texts: list[str]) -> list[Row]:
    loaded = load_or_exit(model)
    bar = None
    if len(texts) > 1000 and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="sentiment", file=sys.stderr)

    def report(done: int, total: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    scores = score_texts(loaded, texts, progress=report)
    if bar is not None:
        bar.close()
    return scores
