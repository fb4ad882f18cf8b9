"""Plain classification from 8 threads on one shared model: does the Core v2 gate cost throughput?

Run from the repo root after ``pip install -e .``: ``python benchmarks/bench_threads.py``.

The gate (cnnapps.loaded.SharedExclusiveLock) lets any number of plain forward passes run at
once and makes only hooked use (Grad-CAM) exclusive. This compares, in the same run and
interleaved, 8 threads calling ``classify`` through the gated handle with 8 threads calling the
same pipeline with the gate bypassed (a no-op gate), i.e. the pre-Core-v2 behaviour.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import threading
import time
from dataclasses import replace

import torch

from cnnapps.images import load_image
from cnnapps.loaded import LoadedModel, load
from cnnapps.samples import sample_bytes
from cnnapps.tasks.classify import classify


class _NoGate:
    """The pre-Core-v2 behaviour: nothing coordinates threads."""

    def shared(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    exclusive = shared


def images_per_second(loaded: LoadedModel, *, threads: int, calls: int) -> float:
    image = load_image(sample_bytes("cat"))

    def worker() -> None:
        for _ in range(calls):
            classify(loaded, image, top_k=5)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return threads * calls / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--calls", type=int, default=10, help="classify calls per thread per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    gated = load("mobilenet_v2_tflite", device="cpu")
    ungated = replace(gated, _gate=_NoGate())
    images_per_second(gated, threads=2, calls=2)  # warm-up
    with_gate, without_gate = [], []
    for i in range(args.rounds):  # interleaved A-B, B-A, so background load affects both alike
        order = [(ungated, without_gate), (gated, with_gate)]
        for loaded, bucket in order if i % 2 == 0 else order[::-1]:
            bucket.append(images_per_second(loaded, threads=args.threads, calls=args.calls))
    a, b = statistics.median(with_gate), statistics.median(without_gate)
    start = time.perf_counter()
    for _ in range(100_000):
        with gated.shared():
            pass
    enter_exit_us = (time.perf_counter() - start) * 10  # per pair, in microseconds
    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"{args.threads} Python threads x {args.calls} calls, median of {args.rounds} rounds")
    print(f"without the gate (before Core v2): {b:6.1f} images/s")
    print(f"with the gate (Core v2)          : {a:6.1f} images/s")
    print(f"ratio with/without: {a / b:.3f}")
    print(f"one uncontended shared() enter+exit: {enter_exit_us:.2f} us")


if __name__ == "__main__":
    main()
