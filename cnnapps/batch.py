"""Run a task of the public API over a whole data set on Ray Data (issue 14).

One process on one box is the wrong tool for 100,000 photos or a year of reviews; this module
runs the *same* per-item code as the local CLI (``python -m cnnapps <task>``) inside Ray actors:

    read (``ray.data.read_binary_files`` for images; texts parsed by the CLI's reader on the
          driver and sent with ``ray.data.from_items``)
      -> ``map_batches(_Worker, compute=ActorPoolStrategy(size=workers))``: each actor loads the
         model once through ``cnnapps.load`` and turns a batch of items into the CLI's rows
      -> streamed back to the driver, which prints progress, puts the rows back in input order
         and the CLI writes them (CSV / JSON like the local engine, or Parquet).

Failure handling, and why it holds:

- A corrupt file is an error row (the task's own ``CnnappsError`` handling), never a failed job.
- A worker that dies mid-job: Ray Data starts actors with ``max_restarts=-1`` and
  ``max_task_retries=-1``, so the actor is restarted (model loaded again) and its unfinished
  batch re-run. A batch's output is only committed when its task finishes, so rows are neither
  lost nor duplicated; :func:`run_files` / :func:`run_texts` still check that every input came back exactly once and raises
  :class:`BatchError` otherwise.

Ray is an optional extra (``pip install -e .[scale]``): nothing here imports it at module import.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cnnapps.errors import CnnappsError

__all__ = [
    "BATCH_TASKS",
    "BatchError",
    "BatchRun",
    "BatchTask",
    "RayOptions",
    "expand_files",
    "print_progress",
    "ray_available",
    "run_files",
    "run_texts",
    "write_parquet",
]

Row = dict[str, Any]
# (display name, payload): the payload is a file's bytes ("files" tasks) or one text ("texts").
Item = tuple[str, Any]
# (loaded model, items, options) -> the CLI's rows for each item (a list per item, in item order).
RowsFn = Callable[[Any, Sequence[Item], Mapping[str, Any]], list[list[Row]]]


class BatchError(CnnappsError):
    """A batch job could not run (Ray missing, no cluster at the address, rows lost)."""


@dataclass(frozen=True)
class BatchTask:
    """How one task of the public API runs over a data set.

    ``rows(loaded, items, options)`` returns the rows of each item (the local CLI's own
    per-item code, so both engines write the same rows).
    """

    task: str  # a key of cnnapps.registry.TASKS
    inputs: Literal["files", "texts"]  # files: read by Ray from paths/URIs; texts: sent by the driver
    rows: RowsFn
    batch_size: int = 16  # items per actor call: large enough to amortise the call overhead


def _classify_rows(loaded: Any, items: Sequence[Item], options: Mapping[str, Any]) -> list[list[Row]]:
    from cnnapps.cli.classify import classify_rows
    from cnnapps.cli.common import run_items

    top_k = int(options.get("top_k", 5))
    # run_items per item: the same error rows ({"file", "error"}) as the local command.
    return [run_items([item], lambda it: classify_rows(loaded, it[1], top_k=top_k),
                      name=lambda it: it[0], desc="classify")[0] for item in items]


def _sentiment_rows(loaded: Any, items: Sequence[Item], options: Mapping[str, Any]) -> list[list[Row]]:
    from cnnapps.cli.sentiment import score_texts

    return [[row] for row in score_texts(loaded, [text for _, text in items])]


def _xray_rows(loaded: Any, items: Sequence[Item], options: Mapping[str, Any]) -> list[list[Row]]:
    from cnnapps.cli.common import run_items
    from cnnapps.cli.xray import xray_rows

    return [run_items([item], lambda it: xray_rows(loaded, it[1], name=Path(it[0]).name),
                      name=lambda it: it[0], desc="xray")[0] for item in items]


def _detect_rows(loaded: Any, items: Sequence[Item], options: Mapping[str, Any]) -> list[list[Row]]:
    from cnnapps.cli.common import run_items
    from cnnapps.cli.detect import photo_rows

    return [run_items([item], lambda it: photo_rows(loaded, it[1], **options),
                      name=lambda it: it[0], desc="detect")[0] for item in items]


# task -> how it runs on Ray. Applications add their task here (detection, xray, ...): a rows
# function that calls their CLI's per-item code.
BATCH_TASKS: dict[str, BatchTask] = {
    "classification": BatchTask("classification", "files", _classify_rows, batch_size=16),
    "sentiment": BatchTask("sentiment", "texts", _sentiment_rows, batch_size=256),
    "xray": BatchTask("xray", "files", _xray_rows, batch_size=16),
    "detection": BatchTask("detection", "files", _detect_rows, batch_size=8),
}


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide a job runs."""

    address: str | None = None  # a running cluster ("ray://host:10001", "host:6379", "auto");
    # None starts a private local one for this job and stops it afterwards
    workers: int | None = None  # actors (model copies); None: one per GPU, else CPUs - 1 (min 1)
    cpus_per_worker: float = 1.0  # also the torch threads of each actor
    gpus_per_worker: float | None = None  # None: 1 when the cluster has GPUs, else 0
    local_cpus: int | None = None  # CPUs of the local cluster (address=None); None: all cores
    object_store_mb: int = 256  # object store of the local cluster; blocks spill to disk beyond


