"""What every CLI command shares: inputs, model choice, progress, output, error rows, exit codes."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cnnapps.errors import CnnappsError
from cnnapps.results.base import Row

__all__ = [
    "IMAGE_SUFFIXES",
    "add_engine_args",
    "add_model_arg",
    "add_output_args",
    "expand_inputs",
    "load_or_exit",
    "progress",
    "run_items",
    "run_on_ray",
    "write_records",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
T = TypeVar("T")


def add_model_arg(parser: argparse.ArgumentParser, task: str) -> None:
    """--model NAME, restricted to the task's registered models; default: the first offline one."""
    from cnnapps.registry import list_models

    specs = list_models(task)
    default = next((s.name for s in specs if s.works_offline), specs[0].name if specs else None)
    parser.add_argument("--model", default=default, choices=[s.name for s in specs],
                        metavar="NAME", help=f"model name (default: {default}; see 'list')")


def add_output_args(parser: argparse.ArgumentParser, formats: Sequence[str] = ("csv", "json")) -> None:
    if "parquet" in formats:  # the commands with --engine ray: "--out results.parquet" is enough
        # None: write_records takes the format from --out's suffix, else CSV.
        parser.add_argument("--format", choices=list(formats), default=None,
                            help="output format (default: --out's suffix if csv/json/parquet, else csv)")
    else:
        parser.add_argument("--format", choices=list(formats), default=formats[0],
                            help=f"output format (default: {formats[0]})")
    parser.add_argument("--out", type=Path, default=None, metavar="PATH",
                        help="write results here instead of standard output")


def expand_inputs(paths: Sequence[str], suffixes: Sequence[str]) -> list[Path]:
    """Files as given, plus the files with ``suffixes`` found in directories (recursively, sorted).

    A named file is kept whatever its suffix (so a mis-named or corrupt file becomes an error
    row, not a silent skip); a missing path raises SystemExit(2) like any usage error.
    """
    found: list[Path] = []
    wanted = {s.lower() for s in suffixes}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in wanted))
        elif path.exists():
            found.append(path)
        else:
            print(f"error: no such file or directory: {raw}", file=sys.stderr)
            raise SystemExit(2)
    return found


def load_or_exit(name: str) -> Any:
    """``cnnapps.load(name)`` with a download bar on stderr; exits 1 with the message if unavailable."""
    from cnnapps.loaded import load

    bar = None

    def report(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}",
                       file=sys.stderr)
        bar.update(done - bar.n)

    try:
        return load(name, progress=report)
    except CnnappsError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        if bar is not None:
            bar.close()


def progress(items: Iterable[T], *, total: int, desc: str) -> Iterator[T]:
    """Items with a progress bar on stderr (only when it is a terminal and the work is long)."""
    from tqdm import tqdm

    quiet = total < 2 or not sys.stderr.isatty()
    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, disable=quiet)


def run_items(items: Sequence[T], fn: Callable[[T], list[Row]], *, name: Callable[[T], str],
              desc: str, key: str = "file") -> tuple[list[Row], int]:
    """Run ``fn`` per item; a CnnappsError becomes a row with the error instead of a crash.

    Returns the rows (``{key: name(item), **row}``) and the exit code: 0 when at least one item
    worked (or there were none), 1 when every item failed.
    """
    records: list[Row] = []
    failures = 0
    for item in progress(items, total=len(items), desc=desc):
        try:
            records.extend({key: name(item), **row, "error": ""} for row in fn(item))
        except CnnappsError as err:
            failures += 1
            records.append({key: name(item), "error": str(err)})
    return records, int(bool(items) and failures == len(items))


def _plain(value: Any) -> Any:
    # JSON has no NaN: write null, as pandas' to_json does.
    return None if isinstance(value, float) and math.isnan(value) else value


def write_records(records: Sequence[Row], fmt: str | None, out: Path | None) -> None:
    """Write rows as CSV (columns in first-seen order; missing cells empty), JSON (a list) or
    Parquet (``--out`` only; needs pyarrow, from the 'scale' extra). ``fmt`` None: from ``out``'s
    suffix (.csv, .json, .parquet), else CSV."""
    if fmt is None:
        suffix = out.suffix.lower().lstrip(".") if out is not None else ""
        fmt = suffix if suffix in ("csv", "json", "parquet") else "csv"
    if fmt == "parquet":
        if out is None:
            print("error: parquet output needs --out PATH", file=sys.stderr)
            raise SystemExit(2)
        from cnnapps.batch import write_parquet

        out.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(records, out)
        return
    if fmt == "json":
        text = json.dumps([{k: _plain(v) for k, v in r.items()} for r in records], indent=2,
                          ensure_ascii=False) + "\n"
    elif fmt == "csv":
        columns = list(dict.fromkeys(k for r in records for k in r))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    else:
        raise ValueError(f"unknown format {fmt!r}")
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def add_engine_args(parser: argparse.ArgumentParser) -> None:
    """--engine local|ray, --address, --workers: run the command as a Ray Data job (issue 14)."""
    import os

    group = parser.add_argument_group("engine (docs/scale.md)")
    group.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="local: this process (default); ray: a Ray Data job, one model per actor")
    group.add_argument("--address", default=os.environ.get("RAY_ADDRESS"), metavar="ADDR",
                       help="Ray cluster to use (host:6379, ray://host:10001, auto; default "
                       "$RAY_ADDRESS); without it a local cluster is started for the job")
    group.add_argument("--workers", type=int, default=None, metavar="N",
                       help="actors, each holding one model (default: one per GPU, else CPUs - 1)")


def run_on_ray(args: argparse.Namespace, task: str, *, inputs: Sequence[str] = (),
               suffixes: Sequence[str] = (), texts: Sequence[str] | None = None,
               options: dict[str, Any] | None = None) -> tuple[list[Row], int]:
    """Run ``task`` as a Ray job (cnnapps.batch) with the command's --model/--address/--workers.

    File tasks pass ``inputs`` (files, directories, URIs) and ``suffixes``; text tasks ``texts``.
    Returns the rows in input order and the exit code (1 when every input failed), like
    :func:`run_items`; progress goes to stderr; a job that cannot run exits 1 with its message.
    """
    from cnnapps import batch

    ray_options = batch.RayOptions(address=args.address, workers=args.workers)
    common = {"model": args.model, "options": options or {}, "ray_options": ray_options,
              "progress": batch.print_progress()}
    try:
        if texts is not None:
            run = batch.run_texts(task, texts, **common)
        else:
            run = batch.run_files(task, batch.expand_files(inputs, suffixes), **common)
    except CnnappsError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"ray: {run.n_inputs} inputs ({run.n_errors} with errors) in {run.seconds:.1f} s on "
          f"{run.workers} worker(s), {run.device}", file=sys.stderr)
    return run.records, int(run.n_errors == run.n_inputs)
