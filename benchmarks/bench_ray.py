"""Images per second: the local CLI path vs a Ray Data job with 1 and 2 workers (issue 14).

Run from the repo root (needs the 'scale' extra):

    python benchmarks/bench_ray.py [--images 200] [--repeats 1]

Every side classifies the same generated photos (random crops of the bundled samples, 160-320 px
JPEGs) with the bundled MobileNetV2, top-5, one torch thread per model copy:

- local: ``classify_rows`` in this process, over the files (model loaded once, not timed).
- ray N: ``cnnapps.batch.run_files`` on a local Ray cluster started once (its start is reported
  separately), N actors of 1 CPU each. "job" is the wall time from building the dataset to the
  last row, so it includes starting the actors and loading the model in each; "steady" is the
  rate between the first and the last block of results, after the actors are up.

Per-row overhead of Ray: CPU time per image of every process (driver, raylet, GCS, read tasks,
actors; psutil over the process tree) in the steady part of the 1-worker job, minus the local
process's CPU time per image. CPU time, unlike wall time, does not depend on the share of the
cores a process gets on a busy machine (on an oversubscribed box, more processes get a larger
share, which flatters Ray's wall time). Wall times are printed too, with the load average.
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import torch
from PIL import Image

from cnnapps import batch
from cnnapps.cli.classify import classify_rows
from cnnapps.cli.common import IMAGE_SUFFIXES
from cnnapps.loaded import load
from cnnapps.samples import SAMPLES, sample_path

MODEL = "mobilenet_v2_tflite"


def make_photos(folder: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    sources = [Image.open(sample_path(s.name)).convert("RGB") for s in SAMPLES]
    for i in range(n):
        im = sources[i % len(sources)]
        w, h = im.size
        cw, ch = int(w * rng.uniform(0.5, 1.0)), int(h * rng.uniform(0.5, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        side = int(rng.integers(160, 320))
        im.crop((x, y, x + cw, y + ch)).resize((side, side)).save(folder / f"p{i:04d}.jpg", quality=90)


def tree_cpu_s() -> float:
    """CPU seconds (user + system) of this process and every descendant (raylet, Ray workers)."""
    total = 0.0
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:  # exited meanwhile
            continue
        total += times.user + times.system
    return total


Measure = tuple[float, float, float]  # job images/s, steady images/s, steady CPU ms per image


def local_rate(files: list[tuple[str, str]]) -> Measure:
    torch.set_num_threads(1)
    loaded = load(MODEL, device="cpu")
    classify_rows(loaded, files[0][1], top_k=5)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    for _, path in files:
        classify_rows(loaded, path, top_k=5)
    rate = len(files) / (time.perf_counter() - start)
    return rate, rate, 1000 * (time.process_time() - cpu) / len(files)


def ray_rates(files: list[tuple[str, str]], workers: int) -> Measure:
    stamps: list[tuple[float, int, float]] = []
    run = batch.run_files(
        "classification", files, model=MODEL, options={"top_k": 5},
        ray_options=batch.RayOptions(workers=workers),
        progress=lambda done, total: stamps.append((time.perf_counter(), done, tree_cpu_s())))
    assert run.n_inputs == len(files) and run.n_errors == 0
    (t0, d0, c0), (t1, d1, c1) = stamps[0], stamps[-1]
    # Between the first and the last block of results the actors are up and busy; the tree's
    # CPU time there is what Ray spends per image, whatever share of the cores it was given.
    steady = (d1 - d0) / (t1 - t0) if t1 > t0 else float("nan")
    cpu_ms = 1000 * (c1 - c0) / (d1 - d0) if d1 > d0 else float("nan")
    return len(files) / run.seconds, steady, cpu_ms


def _noop_rows(loaded: object, items: list, options: dict) -> list[list[dict]]:
    """No model work at all: what is left of a Ray job is Ray's own per-row machinery."""
    return [[{"file": name, "bytes": len(payload), "error": ""}] for name, payload in items]


NOOP = batch.BatchTask("classification", "files", _noop_rows, batch_size=16)


def noop_rates(files: list[tuple[str, str]]) -> Measure:
    """The same job as 'ray, 1 worker' with a task that returns a row per file without a model."""
    stamps: list[tuple[float, int, float]] = []
    run = batch.run_files(
        NOOP, files, model=MODEL, ray_options=batch.RayOptions(workers=1),
        progress=lambda done, total: stamps.append((time.perf_counter(), done, tree_cpu_s())))
    assert run.n_inputs == len(files)
    (t0, d0, c0), (t1, d1, c1) = stamps[0], stamps[-1]
    return (len(files) / run.seconds, (d1 - d0) / (t1 - t0) if t1 > t0 else float("nan"),
            1000 * (c1 - c0) / (d1 - d0) if d1 > d0 else float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_photos(folder, args.images)
        files = batch.expand_files([str(folder)], IMAGE_SUFFIXES)
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        # One CPU per actor plus one for the read tasks; the small object store is what the
        # CLI's local cluster uses too.
        ray.init(num_cpus=max(args.workers) + 1, object_store_memory=256 * 2**20,
                 include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(Path(batch.__file__).parents[1])}})
        cluster_s = time.perf_counter() - start
        results: dict[str, list[Measure]] = {"local": []}
        try:
            for _ in range(args.repeats):
                results["local"].append(local_rate(files))
                for n in args.workers:
                    results.setdefault(f"ray, {n} worker(s)", []).append(ray_rates(files, n))
                results.setdefault("ray, 1 worker, no-op task (Ray's own cost)", []).append(
                    noop_rates(files))
        finally:
            ray.shutdown()
        load_after = os.getloadavg()[0]

    def med(name: str, i: int) -> float:
        return statistics.median(m[i] for m in results[name])

    print(f"{args.images} photos, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} -> {load_after:.1f}; local Ray cluster start {cluster_s:.1f} s; "
          f"median of {args.repeats} repeat(s)\n")
    print("| engine | job images/s (incl. actor start + model load) | steady images/s | "
          "steady CPU ms per image (all processes) |")
    print("|---|---:|---:|---:|")
    for name in results:
        print(f"| {name} | {med(name, 0):.1f} | {med(name, 1):.1f} | {med(name, 2):.0f} |")
    one = "ray, 1 worker(s)"
    if one in results:
        print(f"\nper-row overhead of Ray, steady, 1 worker: {med(one, 2) - med('local', 2):.0f} CPU ms/image; "
              f"wall {1000 / med(one, 1) - 1000 / med('local', 1):.1f} ms/image")
    noop = "ray, 1 worker, no-op task (Ray's own cost)"
    print(f"per-row cost of Ray's machinery (no-op task, steady): {1000 / med(noop, 1):.1f} ms wall, "
          f"{med(noop, 2):.1f} CPU ms per row")
    for n in args.workers:
        name = f"ray, {n} worker(s)"
        fixed = args.images / med(name, 0) - args.images / med(name, 1)
        print(f"fixed cost of a job, {n} worker(s) (actor start + model load, estimated): {fixed:.1f} s")


if __name__ == "__main__":
    main()