@dataclass(frozen=True)
class BatchRun:
    """What a job produced: the rows in input order, and how it went."""

    rows: list[list[Row]]  # per input, in input order: the rows the local CLI writes for it
    n_inputs: int
    seconds: float  # wall time from building the dataset to the last row (not cluster start)
    workers: int  # actors in the pool
    device: str  # what each actor ran on ("cpu", "cuda")
    model: str

    @property
    def records(self) -> list[Row]:
        """All rows, flat, in input order (what the CLI writes)."""
        return [row for rows in self.rows for row in rows]

    @property
    def n_errors(self) -> int:
        """Inputs whose rows carry an error."""
        return sum(any(r.get("error") for r in rows) for rows in self.rows)


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


def _require_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        raise BatchError(
            "The Ray engine needs the optional 'scale' extra: pip install -e '.[scale]' "
            "(or pip install -r requirements-scale.txt)."
        ) from err
    return ray


def _package_root() -> Path:
    return Path(__file__).resolve().parent


@contextmanager
def _ray_session(opts: RayOptions) -> Iterator[Any]:
    """Connect to ``opts.address`` or start a local cluster; stop only what we started."""
    ray = _require_ray()
    if ray.is_initialized():  # the caller manages Ray (API users, tests with their own cluster)
        yield ray
        return
    # Workers must import this very package: prepend its parent to their PYTHONPATH (a no-op
    # where cnnapps is installed, or on nodes without that folder; a cluster without cnnapps
    # installed gets the code through `ray job submit --working-dir .`, docs/scale.md), and
    # pass the offline switch on so workers never download.
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(_package_root().parent),
                                                       os.environ.get("PYTHONPATH")]))}
    for name in ("CNNAPPS_OFFLINE", "TORCH_HOME"):
        if name in os.environ:
            env[name] = os.environ[name]
    kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}, "log_to_driver": False,
                              "logging_level": logging.WARNING}
    if opts.address is None:
        # Logical CPUs are scheduling slots, not cores: give --workers N its N slots plus room
        # for the reads even on a small machine (the cores are then shared, as they would be).
        wanted = math.ceil((opts.workers or 1) * opts.cpus_per_worker + _READ_CPUS)
        kwargs.update(num_cpus=opts.local_cpus or max(os.cpu_count() or 1, wanted), include_dashboard=False,
                      object_store_memory=opts.object_store_mb * 1024 * 1024)
    else:
        kwargs["address"] = opts.address
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise BatchError(f"Could not start or reach a Ray cluster at {opts.address or 'localhost'}: {err}"
                         ) from err
    try:
        yield ray
    finally:
        ray.shutdown()


# CPUs the read tasks need beside the actors (read_binary_files + numbering ask for 1/4 each):
# with every CPU held by an actor the reads are never scheduled and the job waits forever.
_READ_CPUS = 0.5


def _plan(ray: Any, opts: RayOptions) -> tuple[int, float, str]:
    """(actors, GPUs per actor, device) from the options and the cluster's resources."""
    resources = ray.cluster_resources()
    gpus = float(resources.get("GPU", 0.0))
    per_gpu = opts.gpus_per_worker if opts.gpus_per_worker is not None else (1.0 if gpus >= 1 else 0.0)
    if opts.workers is not None:
        workers = opts.workers
    elif per_gpu > 0:
        workers = max(1, int(gpus // per_gpu))
    else:
        # One CPU stays free for the read tasks: with every CPU held by an actor the reads cannot
        # be scheduled and the job waits forever.
        workers = max(1, int((float(resources.get("CPU", 1.0)) - 1.0) // opts.cpus_per_worker))
    if workers < 1:
        raise BatchError(f"workers must be at least 1, got {workers}")
    cpus = float(resources.get("CPU", 0.0))
    if workers * opts.cpus_per_worker + _READ_CPUS > cpus:
        raise BatchError(
            f"{workers} worker(s) of {opts.cpus_per_worker:g} CPU need {workers * opts.cpus_per_worker:g} "
            f"CPUs plus {_READ_CPUS:g} for reading the data; the cluster has {cpus:g}. Use fewer workers.")
    return workers, per_gpu, "cuda" if per_gpu > 0 else "cpu"


class _Worker:
    """One Ray actor: loads the model once, then turns batches of items into rows."""

    def __init__(self, task: str | BatchTask, model: str, device: str, options: Mapping[str, Any],
                 threads: int) -> None:
        import torch

        from cnnapps.loaded import load

        torch.set_num_threads(max(1, threads))
        self.task = BATCH_TASKS[task] if isinstance(task, str) else task
        self.options = dict(options)
        self.loaded = load(model, device=device)

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        import numpy as np

        items = [(str(n), p) for n, p in zip(batch["name"], batch["payload"], strict=True)]
        rows = self.task.rows(self.loaded, items, self.options)
        if len(rows) != len(items):
            raise RuntimeError(f"{self.task.task}: rows for {len(rows)} of {len(items)} items")
        # Rows travel as JSON text: the columns differ between result and error rows, and JSON
        # gives back the very Python values the local CLI writes (floats round-trip exactly).
        return {"order": np.asarray(batch["order"], dtype=np.int64),
                "rows": np.array([json.dumps(r) for r in rows], dtype=object)}


def expand_files(inputs: Sequence[str | Path], suffixes: Sequence[str]) -> list[tuple[str, str]]:
    """(display name, absolute path or URI) per input file: directories expanded as the CLI does.

    The display name is what the local CLI writes in its "file" column; URIs (s3://bucket/dir/x.jpg)
    are passed to Ray as they are (Ray reads them with pyarrow's filesystems; directories there
    are listed by Ray, so give files).
    """
    from cnnapps.cli.common import expand_inputs

    out: list[tuple[str, str]] = []
    for item in map(str, inputs):
        if "://" in item:
            out.append((item, item))
        else:
            out.extend((str(p), str(p.resolve())) for p in expand_inputs([item], suffixes))
    return out


def _normal(path: str) -> str:
    # Ray reports local paths as given and URIs without their scheme ("bucket/key").
    path = str(path)
    return path.split("://", 1)[1] if "://" in path else os.path.normpath(path)


def _number_files(batch: Mapping[str, Any], *, order_of: Mapping[str, int],
                  display: Sequence[str]) -> dict[str, Any]:
    """read_binary_files rows (path, bytes) -> (order, name, payload) for the workers."""
    import numpy as np

    orders = [order_of[_normal(p)] for p in batch["path"]]
    return {"order": np.array(orders, dtype=np.int64),
            "name": np.array([display[i] for i in orders], dtype=object),
            "payload": np.array([bytes(b) for b in batch["bytes"]], dtype=object)}


def run_files(task: str | BatchTask, files: Sequence[tuple[str, str]], *, model: str | None = None,
              options: Mapping[str, Any] | None = None, ray_options: RayOptions | None = None,
              batch_size: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> BatchRun:
    """Run a file task (classification) over ``files`` = [(display name, path or URI)] on Ray.

    The files are read by Ray's own tasks (``read_binary_files``) where the data is, so a
    cluster reads local paths only where every node sees them (a shared filesystem) and reads
    s3:// / gs:// URIs directly. Returns one entry of rows per file, in the order given.
    """
    spec = _task(task, "files")
    if not files:
        raise BatchError("No input files found")
    display = [name for name, _ in files]
    order_of = {_normal(path): i for i, (_, path) in enumerate(files)}
    if len(order_of) != len(files):
        raise BatchError("The same file is given twice")

    def source(ray: Any, workers: int) -> Any:
        # read tasks ask for a quarter CPU so they still fit beside actors holding whole CPUs
        return ray.data.read_binary_files([path for _, path in files], include_paths=True,
                                          num_cpus=0.25).map_batches(
            _number_files, fn_kwargs={"order_of": order_of, "display": display}, batch_size=None,
            num_cpus=0.25)

    return _execute(spec, source, len(files), model=model, options=options,
                    ray_options=ray_options, batch_size=batch_size, progress=progress)


def run_texts(task: str | BatchTask, texts: Sequence[str], *, model: str | None = None,
              options: Mapping[str, Any] | None = None, ray_options: RayOptions | None = None,
              batch_size: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> BatchRun:
    """Run a text task (sentiment) over ``texts`` on Ray; one entry of rows per text, in order.

    The texts come from the driver: the local CLI's reader (``read_table``: .txt lines, .csv
    cells, encodings) parses the file, so both engines see the same texts; the model work is
    what is spread over the cluster.
    """
    spec = _task(task, "texts")
    if not texts:
        raise BatchError("No texts to score")

    def source(ray: Any, workers: int) -> Any:
        # ~1,000 texts per block, and at least one block per actor so that every actor has work.
        blocks = min(len(texts), max(workers, math.ceil(len(texts) / 1000)))
        return ray.data.from_items(
            [{"order": i, "name": "", "payload": t} for i, t in enumerate(texts)],
            override_num_blocks=blocks)

    return _execute(spec, source, len(texts), model=model, options=options,
                    ray_options=ray_options, batch_size=batch_size, progress=progress)


def _default_model(task: str) -> str:
    # The CLI's default (add_model_arg): the first model that works offline, else the first.
    from cnnapps.registry import list_models

    specs = list_models(task)
    if not specs:
        raise BatchError(f"No model is registered for the task {task!r}")
    return next((s.name for s in specs if s.works_offline), specs[0].name)


def _task(task: str | BatchTask, inputs: str) -> BatchTask:
    if isinstance(task, BatchTask):  # a caller's own runner (benchmarks/bench_ray.py's no-op)
        return task
    if task not in BATCH_TASKS:
        raise BatchError(f"No batch runner for the task {task!r}; try one of {sorted(BATCH_TASKS)}")
    spec = BATCH_TASKS[task]
    if spec.inputs != inputs:
        raise BatchError(f"The task {task!r} takes {spec.inputs}, not {inputs}")
    return spec


def _execute(spec: BatchTask, source: Callable[[Any, int], Any], total: int, *, model: str | None,
             options: Mapping[str, Any] | None, ray_options: RayOptions | None,
             batch_size: int | None, progress: Callable[[int, int], None] | None) -> BatchRun:
    opts = ray_options or RayOptions()
    model = model or _default_model(spec.task)
    with _ray_session(opts) as ray:
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the driver reports progress itself (below)
        ctx.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "bars disabled"
        workers, gpus, device = _plan(ray, opts)
        start = time.perf_counter()
        ds = source(ray, workers).map_batches(
            _Worker,
            # a table task travels by name; a caller's own BatchTask by value (cloudpickle)
            fn_constructor_kwargs={"task": spec.task if BATCH_TASKS.get(spec.task) is spec else spec,
                                   "model": model, "device": device,
                                   "options": dict(options or {}),
                                   "threads": max(1, math.floor(opts.cpus_per_worker))},
            batch_size=batch_size or spec.batch_size,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=opts.cpus_per_worker,
            num_gpus=gpus,
        )
        by_order: dict[int, list[Row]] = {}
        duplicates = 0
        for block in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for order, rows in zip(block["order"], block["rows"], strict=True):
                duplicates += int(order) in by_order
                by_order[int(order)] = json.loads(rows)
            if progress is not None:
                progress(len(by_order), total)
        seconds = time.perf_counter() - start
    if duplicates:
        raise BatchError(f"Ray returned {duplicates} inputs twice")
    missing = total - len(by_order)
    if missing:
        raise BatchError(f"Ray returned rows for {len(by_order)} of {total} inputs")
    rows = [by_order[i] for i in range(total)]
    return BatchRun(rows=rows, n_inputs=total, seconds=seconds, workers=workers, device=device,
                    model=model)


def print_progress(stream: Any = None, every_s: float = 1.0) -> Callable[[int, int], None]:
    """A ``progress`` callback printing "ray: 120/300 rows (40%), 35.1 rows/s" at most every ``every_s``."""
    stream = stream or sys.stderr
    start = time.perf_counter()
    last = [-math.inf]

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] < every_s and done != total:
            return
        last[0] = now
        rate = done / max(now - start, 1e-9)
        share = 100.0 * done / max(total, 1)
        print(f"ray: {done}/{total} inputs ({share:.0f}%), {rate:.1f}/s", file=stream, flush=True)

    return report


def write_parquet(rows: Sequence[Row], out: Path) -> None:
    """Write rows as one Parquet file (pyarrow); columns in first-seen order, missing cells null."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
    pq.write_table(table, out)
